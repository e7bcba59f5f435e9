// SPDX-License-Identifier: GPL-2.0
/*
 * Feature 11 and vfio-pci-core's own export (7.3): by default the driver
 * serves VFIO_DEVICE_FEATURE_DMA_BUF with its mmap-able DMABUFs, which
 * iommufd's IOMMU_IOAS_MAP_FILE refuses; with core_dma_buf=1 (writable at
 * run time) feature 11 is vfio-pci-core's: iommufd imports it, mmap and our
 * REVOKE refuse it.  On kernels without the core's export the parameter is
 * ignored, and that is checked too.
 */
#include <linux/iommufd.h>

#include "vpd_export.h"
#include "kselftest_harness.h"

#define SZ_2M	0x200000UL
#define PARAM	"/sys/module/vfio_pci_dmabuf/parameters/core_dma_buf"

/* Whether vfio-pci (stock) answers feature 11: the kernel has the core's export. */
static int core_has_export(void)
{
	const char *bdf = vpd_role_bdf("VPD_DEV_STOCK");
	struct vpd_dev d;
	int ret;

	if (!bdf || vpd_open(&d, bdf))
		return -1;
	ret = vpd_feature_probe(d.fd, VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_DMA_BUF) == 0;
	vpd_close(&d);
	return ret;
}

/* IOMMU_IOAS_MAP_FILE of @fd into a fresh IOAS: 0 or -errno. */
static int iommufd_map_file(int fd, size_t len)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map_file map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.fd = fd,
		.start = 0,
		.length = len,
		.iova = 1UL << 32,
	};
	int iommufd = open("/dev/iommu", O_RDWR), ret = 0;

	if (iommufd < 0)
		return -errno;
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
		ret = -errno;
		goto out;
	}
	map.ioas_id = alloc.out_ioas_id;
	if (ioctl(iommufd, IOMMU_IOAS_MAP_FILE, &map))
		ret = -errno;
out:
	close(iommufd);
	return ret;
}

FIXTURE(coexist) {
	struct vpd_dev dev;
	int core_export;
};

FIXTURE_SETUP(coexist)
{
	const char *bdf = vpd_role_bdf("VPD_DEV_OURS");

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, access(PARAM, W_OK));
	self->core_export = core_has_export();
	ASSERT_GE(self->core_export, 0);
	ASSERT_EQ(0, vpd_open(&self->dev, bdf));
}

FIXTURE_TEARDOWN(coexist)
{
	vpd_write_file(PARAM, "0");
	vpd_close(&self->dev);
}

/* Default: our DMABUF, mmap-able and revocable; iommufd refuses it. */
TEST_F(coexist, default_is_ours)
{
	int fd = vpd_export(self->dev.fd, VFIO_PCI_BAR2_REGION_INDEX,
			 &(struct vfio_region_dma_range){ 0, SZ_2M }, 1), ret;
	void *p;

	ASSERT_GE(fd, 0);
	p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_NE(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, SZ_2M);
	if (access("/dev/iommu", F_OK) == 0) {
		ret = iommufd_map_file(fd, SZ_2M);
		ksft_print_msg("IOMMU_IOAS_MAP_FILE of our DMABUF: %s\n",
			       ret ? strerror(-ret) : "mapped");
		EXPECT_NE(0, ret);
	}
	EXPECT_EQ(0, vpd_revoke(self->dev.fd, fd));
	close(fd);
}

/*
 * core_dma_buf=1: vfio-pci-core's DMABUF where the kernel has it (iommufd
 * maps it; mmap and our REVOKE refuse it); elsewhere the parameter changes
 * nothing.
 */
TEST_F(coexist, core_dma_buf_param)
{
	int fd, ret;
	void *p;

	ASSERT_EQ(0, vpd_write_file(PARAM, "1"));
	fd = vpd_export(self->dev.fd, VFIO_PCI_BAR2_REGION_INDEX,
			 &(struct vfio_region_dma_range){ 0, SZ_2M }, 1);
	ASSERT_GE(fd, 0) TH_LOG("export: %s", strerror(-fd));
	p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (self->core_export) {
		EXPECT_EQ(MAP_FAILED, p);
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-EINVAL, vpd_revoke(self->dev.fd, fd));
		ret = iommufd_map_file(fd, SZ_2M);
		ksft_print_msg("IOMMU_IOAS_MAP_FILE of vfio-pci-core's DMABUF: %s\n",
			       ret ? strerror(-ret) : "mapped");
		EXPECT_EQ(0, ret);
	} else {
		ksft_print_msg("no vfio-pci-core export on this kernel: core_dma_buf ignored\n");
		EXPECT_NE(MAP_FAILED, p);
		EXPECT_EQ(0, vpd_revoke(self->dev.fd, fd));
	}
	if (p != MAP_FAILED)
		munmap(p, SZ_2M);
	close(fd);
	ASSERT_EQ(0, vpd_write_file(PARAM, "0"));
}

TEST_HARNESS_MAIN
