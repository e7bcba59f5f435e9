// SPDX-License-Identifier: GPL-2.0
/*
 * The vfio device cdev with iommufd (what current QEMU uses): the mapping is
 * the same DMABUF-backed one, side by side with vfio-pci.  Skipped only on
 * kernels without vfio cdev (6.1); where the kernel has it, anything
 * missing (iommufd, the device node) is a failure.
 */
#include "kselftest_harness.h"

#define VPD_FIXTURE_CDEV
#include "vpd_fixtures.h"

TEST_F(cdev, mmap_and_backing_file)
{
	struct vpd_dev dev = { .container = -1, .group = -1, .fd = self->fd };
	char line[512], want[64];
	uint64_t *map, *host, v;
	int named = 0, seen = 0;
	FILE *f;

	map = mmap(NULL, SZ_64M, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_NE(NULL, self->witness);
	host = vpd_map_witness(self->witness, 2, SZ_64M);
	ASSERT_NE(MAP_FAILED, host);
	vpd_fill(map, SZ_64M, 0xcde7);
	EXPECT_EQ(-1, vpd_check(host, SZ_64M, 0xcde7));

	snprintf(want, sizeof(want), "%lx-", (unsigned long)map);
	f = fopen("/proc/self/maps", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want))) {
			seen = 1;
			named = strstr(line, "/dmabuf:vfio") != NULL;
		}
	}
	fclose(f);
	ASSERT_TRUE(seen) TH_LOG("no %s line in /proc/self/maps", want);
	EXPECT_EQ(variant->ours, named);

	/* Revocation works the same through the cdev. */
	ASSERT_EQ(0, vpd_set_mem_decode(&dev, 0));
	EXPECT_EQ(SIGBUS, vpd_touch(&map[1], 0, &v));
	ASSERT_EQ(0, vpd_set_mem_decode(&dev, 1));
	EXPECT_EQ(-1, vpd_check(map, SZ_64M, 0xcde7));
	munmap(host, SZ_64M);
	munmap(map, SZ_64M);
}

TEST_HARNESS_MAIN
