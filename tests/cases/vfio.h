/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cases of vpd_bar_map(), vpd_export_check_header() and vpd_export_build():
 * vfio-pci's mmap checks and VFIO_DEVICE_FEATURE_DMA_BUF's validation.
 */
#ifndef VPD_TEST_VFIO_H
#define VPD_TEST_VFIO_H

#include "case_types.h"

/* struct vpd_bar_desc: phys_addr, len, mmap_ok, msix_refuse, msix_offset, msix_len */
#define VPDT_BAR0_PHYS 0xfe000000ULL
#define VPDT_BAR2_PHYS 0x4000000000ULL
static const struct vpd_bar_desc vpdt_bars[VPD_VFIO_NUM_BARS] = {
	/* 16 MiB, mmappable. */
	{ VPDT_BAR0_PHYS, VPDT_MIB(16), 1, 0, 0, 0 },
	/* Absent. */
	{ 0, 0, 0, 0, 0, 0 },
	/* 1 GiB, MSI-X table at 0x10800..0x10a00, refused. */
	{ VPDT_BAR2_PHYS, VPDT_GIB(1), 1, 1, 0x10800, 0x200 },
	/* 2 KiB: a sub-page BAR, page-aligned, mmappable as one page. */
	{ 0xfebf0000ULL, 0x800, 1, 0, 0, 0 },
	/* 16 KiB, not mmappable. */
	{ 0xfd000000ULL, 0x4000, 0, 0, 0, 0 },
	/* 2 KiB at an address that is not page-aligned. */
	{ 0xfebf1800ULL, 0x800, 1, 0, 0, 0 },
};

#define VPDT_TOPBAR_PHYS 0xfffffffff0000000ULL
static const struct vpd_bar_desc vpdt_bars_edge[VPD_VFIO_NUM_BARS] = {
	/* 256 MiB ending at 2^64. */
	{ VPDT_TOPBAR_PHYS, VPDT_MIB(256), 1, 0, 0, 0 },
	/* Length 2^64 - 1: PAGE_ALIGN overflows. */
	{ 0, VPDT_U64_MAX, 1, 0, 0, 0 },
	/* MSI-X refused but empty. */
	{ VPDT_BAR2_PHYS, VPDT_MIB(1), 1, 1, 0x1000, 0 },
	/* MSI-X span running past 2^64. */
	{ VPDT_BAR2_PHYS, VPDT_MIB(1), 1, 1, 0xff000, VPDT_U64_MAX },
	/* MSI-X exactly one page at 0x10000, refused. */
	{ VPDT_BAR2_PHYS, VPDT_MIB(1), 1, 1, 0x10000, 0x1000 },
	/* MSI-X overlapping, but not refused. */
	{ VPDT_BAR2_PHYS, VPDT_MIB(1), 1, 0, 0x10000, 0x1000 },
};

/* struct vpd_bar_mmap_req: vm_pgoff, len, nr_regions, shared */
#define VPDT_REQ(index, off, len, nr_regions, shared) \
	{ VPDT_REGION_PGOFF(index, off), (len), (nr_regions), (shared) }
/* struct vpd_bar_map: bar, bar_offset, range, pgoff_adjust */
#define VPDT_MAP(index, off, phys, len) \
	{ (index), (off), { (phys), (len) }, VPDT_REGION_PGOFF(index, off) }

static const struct vpd_bar_map_case vpd_bar_map_cases[] = {
	{ .name = "bar0_whole", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, 0, VPDT_MIB(16), 9, 1), .ret = 0,
	  .out = VPDT_MAP(0, 0, VPDT_BAR0_PHYS, VPDT_MIB(16)) },
	{ .name = "bar0_page_at_1m", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, VPDT_MIB(1), VPDT_PG(1), 9, 1), .ret = 0,
	  .out = VPDT_MAP(0, VPDT_MIB(1), VPDT_BAR0_PHYS + VPDT_MIB(1), VPDT_PG(1)) },
	{ .name = "bar0_last_page", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, VPDT_MIB(16) - VPDT_PG(1), VPDT_PG(1), 9, 1), .ret = 0,
	  .out = VPDT_MAP(0, VPDT_MIB(16) - VPDT_PG(1), VPDT_BAR0_PHYS + VPDT_MIB(16) - VPDT_PG(1),
			  VPDT_PG(1)) },
	{ .name = "bar0_with_device_regions", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, 0, VPDT_PG(4), 12, 1), .ret = 0,
	  .out = VPDT_MAP(0, 0, VPDT_BAR0_PHYS, VPDT_PG(4)) },
	{ .name = "bar0_past_end", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, VPDT_MIB(16) - VPDT_PG(1), VPDT_PG(2), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "bar0_at_end", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, VPDT_MIB(16), VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "bar0_max_region_offset", .bars = vpdt_bars,
	  .req = { VPDT_REGION_PGOFF(1, 0) - 1, VPDT_PG(1), 9, 1 }, .ret = -VPD_EINVAL },
	{ .name = "bar0_len_overflow", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, VPDT_PG(1), VPDT_TOP_PAGE, 9, 1), .ret = -VPD_EINVAL },
	{ .name = "bar2_whole_overlaps_msix", .bars = vpdt_bars,
	  .req = VPDT_REQ(2, 0, VPDT_GIB(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "bar2_below_msix", .bars = vpdt_bars,
	  .req = VPDT_REQ(2, 0, 0x10000, 9, 1), .ret = 0,
	  .out = VPDT_MAP(2, 0, VPDT_BAR2_PHYS, 0x10000) },
	{ .name = "bar2_above_msix", .bars = vpdt_bars,
	  .req = VPDT_REQ(2, 0x11000, VPDT_PG(1), 9, 1), .ret = 0,
	  .out = VPDT_MAP(2, 0x11000, VPDT_BAR2_PHYS + 0x11000, VPDT_PG(1)) },
	{ .name = "bar2_msix_page", .bars = vpdt_bars,
	  .req = VPDT_REQ(2, 0x10000, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "bar2_rest_after_msix", .bars = vpdt_bars,
	  .req = VPDT_REQ(2, 0x11000, VPDT_GIB(1) - 0x11000, 9, 1), .ret = 0,
	  .out = VPDT_MAP(2, 0x11000, VPDT_BAR2_PHYS + 0x11000, VPDT_GIB(1) - 0x11000) },
	{ .name = "bar3_sub_page", .bars = vpdt_bars,
	  .req = VPDT_REQ(3, 0, VPDT_PG(1), 9, 1), .ret = 0,
	  .out = VPDT_MAP(3, 0, 0xfebf0000ULL, VPDT_PG(1)) },
	{ .name = "bar3_sub_page_two_pages", .bars = vpdt_bars,
	  .req = VPDT_REQ(3, 0, VPDT_PG(2), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "bar4_not_mmappable", .bars = vpdt_bars,
	  .req = VPDT_REQ(4, 0, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "bar1_absent", .bars = vpdt_bars,
	  .req = VPDT_REQ(1, 0, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "bar5_phys_unaligned", .bars = vpdt_bars,
	  .req = VPDT_REQ(5, 0, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "rom_region", .bars = vpdt_bars,
	  .req = VPDT_REQ(VPD_VFIO_ROM_REGION_INDEX, 0, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "config_region", .bars = vpdt_bars,
	  .req = VPDT_REQ(7, 0, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "vga_region", .bars = vpdt_bars,
	  .req = VPDT_REQ(8, 0, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "device_region_delegated", .bars = vpdt_bars,
	  .req = VPDT_REQ(9, 0, VPDT_PG(1), 10, 1), .ret = VPD_DELEGATE },
	{ .name = "last_device_region_delegated", .bars = vpdt_bars,
	  .req = VPDT_REQ(11, VPDT_MIB(1), VPDT_PG(1), 12, 1), .ret = VPD_DELEGATE },
	{ .name = "device_region_beyond_nr_regions", .bars = vpdt_bars,
	  .req = VPDT_REQ(9, 0, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "region_index_beyond_nr_regions", .bars = vpdt_bars,
	  .req = VPDT_REQ(12, 0, VPDT_PG(1), 12, 1), .ret = -VPD_EINVAL },
	{ .name = "region_index_above_32_bits", .bars = vpdt_bars,
	  .req = { 1ULL << 60, VPDT_PG(1), 9, 1 }, .ret = -VPD_EINVAL },
	{ .name = "bar_index_nr_regions_zero", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, 0, VPDT_PG(1), 0, 1), .ret = -VPD_EINVAL },
	{ .name = "private_mapping", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, 0, VPDT_PG(1), 9, 0), .ret = -VPD_EINVAL },
	{ .name = "private_device_region", .bars = vpdt_bars,
	  .req = VPDT_REQ(9, 0, VPDT_PG(1), 10, 0), .ret = -VPD_EINVAL },
	{ .name = "len_zero", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, 0, 0, 9, 1), .ret = -VPD_EINVAL },
	{ .name = "len_unaligned", .bars = vpdt_bars,
	  .req = VPDT_REQ(0, 0, 0x1800, 9, 1), .ret = -VPD_EINVAL },
	{ .name = "len_zero_device_region", .bars = vpdt_bars,
	  .req = VPDT_REQ(9, 0, 0, 10, 1), .ret = -VPD_EINVAL },
	{ .name = "top_bar_first_page", .bars = vpdt_bars_edge,
	  .req = VPDT_REQ(0, 0, VPDT_PG(1), 9, 1), .ret = 0,
	  .out = VPDT_MAP(0, 0, VPDT_TOPBAR_PHYS, VPDT_PG(1)) },
	{ .name = "top_bar_last_page_overflows", .bars = vpdt_bars_edge,
	  .req = VPDT_REQ(0, VPDT_MIB(256) - VPDT_PG(1), VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "bar_len_page_align_overflows", .bars = vpdt_bars_edge,
	  .req = VPDT_REQ(1, 0, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "msix_refused_but_empty", .bars = vpdt_bars_edge,
	  .req = VPDT_REQ(2, 0, VPDT_MIB(1), 9, 1), .ret = 0,
	  .out = VPDT_MAP(2, 0, VPDT_BAR2_PHYS, VPDT_MIB(1)) },
	{ .name = "msix_end_overflows_overlap", .bars = vpdt_bars_edge,
	  .req = VPDT_REQ(3, 0xff000, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "msix_end_overflows_below", .bars = vpdt_bars_edge,
	  .req = VPDT_REQ(3, 0, 0xff000, 9, 1), .ret = 0,
	  .out = VPDT_MAP(3, 0, VPDT_BAR2_PHYS, 0xff000) },
	{ .name = "msix_ends_at_mapping", .bars = vpdt_bars_edge,
	  .req = VPDT_REQ(4, 0x11000, VPDT_PG(1), 9, 1), .ret = 0,
	  .out = VPDT_MAP(4, 0x11000, VPDT_BAR2_PHYS + 0x11000, VPDT_PG(1)) },
	{ .name = "msix_starts_at_mapping_end", .bars = vpdt_bars_edge,
	  .req = VPDT_REQ(4, 0, 0x10000, 9, 1), .ret = 0,
	  .out = VPDT_MAP(4, 0, VPDT_BAR2_PHYS, 0x10000) },
	{ .name = "msix_exact_page", .bars = vpdt_bars_edge,
	  .req = VPDT_REQ(4, 0x10000, VPDT_PG(1), 9, 1), .ret = -VPD_EINVAL },
	{ .name = "msix_not_refused", .bars = vpdt_bars_edge,
	  .req = VPDT_REQ(5, 0, VPDT_MIB(1), 9, 1), .ret = 0,
	  .out = VPDT_MAP(5, 0, VPDT_BAR2_PHYS, VPDT_MIB(1)) },
};

/* struct vpd_export_req: region_index, open_flags, flags, nr_ranges */
static const struct vpd_export_header_case vpd_export_header_cases[] = {
	{ .name = "ok", .bars = vpdt_bars, .req = { 0, 0, 0, 1 }, .ret = 0 },
	{ .name = "ok_open_flags", .bars = vpdt_bars, .req = { 2, 0x80002, 0, 3 }, .ret = 0 },
	{ .name = "ok_max_ranges", .bars = vpdt_bars, .req = { 0, 0, 0, VPD_MAX_RANGES },
	  .ret = 0 },
	{ .name = "ok_sub_page_bar", .bars = vpdt_bars, .req = { 5, 0, 0, 1 }, .ret = 0 },
	{ .name = "ok_not_mmappable_bar", .bars = vpdt_bars, .req = { 4, 0, 0, 1 }, .ret = 0 },
	{ .name = "flags_one", .bars = vpdt_bars, .req = { 0, 0, 1, 1 }, .ret = -VPD_EINVAL },
	{ .name = "flags_high_bit", .bars = vpdt_bars, .req = { 0, 0, 0x80000000U, 1 },
	  .ret = -VPD_EINVAL },
	{ .name = "nr_ranges_zero", .bars = vpdt_bars, .req = { 0, 0, 0, 0 }, .ret = -VPD_EINVAL },
	{ .name = "nr_ranges_zero_and_flags", .bars = vpdt_bars, .req = { 0, 0, 2, 0 },
	  .ret = -VPD_EINVAL },
	{ .name = "einval_before_enodev", .bars = vpdt_bars, .req = { 7, 0, 0, 0 },
	  .ret = -VPD_EINVAL },
	{ .name = "too_many_ranges", .bars = vpdt_bars, .req = { 0, 0, 0, VPD_MAX_RANGES + 1 },
	  .ret = -VPD_E2BIG },
	{ .name = "ranges_uint_max", .bars = vpdt_bars, .req = { 0, 0, 0, 0xffffffffU },
	  .ret = -VPD_E2BIG },
	{ .name = "einval_before_e2big", .bars = vpdt_bars,
	  .req = { 0, 0, 4, VPD_MAX_RANGES + 1 }, .ret = -VPD_EINVAL },
	{ .name = "e2big_before_enodev", .bars = vpdt_bars,
	  .req = { 6, 0, 0, VPD_MAX_RANGES + 1 }, .ret = -VPD_E2BIG },
	{ .name = "absent_bar", .bars = vpdt_bars, .req = { 1, 0, 0, 1 }, .ret = -VPD_ENODEV },
	{ .name = "rom_region", .bars = vpdt_bars, .req = { 6, 0, 0, 1 }, .ret = -VPD_ENODEV },
	{ .name = "config_region", .bars = vpdt_bars, .req = { 7, 0, 0, 1 }, .ret = -VPD_ENODEV },
	{ .name = "device_region", .bars = vpdt_bars, .req = { 9, 0, 0, 1 }, .ret = -VPD_ENODEV },
	{ .name = "region_uint_max", .bars = vpdt_bars, .req = { 0xffffffffU, 0, 0, 1 },
	  .ret = -VPD_ENODEV },
};

/* struct vpd_dma_range: offset, length (relative to the BAR) */
static const struct vpd_dma_range vpdt_ex_whole0[] = { { 0, VPDT_MIB(16) } };
static const struct vpd_dma_range vpdt_ex_two_apart[] = { { 0, 0x1000 }, { 0x2000, 0x1000 } };
static const struct vpd_dma_range vpdt_ex_two_contig[] = { { 0, 0x1000 }, { 0x1000, 0x2000 } };
static const struct vpd_dma_range vpdt_ex_reverse[] = { { 0x1000, 0x1000 }, { 0, 0x1000 } };
static const struct vpd_dma_range vpdt_ex_alias[] = { { 0, 0x1000 }, { 0, 0x1000 } };
static const struct vpd_dma_range vpdt_ex_len0[] = { { 0, 0 } };
static const struct vpd_dma_range vpdt_ex_off_unaligned[] = { { 0x800, 0x1000 } };
static const struct vpd_dma_range vpdt_ex_len_unaligned[] = { { 0, 0x1800 } };
static const struct vpd_dma_range vpdt_ex_past_bar[] = { { VPDT_MIB(16) - 0x1000, 0x2000 } };
static const struct vpd_dma_range vpdt_ex_at_bar_end[] = { { VPDT_MIB(16), 0x1000 } };
static const struct vpd_dma_range vpdt_ex_last_page[] = { { VPDT_MIB(16) - 0x1000, 0x1000 } };
static const struct vpd_dma_range vpdt_ex_total_overflow[] = {
	{ 0, 1ULL << 63 }, { 0, 1ULL << 63 },
};
static const struct vpd_dma_range vpdt_ex_total_bit63[] = { { 0, 1ULL << 63 } };
static const struct vpd_dma_range vpdt_ex_below_bit63[] = { { 0, (1ULL << 63) - 0x1000 } };
static const struct vpd_dma_range vpdt_ex_total_below_bit63[] = {
	{ 0, 0x1000 }, { 0, (1ULL << 63) - 0x2000 },
};
/* BAR0 start + offset overflows. */
static const struct vpd_dma_range vpdt_ex_start_overflow[] = { { 0xfffffffff0000000ULL, 0x1000 } };
/* BAR0 start + offset == 2^64 - 4K, + length == 2^64. */
static const struct vpd_dma_range vpdt_ex_end_overflow[] = { { 0xffffffff01fff000ULL, 0x1000 } };
/* The first pass (lengths) runs over all ranges before the second. */
static const struct vpd_dma_range vpdt_ex_overflow_then_len0[] = {
	{ 0xfffffffff0000000ULL, 0x1000 }, { 0, 0 },
};
static const struct vpd_dma_range vpdt_ex_past_bar_then_overflow[] = {
	{ VPDT_MIB(16), 0x1000 }, { 0xfffffffff0000000ULL, 0x1000 },
};
static const struct vpd_dma_range vpdt_ex_overflow_then_past_bar[] = {
	{ 0xfffffffff0000000ULL, 0x1000 }, { VPDT_MIB(16), 0x1000 },
};
static const struct vpd_dma_range vpdt_ex_top_ok[] = { { 0x0ffe0000, 0x10000 } };
static const struct vpd_dma_range vpdt_ex_top_end[] = { { 0x0fff0000, 0x10000 } };
static const struct vpd_dma_range vpdt_ex_eight[] = {
	{ 0x0, 0x1000 }, { 0x1000, 0x1000 }, { 0x4000, 0x2000 }, { 0x10000, 0x1000 },
	{ 0x3000, 0x1000 }, { 0x4000, 0x1000 }, { 0x5000, 0x1000 }, { 0xff0000, 0x10000 },
};
static const struct vpd_dma_range vpdt_ex_bar2_pmds[] = {
	{ VPDT_MIB(4), VPDT_MIB(2) }, { 0, VPDT_MIB(2) }, { VPDT_MIB(2), VPDT_MIB(2) },
};

#define VPDT_EXREQ(index, ranges) { (index), 0, 0, VPDT_N(ranges) }

static const struct vpd_export_build_case vpd_export_build_cases[] = {
	{ .name = "whole_bar0", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_whole0),
	  .ranges = vpdt_ex_whole0, .capacity = 1, .ret = 0,
	  .nr_segs = 1, .total_len = VPDT_MIB(16),
	  .segs = { { VPDT_BAR0_PHYS, VPDT_MIB(16), 0 } } },
	{ .name = "two_apart", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_two_apart),
	  .ranges = vpdt_ex_two_apart, .capacity = 2, .ret = 0,
	  .nr_segs = 2, .total_len = 0x2000,
	  .segs = { { VPDT_BAR0_PHYS, 0x1000, 0 }, { VPDT_BAR0_PHYS + 0x2000, 0x1000, 0x1000 } } },
	{ .name = "two_contiguous_merged", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_two_contig),
	  .ranges = vpdt_ex_two_contig, .capacity = 2, .ret = 0,
	  .nr_segs = 1, .total_len = 0x3000, .segs = { { VPDT_BAR0_PHYS, 0x3000, 0 } } },
	{ .name = "reverse_order", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_reverse),
	  .ranges = vpdt_ex_reverse, .capacity = 2, .ret = 0,
	  .nr_segs = 2, .total_len = 0x2000,
	  .segs = { { VPDT_BAR0_PHYS + 0x1000, 0x1000, 0 }, { VPDT_BAR0_PHYS, 0x1000, 0x1000 } } },
	{ .name = "aliasing", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_alias),
	  .ranges = vpdt_ex_alias, .capacity = 2, .ret = 0,
	  .nr_segs = 2, .total_len = 0x2000,
	  .segs = { { VPDT_BAR0_PHYS, 0x1000, 0 }, { VPDT_BAR0_PHYS, 0x1000, 0x1000 } } },
	{ .name = "last_page", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_last_page),
	  .ranges = vpdt_ex_last_page, .capacity = 1, .ret = 0,
	  .nr_segs = 1, .total_len = 0x1000,
	  .segs = { { VPDT_BAR0_PHYS + VPDT_MIB(16) - 0x1000, 0x1000, 0 } } },
	{ .name = "eight_ranges_merge_to_five", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_eight),
	  .ranges = vpdt_ex_eight, .capacity = 8, .ret = 0,
	  .nr_segs = 5, .total_len = 0x18000,
	  .segs = { { VPDT_BAR0_PHYS, 0x2000, 0 },
		    { VPDT_BAR0_PHYS + 0x4000, 0x2000, 0x2000 },
		    { VPDT_BAR0_PHYS + 0x10000, 0x1000, 0x4000 },
		    { VPDT_BAR0_PHYS + 0x3000, 0x3000, 0x5000 },
		    { VPDT_BAR0_PHYS + 0xff0000, 0x10000, 0x8000 } } },
	{ .name = "bar2_pmds_out_of_order", .bars = vpdt_bars, .req = VPDT_EXREQ(2, vpdt_ex_bar2_pmds),
	  .ranges = vpdt_ex_bar2_pmds, .capacity = 3, .ret = 0,
	  .nr_segs = 2, .total_len = VPDT_MIB(6),
	  .segs = { { VPDT_BAR2_PHYS + VPDT_MIB(4), VPDT_MIB(2), 0 },
		    { VPDT_BAR2_PHYS, VPDT_MIB(4), VPDT_MIB(2) } } },
	{ .name = "capacity_spare", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_two_apart),
	  .ranges = vpdt_ex_two_apart, .capacity = 64, .ret = 0,
	  .nr_segs = 2, .total_len = 0x2000,
	  .segs = { { VPDT_BAR0_PHYS, 0x1000, 0 }, { VPDT_BAR0_PHYS + 0x2000, 0x1000, 0x1000 } } },
	{ .name = "top_bar_below_end", .bars = vpdt_bars_edge, .req = VPDT_EXREQ(0, vpdt_ex_top_ok),
	  .ranges = vpdt_ex_top_ok, .capacity = 1, .ret = 0,
	  .nr_segs = 1, .total_len = 0x10000,
	  .segs = { { 0xfffffffffffe0000ULL, 0x10000, 0 } } },
	{ .name = "huge_bar_len", .bars = vpdt_bars_edge, .req = VPDT_EXREQ(1, vpdt_ex_two_apart),
	  .ranges = vpdt_ex_two_apart, .capacity = 2, .ret = 0,
	  .nr_segs = 2, .total_len = 0x2000,
	  .segs = { { 0, 0x1000, 0 }, { 0x2000, 0x1000, 0x1000 } } },
	{ .name = "total_below_bit63_huge_bar", .bars = vpdt_bars_edge,
	  .req = VPDT_EXREQ(1, vpdt_ex_below_bit63),
	  .ranges = vpdt_ex_below_bit63, .capacity = 1, .ret = 0,
	  .nr_segs = 1, .total_len = (1ULL << 63) - 0x1000,
	  .segs = { { 0, (1ULL << 63) - 0x1000, 0 } } },
	/* Errors. */
	{ .name = "capacity_short", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_two_apart),
	  .ranges = vpdt_ex_two_apart, .capacity = 1, .ret = -VPD_E2BIG },
	{ .name = "len_zero", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_len0),
	  .ranges = vpdt_ex_len0, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "offset_unaligned", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_off_unaligned),
	  .ranges = vpdt_ex_off_unaligned, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "len_unaligned", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_len_unaligned),
	  .ranges = vpdt_ex_len_unaligned, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "past_bar_end", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_past_bar),
	  .ranges = vpdt_ex_past_bar, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "at_bar_end", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_at_bar_end),
	  .ranges = vpdt_ex_at_bar_end, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "sub_page_bar", .bars = vpdt_bars, .req = VPDT_EXREQ(3, vpdt_ex_two_apart),
	  .ranges = vpdt_ex_two_apart, .capacity = 2, .ret = -VPD_EINVAL },
	{ .name = "total_overflow", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_total_overflow),
	  .ranges = vpdt_ex_total_overflow, .capacity = 2, .ret = -VPD_EINVAL },
	{ .name = "total_bit63", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_total_bit63),
	  .ranges = vpdt_ex_total_bit63, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "total_bit63_huge_bar", .bars = vpdt_bars_edge,
	  .req = VPDT_EXREQ(1, vpdt_ex_total_bit63),
	  .ranges = vpdt_ex_total_bit63, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "total_below_bit63_past_bar", .bars = vpdt_bars,
	  .req = VPDT_EXREQ(0, vpdt_ex_total_below_bit63),
	  .ranges = vpdt_ex_total_below_bit63, .capacity = 2, .ret = -VPD_EINVAL },
	{ .name = "start_overflow", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_start_overflow),
	  .ranges = vpdt_ex_start_overflow, .capacity = 1, .ret = -VPD_EOVERFLOW },
	{ .name = "end_overflow", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_end_overflow),
	  .ranges = vpdt_ex_end_overflow, .capacity = 1, .ret = -VPD_EOVERFLOW },
	{ .name = "top_bar_end_at_2_64", .bars = vpdt_bars_edge, .req = VPDT_EXREQ(0, vpdt_ex_top_end),
	  .ranges = vpdt_ex_top_end, .capacity = 1, .ret = -VPD_EOVERFLOW },
	{ .name = "lengths_checked_first", .bars = vpdt_bars,
	  .req = VPDT_EXREQ(0, vpdt_ex_overflow_then_len0),
	  .ranges = vpdt_ex_overflow_then_len0, .capacity = 2, .ret = -VPD_EINVAL },
	{ .name = "past_bar_before_overflow", .bars = vpdt_bars,
	  .req = VPDT_EXREQ(0, vpdt_ex_past_bar_then_overflow),
	  .ranges = vpdt_ex_past_bar_then_overflow, .capacity = 2, .ret = -VPD_EINVAL },
	{ .name = "overflow_before_past_bar", .bars = vpdt_bars,
	  .req = VPDT_EXREQ(0, vpdt_ex_overflow_then_past_bar),
	  .ranges = vpdt_ex_overflow_then_past_bar, .capacity = 2, .ret = -VPD_EOVERFLOW },
	{ .name = "header_flags", .bars = vpdt_bars, .req = { 0, 0, 1, 1 },
	  .ranges = vpdt_ex_whole0, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "header_absent_bar", .bars = vpdt_bars, .req = { 1, 0, 0, 1 },
	  .ranges = vpdt_ex_whole0, .capacity = 1, .ret = -VPD_ENODEV },
	{ .name = "header_rom", .bars = vpdt_bars, .req = { 6, 0, 0, 1 },
	  .ranges = vpdt_ex_whole0, .capacity = 1, .ret = -VPD_ENODEV },
	{ .name = "header_too_many", .bars = vpdt_bars, .req = { 0, 0, 0, VPD_MAX_RANGES + 1 },
	  .ranges = vpdt_ex_whole0, .capacity = 1, .ret = -VPD_E2BIG },
	/* The capacity is checked after both passes over the ranges. */
	{ .name = "lengths_before_capacity", .bars = vpdt_bars,
	  .req = VPDT_EXREQ(0, vpdt_ex_overflow_then_len0),
	  .ranges = vpdt_ex_overflow_then_len0, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "addresses_before_capacity", .bars = vpdt_bars,
	  .req = VPDT_EXREQ(0, vpdt_ex_overflow_then_past_bar),
	  .ranges = vpdt_ex_overflow_then_past_bar, .capacity = 1, .ret = -VPD_EOVERFLOW },
	{ .name = "capacity_zero", .bars = vpdt_bars, .req = VPDT_EXREQ(0, vpdt_ex_whole0),
	  .ranges = vpdt_ex_whole0, .capacity = 0, .ret = -VPD_E2BIG },
};

#endif /* VPD_TEST_VFIO_H */
