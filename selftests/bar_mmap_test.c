// SPDX-License-Identifier: GPL-2.0
/*
 * BAR mmap through VFIO, side by side: the same test runs against the
 * device bound to vfio-pci-dmabuf and against its identical twin bound to
 * stock vfio-pci.
 */
#include "vpd_vfio.h"
#include "kselftest_harness.h"

FIXTURE(bar) {
	struct vpd_dev dev;
	const char *witness;
	struct vfio_region_info bar2;
};

FIXTURE_VARIANT(bar) {
	const char *role;		/* env var naming the device */
	const char *witness_role;	/* its witness */
	const char *driver;		/* the driver it must be bound to */
};

FIXTURE_VARIANT_ADD(bar, ours) {
	.role = "VPD_DEV_OURS",
	.witness_role = "VPD_DEV_OURS_W",
	.driver = "vfio-pci-dmabuf",
};

FIXTURE_VARIANT_ADD(bar, stock) {
	.role = "VPD_DEV_STOCK",
	.witness_role = "VPD_DEV_STOCK_W",
	.driver = "vfio-pci",
};

FIXTURE_SETUP(bar)
{
	const char *bdf = vpd_role_bdf(variant->role);
	char drv[64];

	ASSERT_NE(NULL, bdf) TH_LOG("%s is not set", variant->role);
	self->witness = vpd_role_bdf(variant->witness_role);
	ASSERT_NE(NULL, self->witness);
	ASSERT_EQ(0, vpd_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ(variant->driver, drv);
	ASSERT_EQ(0, vpd_open(&self->dev, bdf));
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX,
				     &self->bar2));
}

FIXTURE_TEARDOWN(bar)
{
	vpd_close(&self->dev);
}

TEST_F(bar, region_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	EXPECT_EQ(64ULL << 20, self->bar2.size);
	EXPECT_TRUE(self->bar2.flags & VFIO_REGION_INFO_FLAG_MMAP);
	EXPECT_TRUE(self->bar2.flags & VFIO_REGION_INFO_FLAG_READ);
	EXPECT_TRUE(self->bar2.flags & VFIO_REGION_INFO_FLAG_WRITE);
}

/*
 * Write a pattern through the VFIO mapping, read it back, and find it in the
 * host backing file (through the witness); then the other way round.
 */
TEST_F(bar, pattern_reaches_backing_file)
{
	size_t len = self->bar2.size;
	uint64_t *map, *host;
	long bad;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	host = vpd_map_witness(self->witness, 2, len);
	ASSERT_NE(MAP_FAILED, host) TH_LOG("witness mmap: %s", strerror(errno));

	vpd_fill(map, len, 0x5eed0001);
	bad = vpd_check(map, len, 0x5eed0001);
	EXPECT_EQ(-1, bad) TH_LOG("read back mismatch at word %ld", bad);
	bad = vpd_check(host, len, 0x5eed0001);
	EXPECT_EQ(-1, bad) TH_LOG("backing file mismatch at word %ld", bad);

	vpd_fill(host, len, 0x5eed0002);
	bad = vpd_check(map, len, 0x5eed0002);
	EXPECT_EQ(-1, bad) TH_LOG("host write not seen at word %ld", bad);

	ASSERT_EQ(0, munmap(host, len));
	ASSERT_EQ(0, munmap(map, len));
}

/*
 * Reads and writes through the region offset (pread/pwrite) agree too.
 * The harness self-test builds without it (VPD_PLANT_MISSING): the
 * inventory still lists it, so the run must report it missing.
 */
#ifndef VPD_PLANT_MISSING
TEST_F(bar, rw_through_fd)
{
	uint64_t v = 0x0123456789abcdefULL, r = 0;
	off_t off = self->bar2.offset + 4096 * 3 + 8;

	ASSERT_EQ(sizeof(v), pwrite(self->dev.fd, &v, sizeof(v), off));
	ASSERT_EQ(sizeof(r), pread(self->dev.fd, &r, sizeof(r), off));
	EXPECT_EQ(v, r);
}
#endif

#ifdef VPD_PLANT_FAILURE
/* Built only by the harness self-test: proves a failing test turns red. */
TEST(planted_failure)
{
	EXPECT_EQ(1, 2) TH_LOG("planted failure");
}
#endif

#ifdef VPD_PLANT_SKIP
/*
 * Built only by the harness self-test: a skip the inventory does not allow
 * on any kernel must turn the run red.
 */
TEST(planted_skip)
{
	SKIP(return, "planted skip");
}
#endif

TEST_HARNESS_MAIN
