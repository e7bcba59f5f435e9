// SPDX-License-Identifier: GPL-2.0
/*
 * DMABUF-backed BAR mappings: the checks and errnos of mmap() and of
 * VFIO_DEVICE_FEATURE_DMA_BUF, partial mappings at an offset, fork() and
 * mremap(), the names a mapping shows, and its lifetime once every fd is
 * closed.  Where parity with vfio-pci is expected the same test runs against
 * the identical device bound to stock vfio-pci (variant "stock").
 */
#include "kselftest_harness.h"

#define VPD_FIXTURE_TWIN
#include "vpd_fixtures.h"
#include "vpd_export.h"

#include <sys/syscall.h>

/* Requests vfio-pci refuses, and the errno it refuses them with. */
static const struct {
	const char *what;
	unsigned int index;	/* region index */
	unsigned long long off;	/* offset inside the region */
	size_t len;
	int flags;
	int err;
} bad_mmaps[] = {
	{ "private mapping", 2, 0, SZ_4K, MAP_PRIVATE, EINVAL },
	{ "offset at the BAR end", 2, SZ_64M, SZ_4K, MAP_SHARED, EINVAL },
	{ "length past the BAR end", 2, SZ_64M - SZ_4K, 2 * SZ_4K, MAP_SHARED, EINVAL },
	{ "absent BAR", 1, 0, SZ_4K, MAP_SHARED, EINVAL },
	{ "ROM region", VFIO_PCI_ROM_REGION_INDEX, 0, SZ_4K, MAP_SHARED, EINVAL },
	{ "config region", VFIO_PCI_CONFIG_REGION_INDEX, 0, SZ_4K, MAP_SHARED, EINVAL },
	{ "VGA region", VFIO_PCI_VGA_REGION_INDEX, 0, SZ_4K, MAP_SHARED, EINVAL },
	{ "no such device region", VFIO_PCI_NUM_REGIONS, 0, SZ_4K, MAP_SHARED, EINVAL },
	{ "index far out", 200, 0, SZ_4K, MAP_SHARED, EINVAL },
};

TEST_F(twin, mmap_errnos)
{
	for (size_t i = 0; i < sizeof(bad_mmaps) / sizeof(bad_mmaps[0]); i++) {
		off_t off = ((off_t)bad_mmaps[i].index << VFIO_OFFSET_SHIFT) + bad_mmaps[i].off;
		void *p = mmap(NULL, bad_mmaps[i].len, PROT_READ | PROT_WRITE,
			       bad_mmaps[i].flags, self->dev.fd, off);

		EXPECT_EQ(MAP_FAILED, p) TH_LOG("%s: mapped", bad_mmaps[i].what);
		if (p != MAP_FAILED) {
			munmap(p, bad_mmaps[i].len);
			continue;
		}
		EXPECT_EQ(bad_mmaps[i].err, errno) TH_LOG("%s: errno %d", bad_mmaps[i].what, errno);
	}
}

/* A partial mapping at an offset sees the right part of the BAR. */
TEST_F(twin, partial_mapping_offset)
{
	size_t len = SZ_64M;
	uint64_t *full, *part;

	full = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, full);
	part = mmap(NULL, 3 * SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd,
		    self->bar2.offset + 5 * SZ_2M + SZ_4K);
	ASSERT_NE(MAP_FAILED, part);
	vpd_fill(full, len, 0xa11ce);
	for (size_t w = 0; w < 3 * SZ_2M / 8; w += 4099)
		EXPECT_EQ(full[(5 * SZ_2M + SZ_4K) / 8 + w], part[w]);
	munmap(part, 3 * SZ_2M);
	munmap(full, len);
}

/* fork(): the child shares the mapping (no copy-on-write). */
TEST_F(twin, fork_shares_mapping)
{
	volatile uint64_t *map;
	pid_t pid;
	int status;

	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, (void *)map);
	map[7] = 1;
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		map[7] = 0xc0ffee;
		_exit(map[7] == 0xc0ffee ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("the child was killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0xc0ffee, map[7]);
	munmap((void *)map, SZ_2M);
}

/* VFIO_DEVICE_FEATURE_DMA_BUF through @devfd: the DMABUF fd, or -errno. */
static int export_one(int devfd, unsigned int region, unsigned int flags, unsigned int nr,
		      unsigned long long off, unsigned long long len)
{
	char buf[sizeof(struct vfio_device_feature) + sizeof(struct vfio_device_feature_dma_buf) +
		 sizeof(struct vfio_region_dma_range)] __attribute__((aligned(8)));
	struct vfio_device_feature *feat = (struct vfio_device_feature *)buf;
	struct vfio_device_feature_dma_buf *db = (struct vfio_device_feature_dma_buf *)feat->data;
	int fd;

	memset(buf, 0, sizeof(buf));
	feat->argsz = sizeof(buf);
	feat->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = region;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->flags = flags;
	db->nr_ranges = nr;
	db->dma_ranges[0].offset = off;
	db->dma_ranges[0].length = len;
	fd = ioctl(devfd, VFIO_DEVICE_FEATURE, feat);
	return fd < 0 ? -errno : fd;
}

/* VFIO_DEVICE_FEATURE_PROBE of the export: 0 or -errno. */
static int export_probe(int devfd)
{
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_DMA_BUF,
	};

	return ioctl(devfd, VFIO_DEVICE_FEATURE, &feat) ? -errno : 0;
}

/*
 * vfio-pci-core's own DMABUF export (VFIO_DEVICE_FEATURE_DMA_BUF, 6.19+)
 * behaves the same for both drivers: same refusals, same errnos, and a
 * DMABUF fd for a valid request.  Ours has the feature on every kernel and
 * must answer as listed; where vfio-pci has it too, ours must answer each
 * request as vfio-pci does on the twin.  The stock variant is skipped only
 * where vfio-pci lacks the feature.
 */
TEST_F(twin, dma_buf_export_parity)
{
	static const struct {
		const char *what;
		unsigned int region, flags, nr;
		unsigned long long off, len;
		int err;
	} reqs[] = {
		{ "no ranges", 2, 0, 0, 0, SZ_4K, EINVAL },
		{ "flags set", 2, 1, 1, 0, SZ_4K, EINVAL },
		{ "ROM region", VFIO_PCI_ROM_REGION_INDEX, 0, 1, 0, SZ_4K, ENODEV },
		{ "empty range", 2, 0, 1, 0, 0, EINVAL },
		{ "unaligned offset", 2, 0, 1, 8, SZ_4K, EINVAL },
		{ "unaligned length", 2, 0, 1, 0, 100, EINVAL },
		{ "beyond the BAR", 2, 0, 1, SZ_64M - SZ_4K, 2 * SZ_4K, EINVAL },
		{ "valid", 2, 0, 1, SZ_2M, SZ_2M, 0 },
	};
	struct vpd_dev stock = { .container = -1, .group = -1, .fd = -1 };
	int stock_fd = self->dev.fd, stock_probe, ret;

	if (variant->ours) {
		ASSERT_EQ(0, open_role(&stock, "VPD_DEV_STOCK"));
		stock_fd = stock.fd;
	}
	stock_probe = export_probe(stock_fd);
	if (!variant->ours && stock_probe)
		SKIP(return, "vfio-pci has no VFIO_DEVICE_FEATURE_DMA_BUF on this kernel (PROBE: %s)",
		     strerror(-stock_probe));
	if (variant->ours) {
		ret = export_probe(self->dev.fd);
		ASSERT_EQ(0, ret) TH_LOG("PROBE: %s", strerror(-ret));
	}

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		int fd = export_one(self->dev.fd, reqs[i].region, reqs[i].flags, reqs[i].nr,
				    reqs[i].off, reqs[i].len);

		if (reqs[i].err) {
			EXPECT_EQ(-reqs[i].err, fd) TH_LOG("%s: %s", reqs[i].what,
							   fd >= 0 ? "accepted" : strerror(-fd));
		} else {
			EXPECT_GE(fd, 0) TH_LOG("%s: %s", reqs[i].what, strerror(-fd));
			if (fd >= 0)
				EXPECT_EQ((off_t)reqs[i].len, lseek(fd, 0, SEEK_END));
		}
		if (variant->ours && !stock_probe) {
			int sfd = export_one(stock_fd, reqs[i].region, reqs[i].flags, reqs[i].nr,
					     reqs[i].off, reqs[i].len);

			EXPECT_EQ(sfd < 0 ? sfd : 0, fd < 0 ? fd : 0)
				TH_LOG("%s: ours %d, vfio-pci %d", reqs[i].what, fd, sfd);
			if (sfd >= 0)
				close(sfd);
		}
		if (fd >= 0)
			close(fd);
	}
	vpd_close(&stock);
}

TEST_F(twin, mremap_growth_refused)
{
	void *map, *p;

	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	p = mremap(map, SZ_2M, 2 * SZ_2M, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
	munmap(map, SZ_2M);
}

/* ------------------------------------------------------------------------ */
/* ours only                                                                */
/* ------------------------------------------------------------------------ */

/* /proc/self/maps and debugfs name the DMABUF after device and BAR. */
TEST(maps_and_bufinfo_names)
{
	struct vfio_region_info bar2;
	char line[512], want[128], vfio_name[32] = "";
	unsigned long start, end, off;
	int found = 0, listed = 0, n, ret;
	struct vpd_dev d;
	void *map;
	FILE *f;

	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	ASSERT_EQ(0, vpd_region_info(&d, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd, bar2.offset + SZ_2M);
	ASSERT_NE(MAP_FAILED, map);

	/* The vfio device's name: /sys/bus/pci/devices/<bdf>/vfio-dev/vfioN */
	ret = vpd_vfio_dev_name(d.bdf, vfio_name, sizeof(vfio_name));
	ASSERT_EQ(0, ret) TH_LOG("%s: no vfio device: %s", d.bdf, strerror(-ret));

	snprintf(want, sizeof(want), "/dmabuf:%s:%s/2", vfio_name, d.bdf);
	f = fopen("/proc/self/maps", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		char name[256] = "";

		n = sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &start, &end, &off, name);
		if (n < 3 || start != (unsigned long)map)
			continue;
		found = 1;
		TH_LOG("maps: %s", line);
		EXPECT_EQ(SZ_2M, end - start);
		/* The offset column keeps showing the BAR's region offset. */
		EXPECT_EQ(bar2.offset + SZ_2M, off);
		EXPECT_STREQ(want, name);
	}
	fclose(f);
	EXPECT_TRUE(found);

	/* debugfs bufinfo lists the buffer with the same name. */
	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	ASSERT_NE(NULL, f) TH_LOG("dma_buf/bufinfo: %s", strerror(errno));
	snprintf(want, sizeof(want), ":%s/2", d.bdf);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want))
			listed = 1;
	fclose(f);
	EXPECT_TRUE(listed) TH_LOG("no %s in bufinfo", want);
	munmap(map, SZ_2M);
	vpd_close(&d);
}

/*
 * Closing every fd leaves a live mapping working (it holds the device
 * open); the last munmap releases the DMABUF and the device.  rmmod is
 * refused while the mapping lives.
 */
TEST(close_fds_keeps_mapping)
{
	struct vfio_region_info bar2;
	struct vpd_dev d;
	long r0, r_mapped;
	uint64_t *map;

	r0 = vpd_module_refcnt();
	ASSERT_GE(r0, 0);
	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	ASSERT_EQ(0, vpd_region_info(&d, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd, bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	vpd_fill(map, SZ_2M, 0xc105ed);
	r_mapped = vpd_module_refcnt();
	/* One reference for the open device, one for the DMABUF. */
	EXPECT_EQ(r0 + 2, r_mapped);

	vpd_close(&d);
	EXPECT_EQ(-1, vpd_check(map, SZ_2M, 0xc105ed));
	vpd_fill(map, SZ_2M, 0xc105ee);
	EXPECT_EQ(-1, vpd_check(map, SZ_2M, 0xc105ee));
	EXPECT_EQ(r_mapped, vpd_module_refcnt());

	EXPECT_EQ(-1, syscall(SYS_delete_module, "vfio_pci_dmabuf", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) TH_LOG("errno %d", errno);

	ASSERT_EQ(0, munmap(map, SZ_2M));
	EXPECT_EQ(r0, vpd_module_refcnt());
}

TEST_HARNESS_MAIN
