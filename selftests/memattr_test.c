// SPDX-License-Identifier: GPL-2.0
/*
 * Memory attributes of exported-DMABUF mappings, read back from the page
 * tables (debugfs page_tables/current_kernel, CONFIG_PTDUMP_DEBUGFS) and
 * from x86 PAT's memtype list: what a mapping gets with
 * VFIO_DMA_BUF_MEMATTR_NC and with VFIO_DMA_BUF_MEMATTR_WC, for 4 KiB and
 * 2 MiB entries.  Needs the debug kernels (skipped where the page tables
 * cannot be read: stock 6.1 has no PTDUMP_DEBUGFS).
 */
#include "vpd_export.h"
#include "kselftest_harness.h"

#define SZ_4K	0x1000UL
#define SZ_2M	0x200000UL

/* The cache mode PAT's memtype list gives the BAR's physical range. */
static void log_pat_memtype(const char *bdf)
{
	char path[256], line[256];
	unsigned long long start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return;
	for (int i = 0; i <= 2 && fgets(line, sizeof(line), f); i++)
		sscanf(line, "%llx", &start);
	fclose(f);
	f = fopen("/sys/kernel/debug/x86/pat_memtype_list", "r");
	if (!f)
		return;
	snprintf(path, sizeof(path), "0x%llx", start);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, path))
			ksft_print_msg("PAT memtype of BAR2: %s", line);
	fclose(f);
}

FIXTURE(memattr) {
	struct vpd_dev dev;
	int dmabuf;
	uint8_t *map;
	size_t len;
};

FIXTURE_SETUP(memattr)
{
	const char *bdf = vpd_role_bdf("VPD_DEV_OURS");

	ASSERT_NE(NULL, bdf);
	if (access(VPD_PTDUMP, R_OK))
		SKIP(return, "no %s (CONFIG_PTDUMP_DEBUGFS)", VPD_PTDUMP);
	ASSERT_EQ(0, vpd_open(&self->dev, bdf));
	self->len = 2 * SZ_2M;
	self->dmabuf = vpd_export(self->dev.fd, VFIO_PCI_BAR2_REGION_INDEX,
				  &(struct vfio_region_dma_range){ 0, self->len }, 1);
	ASSERT_GE(self->dmabuf, 0) TH_LOG("export: %s", strerror(-self->dmabuf));
	self->map = vpd_mmap_at(self->dmabuf, 0, self->len, SZ_2M, 0,
				PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, self->map);
	vpd_fill((uint64_t *)self->map, self->len, 0x3e3a);
	log_pat_memtype(bdf);
}

FIXTURE_TEARDOWN(memattr)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, self->len);
	if (self->dmabuf >= 0)
		close(self->dmabuf);
	vpd_close(&self->dev);
}

/* The entries at the start, middle and end of @map all carry @want's cache bits. */
static int same_cache_bits(const uint8_t *map, size_t len, const struct vpd_pt_entry *want)
{
	const size_t offs[] = { 0, len / 2 + SZ_4K, len - SZ_4K };

	for (unsigned int i = 0; i < 3; i++) {
		struct vpd_pt_entry e;

		if (vpd_ptdump_lookup((unsigned long)map + offs[i], &e))
			return -1;
		if (e.pcd != want->pcd || e.pwt != want->pwt || e.pat != want->pat) {
			ksft_print_msg("+%#zx: %s PWT=%d PCD=%d PAT=%d, want PWT=%d PCD=%d PAT=%d\n",
				       offs[i], e.level, e.pwt, e.pcd, e.pat,
				       want->pwt, want->pcd, want->pat);
			return -1;
		}
	}
	return 0;
}

/*
 * A BAR mapping first touched in its middle: every entry, before and after
 * the faulting page, carries the faulting page's cache bits (uncached-minus).
 * On 6.1 the first fault maps the whole VMA: the faulting page through
 * vmf_insert_pfn_prot() and PAT, the rest copying its protection.
 */
TEST_F_TIMEOUT(memattr, bar_mapping_entries_alike, 120)
{
	struct vfio_region_info bar2;
	struct vpd_pt_entry e;
	uint64_t v = 0;
	uint8_t *map;
	size_t len = 16 * SZ_2M;

	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	map = vpd_mmap_at(self->dev.fd, bar2.offset, len, SZ_2M, 0,
			  PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, vpd_touch((volatile uint64_t *)(map + len / 2 + SZ_4K), 0, &v));
	if (vpd_huge_pfnmap() <= 0) {
		/* One fault mapped it all: no more faults to read it. */
		EXPECT_EQ(0, vpd_touch_all(map, len));
	} else {
		vpd_touch_all(map, len);
	}
	ASSERT_EQ(0, vpd_ptdump_lookup((unsigned long)map + len / 2 + SZ_4K, &e));
	EXPECT_TRUE(e.pcd);
	EXPECT_FALSE(e.pwt);
	EXPECT_FALSE(e.pat);
	EXPECT_EQ(0, same_cache_bits(map, len, &e));
	munmap(map, len);
}

/*
 * NC: uncached-minus, as vfio-pci's own BAR mappings (PCD, not PWT, not
 * PAT); the whole mapping, at both entry sizes the kernel uses.
 */
TEST_F_TIMEOUT(memattr, nc_is_uncached, 120)
{
	struct vpd_pt_entry e;

	ASSERT_EQ(0, vpd_ptdump_lookup((unsigned long)self->map, &e));
	EXPECT_TRUE(e.pcd);
	EXPECT_FALSE(e.pwt);
	EXPECT_FALSE(e.pat);
	ksft_print_msg("MEMATTR NC: %s PWT=%d PCD=%d PAT=%d\n", e.level, e.pwt, e.pcd, e.pat);
	EXPECT_EQ(0, same_cache_bits(self->map, self->len, &e));
}

/*
 * WC: the driver asks for write-combining page protection, the existing
 * entries are zapped and the mapping refaults with the data intact.  What
 * the entries then carry is x86 PAT's decision: vmf_insert_pfn*() take the
 * cache mode of the memtype reserved for the physical range, and
 * vfio-pci-core's ioremap() of the BAR reserved it uncached-minus, so the
 * entries stay UC- (PCD).  The test pins that down: if a kernel ever
 * honours WC here (PWT without PCD), it fails and the documentation must
 * change with it.
 */
TEST_F_TIMEOUT(memattr, wc_request_and_pat, 180)
{
	struct vpd_pt_entry before, after;
	long faults;

	ASSERT_EQ(0, vpd_ptdump_lookup((unsigned long)self->map, &before));
	ASSERT_EQ(0, vpd_memattr(self->dev.fd, self->dmabuf, VFIO_DMA_BUF_MEMATTR_WC));
	/* Zapped: the first touch of each 2 MiB window faults again. */
	faults = vpd_touch_all(self->map, self->len);
	EXPECT_GE(faults, 1);
	EXPECT_EQ(-1, vpd_check((uint64_t *)self->map, self->len, 0x3e3a));
	ASSERT_EQ(0, vpd_ptdump_lookup((unsigned long)self->map, &after));
	ksft_print_msg("MEMATTR WC: %s PWT=%d PCD=%d PAT=%d (refaults %ld; NC was %s PWT=%d PCD=%d)\n",
		       after.level, after.pwt, after.pcd, after.pat, faults,
		       before.level, before.pwt, before.pcd);
	EXPECT_TRUE(after.pcd) TH_LOG("PAT honoured WC: update Documentation/design.rst");
	EXPECT_FALSE(after.pwt);
	EXPECT_EQ(0, same_cache_bits(self->map, self->len, &after));

	/*
	 * Back to NC: the same cache bits again.  (4 KiB entries now: the mm
	 * keeps the page table that the WC faults populated, so the PMD stays
	 * a table until the mapping goes.)
	 */
	ASSERT_EQ(0, vpd_memattr(self->dev.fd, self->dmabuf, VFIO_DMA_BUF_MEMATTR_NC));
	EXPECT_GE(vpd_touch_all(self->map, self->len), 1);
	ASSERT_EQ(0, vpd_ptdump_lookup((unsigned long)self->map, &after));
	EXPECT_EQ(before.pcd, after.pcd);
	EXPECT_EQ(before.pwt, after.pwt);
}

TEST_HARNESS_MAIN
