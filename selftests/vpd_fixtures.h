/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixtures the BAR-mapping selftests share (mmap_test, revoke_test,
 * gup_test, fault_test, cdev_test), defined once.  Each runs its tests side
 * by side on our driver and on stock vfio-pci (variants "ours" and "stock"):
 *
 *   twin   the 64 MiB ivshmem twins VPD_DEV_OURS / VPD_DEV_STOCK, opened
 *          through a group, BAR2's region info at hand
 *   nvme   the NVMe twins VPD_DEV_NVME / VPD_DEV_NVME_STOCK (FLR, PM, reset),
 *          their controller memory buffer (BAR2) mapped and filled
 *   cdev   the ivshmem twins through the vfio device cdev and iommufd;
 *          skipped only on kernels without vfio cdev (6.1)
 *
 * Include after kselftest_harness.h, having defined the fixtures the binary
 * uses (VPD_FIXTURE_TWIN, VPD_FIXTURE_NVME, VPD_FIXTURE_CDEV): the harness
 * defines a fixture's setup and teardown as static functions, which only a
 * test of that fixture uses.
 */
#ifndef VPD_FIXTURES_H
#define VPD_FIXTURES_H

#include <linux/iommufd.h>
#include <dirent.h>
#include <stddef.h>
#include <sys/wait.h>

#include "vpd_vfio.h"

#define SZ_4K	0x1000UL
#define SZ_2M	0x200000UL
#define SZ_64M	0x4000000UL
#define SZ_1G	0x40000000UL
#define VFIO_OFFSET_SHIFT 40
#ifndef offsetofend
#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#endif

static inline int open_role(struct vpd_dev *d, const char *role)
{
	const char *bdf = vpd_role_bdf(role);

	if (!bdf)
		return -ENODEV;
	return vpd_open(d, bdf);
}

/* ------------------------------------------------------------------------ */
/* twin: the ivshmem twins, ours and stock                                  */
/* ------------------------------------------------------------------------ */

#ifdef VPD_FIXTURE_TWIN
FIXTURE(twin) {
	struct vpd_dev dev;
	struct vfio_region_info bar2;
	const char *witness;
};

FIXTURE_VARIANT(twin) {
	const char *role;
	const char *witness_role;
	const char *driver;
	int ours;
};

FIXTURE_VARIANT_ADD(twin, ours) {
	.role = "VPD_DEV_OURS", .witness_role = "VPD_DEV_OURS_W",
	.driver = "vfio-pci-dmabuf", .ours = 1,
};

FIXTURE_VARIANT_ADD(twin, stock) {
	.role = "VPD_DEV_STOCK", .witness_role = "VPD_DEV_STOCK_W",
	.driver = "vfio-pci", .ours = 0,
};

FIXTURE_SETUP(twin)
{
	const char *bdf = vpd_role_bdf(variant->role);
	char drv[64];

	ASSERT_NE(NULL, bdf);
	self->witness = vpd_role_bdf(variant->witness_role);
	ASSERT_EQ(0, vpd_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ(variant->driver, drv);
	ASSERT_EQ(0, vpd_open(&self->dev, bdf));
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &self->bar2));
	ASSERT_EQ(SZ_64M, self->bar2.size);
}

FIXTURE_TEARDOWN(twin)
{
	vpd_close(&self->dev);
}
#endif /* VPD_FIXTURE_TWIN */

/* ------------------------------------------------------------------------ */
/* nvme: revoke points on the NVMe twins (FLR, PM, reset, low power)        */
/* ------------------------------------------------------------------------ */

#ifdef VPD_FIXTURE_NVME
#define CMB_TEST_LEN (256 * 1024UL)

FIXTURE(nvme) {
	struct vpd_dev dev;
	struct vfio_region_info bar2;
	uint64_t *map;
};

FIXTURE_VARIANT(nvme) {
	const char *role;
	const char *driver;
};

FIXTURE_VARIANT_ADD(nvme, ours) { .role = "VPD_DEV_NVME", .driver = "vfio-pci-dmabuf" };
FIXTURE_VARIANT_ADD(nvme, stock) { .role = "VPD_DEV_NVME_STOCK", .driver = "vfio-pci" };

FIXTURE_SETUP(nvme)
{
	const char *bdf = vpd_role_bdf(variant->role);
	char drv[64];

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vpd_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ(variant->driver, drv);
	ASSERT_EQ(0, vpd_open(&self->dev, bdf));
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &self->bar2));
	ASSERT_TRUE(self->bar2.flags & VFIO_REGION_INFO_FLAG_MMAP);
	self->map = mmap(NULL, CMB_TEST_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, self->map);
	vpd_fill(self->map, CMB_TEST_LEN, 0x5eed);
	ASSERT_EQ(-1, vpd_check(self->map, CMB_TEST_LEN, 0x5eed));
}

FIXTURE_TEARDOWN(nvme)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, CMB_TEST_LEN);
	vpd_close(&self->dev);
}
#endif /* VPD_FIXTURE_NVME */

/* ------------------------------------------------------------------------ */
/* cdev: the ivshmem twins through the vfio device cdev and iommufd         */
/* ------------------------------------------------------------------------ */

/*
 * The vfio device of @bdf ("vfioN", from /sys/bus/pci/devices/<bdf>/vfio-dev/)
 * into @name: 0, or -errno.
 */
static inline int vpd_vfio_dev_name(const char *bdf, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *e;
	int ret = -ENOENT;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir))) {
		if (strncmp(e->d_name, "vfio", 4))
			continue;
		if (strlen(e->d_name) >= len) {
			ret = -ENAMETOOLONG;
			break;
		}
		strcpy(name, e->d_name);
		ret = 0;
		break;
	}
	closedir(dir);
	return ret;
}

/*
 * Whether the kernel gives vfio devices a char device (vfio cdev, 6.6+ with
 * CONFIG_VFIO_DEVICE_CDEV): the device's sysfs node then has a "dev"
 * attribute.  6.1's vfio devices are in sysfs too, without one.
 */
static inline int vpd_vfio_dev_has_cdev(const char *vfio_name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/class/vfio-dev/%s/dev", vfio_name);
	return access(path, F_OK) == 0;
}

#ifdef VPD_FIXTURE_CDEV
FIXTURE(cdev) {
	int iommufd;
	int fd;
	struct vfio_region_info bar2;
	const char *witness;
};

FIXTURE_VARIANT(cdev) {
	const char *role;
	const char *witness_role;
	const char *driver;
	int ours;
};

FIXTURE_VARIANT_ADD(cdev, ours) {
	.role = "VPD_DEV_OURS", .witness_role = "VPD_DEV_OURS_W",
	.driver = "vfio-pci-dmabuf", .ours = 1,
};

FIXTURE_VARIANT_ADD(cdev, stock) {
	.role = "VPD_DEV_STOCK", .witness_role = "VPD_DEV_STOCK_W",
	.driver = "vfio-pci", .ours = 0,
};

FIXTURE_SETUP(cdev)
{
	const char *bdf = vpd_role_bdf(variant->role);
	struct vfio_device_bind_iommufd bind = {
		.argsz = offsetofend(struct vfio_device_bind_iommufd, out_devid),
	};
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = offsetofend(struct vfio_device_attach_iommufd_pt, pt_id),
	};
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	char path[PATH_MAX], name[64] = "", drv[64];
	int ret;

	self->iommufd = self->fd = -1;
	ASSERT_NE(NULL, bdf);
	self->witness = vpd_role_bdf(variant->witness_role);
	ASSERT_EQ(0, vpd_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ(variant->driver, drv);
	/* A device bound to a vfio driver is a vfio device on every kernel. */
	ret = vpd_vfio_dev_name(bdf, name, sizeof(name));
	ASSERT_EQ(0, ret) TH_LOG("%s: no vfio device: %s", bdf, strerror(-ret));
	if (!vpd_vfio_dev_has_cdev(name))
		SKIP(return, "no vfio cdev on this kernel (%s has no char device)", name);

	/*
	 * The kernel has the cdev: iommufd must be there too (the vfio module
	 * depends on it).  Load it if it is not: a failure is a failure.
	 */
	if (access("/dev/iommu", F_OK)) {
		ret = system("modprobe iommufd");
		ASSERT_TRUE(WIFEXITED(ret) && WEXITSTATUS(ret) == 0)
			TH_LOG("modprobe iommufd: wait status 0x%x", ret);
	}
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_GE(self->iommufd, 0) TH_LOG("/dev/iommu: %s", strerror(errno));
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	self->fd = open(path, O_RDWR);
	ASSERT_GE(self->fd, 0) TH_LOG("%s: %s", path, strerror(errno));
	bind.iommufd = self->iommufd;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &ioas));
	attach.pt_id = ioas.out_ioas_id;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		TH_LOG("attach: %s", strerror(errno));
	memset(&self->bar2, 0, sizeof(self->bar2));
	self->bar2.argsz = sizeof(self->bar2);
	self->bar2.index = VFIO_PCI_BAR2_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_GET_REGION_INFO, &self->bar2));
}

FIXTURE_TEARDOWN(cdev)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->iommufd >= 0)
		close(self->iommufd);
}
#endif /* VPD_FIXTURE_CDEV */

#endif /* VPD_FIXTURES_H */
