/* SPDX-License-Identifier: GPL-2.0 */
/* Cases of vpd_table_init(): validation, merging, prefix sums. */
#ifndef VPD_TEST_TABLE_INIT_H
#define VPD_TEST_TABLE_INIT_H

#include "case_types.h"

#define VPDT_HALF (1ULL << 63)

static const struct vpd_phys_range vpdt_ti_one[] = { { 0x100000000ULL, VPDT_MIB(2) } };
static const struct vpd_phys_range vpdt_ti_zero_phys[] = { { 0, VPDT_PG(1) } };
static const struct vpd_phys_range vpdt_ti_two[] = {
	{ 0x1000, 0x1000 }, { 0x10000, 0x2000 },
};
static const struct vpd_phys_range vpdt_ti_contig[] = {
	{ 0x1000, 0x1000 }, { 0x2000, 0x3000 },
};
static const struct vpd_phys_range vpdt_ti_chain3[] = {
	{ 0x40000000, VPDT_PG(1) }, { 0x40001000, VPDT_PG(1) }, { 0x40002000, VPDT_PG(2) },
};
static const struct vpd_phys_range vpdt_ti_rev[] = {
	{ 0x2000, 0x1000 }, { 0x1000, 0x1000 },
};
static const struct vpd_phys_range vpdt_ti_alias[] = {
	{ 0x1000, 0x1000 }, { 0x1000, 0x1000 },
};
static const struct vpd_phys_range vpdt_ti_overlap[] = {
	{ 0x0, 0x3000 }, { 0x1000, 0x3000 },
};
static const struct vpd_phys_range vpdt_ti_two_pairs[] = {
	{ 0x40000000, VPDT_PG(1) }, { 0x40001000, VPDT_PG(1) },
	{ 0x80000000, VPDT_PG(1) }, { 0x80001000, VPDT_PG(2) },
};
/* Merges into its predecessor, then aliases the first range. */
static const struct vpd_phys_range vpdt_ti_merge_alias[] = {
	{ 0x1000, 0x1000 }, { 0x2000, 0x1000 }, { 0x1000, 0x2000 },
};
/* Contiguous with an earlier but not the preceding range: no merge. */
static const struct vpd_phys_range vpdt_ti_nonadjacent[] = {
	{ 0x1000, 0x1000 }, { 0x5000, 0x1000 }, { 0x2000, 0x1000 },
};
/* A range that ends exactly at 2^64 (phys + len overflows). */
static const struct vpd_phys_range vpdt_ti_top_end[] = { { VPDT_TOP_PAGE, VPDT_PG(1) } };
static const struct vpd_phys_range vpdt_ti_below_top[] = { { VPDT_TOP_PAGE - 0x1000, VPDT_PG(1) } };
static const struct vpd_phys_range vpdt_ti_half_half[] = { { VPDT_HALF, VPDT_HALF } };
static const struct vpd_phys_range vpdt_ti_len0[] = { { 0x1000, 0 } };
static const struct vpd_phys_range vpdt_ti_phys_unaligned[] = { { 0x1800, 0x1000 } };
static const struct vpd_phys_range vpdt_ti_len_unaligned[] = { { 0x1000, 0x1800 } };
static const struct vpd_phys_range vpdt_ti_len_small[] = { { 0x1000, 0x200 } };
static const struct vpd_phys_range vpdt_ti_second_len0[] = {
	{ 0x1000, 0x1000 }, { 0x3000, 0 },
};
static const struct vpd_phys_range vpdt_ti_overflow_then_unaligned[] = {
	{ VPDT_TOP_PAGE, VPDT_PG(2) }, { 0x1800, 0x1000 },
};
static const struct vpd_phys_range vpdt_ti_unaligned_then_overflow[] = {
	{ 0x1800, 0x1000 }, { VPDT_TOP_PAGE, VPDT_PG(2) },
};
/* Unaligned and overflowing in the same range: alignment is checked first. */
static const struct vpd_phys_range vpdt_ti_unaligned_overflow[] = {
	{ VPDT_TOP_PAGE, 0x1800 },
};
/* Total length 2^64: overflows. */
static const struct vpd_phys_range vpdt_ti_total_overflow[] = {
	{ 0, VPDT_HALF }, { 0x10000, VPDT_HALF },
};
/* Total length 2^64 - 8K: fits. */
static const struct vpd_phys_range vpdt_ti_total_max[] = {
	{ 0, VPDT_HALF }, { 0x10000, VPDT_HALF - VPDT_PG(2) },
};
/* Total overflow after a merge. */
static const struct vpd_phys_range vpdt_ti_total_overflow_merged[] = {
	{ 0, VPDT_HALF }, { VPDT_HALF, VPDT_HALF - VPDT_PG(1) }, { 0x1000, 0x1000 },
};
/* Merged into one range covering all but the top page. */
static const struct vpd_phys_range vpdt_ti_merge_huge[] = {
	{ 0, VPDT_HALF }, { VPDT_HALF, VPDT_HALF - VPDT_PG(1) },
};
static const struct vpd_phys_range vpdt_ti_eight[] = {
	{ 0x100000, 0x1000 }, { 0x300000, 0x2000 }, { 0x500000, 0x3000 }, { 0x700000, 0x1000 },
	{ 0x900000, 0x4000 }, { 0xb00000, 0x1000 }, { 0xd00000, 0x2000 }, { 0xf00000, 0x1000 },
};
/* Ten ranges, merging into eight segments. */
static const struct vpd_phys_range vpdt_ti_ten_to_eight[] = {
	{ 0x100000, 0x1000 }, { 0x101000, 0x1000 }, { 0x500000, 0x3000 }, { 0x700000, 0x1000 },
	{ 0x900000, 0x4000 }, { 0x904000, 0x4000 }, { 0xb00000, 0x1000 }, { 0xd00000, 0x2000 },
	{ 0xf00000, 0x1000 }, { 0x1000, 0x1000 },
};
static const struct vpd_phys_range vpdt_ti_pud[] = {
	{ 0x4000000000ULL, VPDT_GIB(1) }, { 0x4040000000ULL, VPDT_GIB(1) },
	{ 0x8000000000ULL, VPDT_GIB(1) },
};

static const struct vpd_table_init_case vpd_table_init_cases[] = {
	{ .name = "single", .ranges = vpdt_ti_one, .nr = 1, .capacity = 1, .ret = 0,
	  .nr_segs = 1, .total_len = VPDT_MIB(2),
	  .segs = { { 0x100000000ULL, VPDT_MIB(2), 0 } } },
	{ .name = "single_spare_capacity", .ranges = vpdt_ti_one, .nr = 1, .capacity = 16, .ret = 0,
	  .nr_segs = 1, .total_len = VPDT_MIB(2),
	  .segs = { { 0x100000000ULL, VPDT_MIB(2), 0 } } },
	{ .name = "phys_zero", .ranges = vpdt_ti_zero_phys, .nr = 1, .capacity = 1, .ret = 0,
	  .nr_segs = 1, .total_len = 0x1000, .segs = { { 0, 0x1000, 0 } } },
	{ .name = "two_apart", .ranges = vpdt_ti_two, .nr = 2, .capacity = 2, .ret = 0,
	  .nr_segs = 2, .total_len = 0x3000,
	  .segs = { { 0x1000, 0x1000, 0 }, { 0x10000, 0x2000, 0x1000 } } },
	{ .name = "merge_two", .ranges = vpdt_ti_contig, .nr = 2, .capacity = 2, .ret = 0,
	  .nr_segs = 1, .total_len = 0x4000, .segs = { { 0x1000, 0x4000, 0 } } },
	{ .name = "merge_chain_of_three", .ranges = vpdt_ti_chain3, .nr = 3, .capacity = 3, .ret = 0,
	  .nr_segs = 1, .total_len = VPDT_PG(4), .segs = { { 0x40000000, VPDT_PG(4), 0 } } },
	{ .name = "reverse_contiguous_no_merge", .ranges = vpdt_ti_rev, .nr = 2, .capacity = 2,
	  .ret = 0, .nr_segs = 2, .total_len = 0x2000,
	  .segs = { { 0x2000, 0x1000, 0 }, { 0x1000, 0x1000, 0x1000 } } },
	{ .name = "alias_same_range", .ranges = vpdt_ti_alias, .nr = 2, .capacity = 2, .ret = 0,
	  .nr_segs = 2, .total_len = 0x2000,
	  .segs = { { 0x1000, 0x1000, 0 }, { 0x1000, 0x1000, 0x1000 } } },
	{ .name = "overlap_partial", .ranges = vpdt_ti_overlap, .nr = 2, .capacity = 2, .ret = 0,
	  .nr_segs = 2, .total_len = 0x6000,
	  .segs = { { 0, 0x3000, 0 }, { 0x1000, 0x3000, 0x3000 } } },
	{ .name = "two_merged_pairs", .ranges = vpdt_ti_two_pairs, .nr = 4, .capacity = 4, .ret = 0,
	  .nr_segs = 2, .total_len = VPDT_PG(5),
	  .segs = { { 0x40000000, VPDT_PG(2), 0 }, { 0x80000000, VPDT_PG(3), VPDT_PG(2) } } },
	{ .name = "merge_then_alias", .ranges = vpdt_ti_merge_alias, .nr = 3, .capacity = 3,
	  .ret = 0, .nr_segs = 2, .total_len = 0x4000,
	  .segs = { { 0x1000, 0x2000, 0 }, { 0x1000, 0x2000, 0x2000 } } },
	{ .name = "contiguous_with_non_predecessor", .ranges = vpdt_ti_nonadjacent, .nr = 3,
	  .capacity = 3, .ret = 0, .nr_segs = 3, .total_len = 0x3000,
	  .segs = { { 0x1000, 0x1000, 0 }, { 0x5000, 0x1000, 0x1000 },
		    { 0x2000, 0x1000, 0x2000 } } },
	{ .name = "eight_segments", .ranges = vpdt_ti_eight, .nr = 8, .capacity = 8, .ret = 0,
	  .nr_segs = 8, .total_len = VPDT_PG(15),
	  .segs = { { 0x100000, 0x1000, 0 }, { 0x300000, 0x2000, 0x1000 },
		    { 0x500000, 0x3000, 0x3000 }, { 0x700000, 0x1000, 0x6000 },
		    { 0x900000, 0x4000, 0x7000 }, { 0xb00000, 0x1000, 0xb000 },
		    { 0xd00000, 0x2000, 0xc000 }, { 0xf00000, 0x1000, 0xe000 } } },
	{ .name = "ten_ranges_merge_to_eight", .ranges = vpdt_ti_ten_to_eight, .nr = 10,
	  .capacity = 10, .ret = 0, .nr_segs = 8, .total_len = VPDT_PG(19),
	  .segs = { { 0x100000, 0x2000, 0 }, { 0x500000, 0x3000, 0x2000 },
		    { 0x700000, 0x1000, 0x5000 }, { 0x900000, 0x8000, 0x6000 },
		    { 0xb00000, 0x1000, 0xe000 }, { 0xd00000, 0x2000, 0xf000 },
		    { 0xf00000, 0x1000, 0x11000 }, { 0x1000, 0x1000, 0x12000 } } },
	{ .name = "pud_ranges_merge_first_two", .ranges = vpdt_ti_pud, .nr = 3, .capacity = 3,
	  .ret = 0, .nr_segs = 2, .total_len = VPDT_GIB(3),
	  .segs = { { 0x4000000000ULL, VPDT_GIB(2), 0 },
		    { 0x8000000000ULL, VPDT_GIB(1), VPDT_GIB(2) } } },
	{ .name = "range_below_top_of_phys", .ranges = vpdt_ti_below_top, .nr = 1, .capacity = 1,
	  .ret = 0, .nr_segs = 1, .total_len = 0x1000,
	  .segs = { { VPDT_TOP_PAGE - 0x1000, 0x1000, 0 } } },
	{ .name = "total_max", .ranges = vpdt_ti_total_max, .nr = 2, .capacity = 2, .ret = 0,
	  .nr_segs = 2, .total_len = VPDT_U64_MAX - VPDT_PG(2) + 1,
	  .segs = { { 0, VPDT_HALF, 0 }, { 0x10000, VPDT_HALF - VPDT_PG(2), VPDT_HALF } } },
	{ .name = "merge_huge", .ranges = vpdt_ti_merge_huge, .nr = 2, .capacity = 2, .ret = 0,
	  .nr_segs = 1, .total_len = VPDT_TOP_PAGE,
	  .segs = { { 0, VPDT_TOP_PAGE, 0 } } },
	/* Errors: the table is left empty. */
	{ .name = "nr_zero", .ranges = vpdt_ti_one, .nr = 0, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "nr_zero_capacity_zero", .ranges = vpdt_ti_one, .nr = 0, .capacity = 0,
	  .ret = -VPD_EINVAL },
	{ .name = "capacity_zero", .ranges = vpdt_ti_one, .nr = 1, .capacity = 0, .ret = -VPD_E2BIG },
	{ .name = "nr_above_capacity", .ranges = vpdt_ti_eight, .nr = 8, .capacity = 7,
	  .ret = -VPD_E2BIG },
	{ .name = "nr_above_capacity_even_if_merged", .ranges = vpdt_ti_chain3, .nr = 3,
	  .capacity = 1, .ret = -VPD_E2BIG },
	{ .name = "len_zero", .ranges = vpdt_ti_len0, .nr = 1, .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "phys_unaligned", .ranges = vpdt_ti_phys_unaligned, .nr = 1, .capacity = 1,
	  .ret = -VPD_EINVAL },
	{ .name = "len_unaligned", .ranges = vpdt_ti_len_unaligned, .nr = 1, .capacity = 1,
	  .ret = -VPD_EINVAL },
	{ .name = "len_below_page", .ranges = vpdt_ti_len_small, .nr = 1, .capacity = 1,
	  .ret = -VPD_EINVAL },
	{ .name = "second_range_len_zero", .ranges = vpdt_ti_second_len0, .nr = 2, .capacity = 2,
	  .ret = -VPD_EINVAL },
	{ .name = "phys_end_at_2_64", .ranges = vpdt_ti_top_end, .nr = 1, .capacity = 1,
	  .ret = -VPD_EOVERFLOW },
	{ .name = "phys_plus_len_overflows", .ranges = vpdt_ti_half_half, .nr = 1, .capacity = 1,
	  .ret = -VPD_EOVERFLOW },
	{ .name = "first_error_wins_overflow", .ranges = vpdt_ti_overflow_then_unaligned, .nr = 2,
	  .capacity = 2, .ret = -VPD_EOVERFLOW },
	{ .name = "first_error_wins_unaligned", .ranges = vpdt_ti_unaligned_then_overflow, .nr = 2,
	  .capacity = 2, .ret = -VPD_EINVAL },
	{ .name = "alignment_before_overflow", .ranges = vpdt_ti_unaligned_overflow, .nr = 1,
	  .capacity = 1, .ret = -VPD_EINVAL },
	{ .name = "total_overflows", .ranges = vpdt_ti_total_overflow, .nr = 2, .capacity = 2,
	  .ret = -VPD_EOVERFLOW },
	{ .name = "total_overflows_after_merge", .ranges = vpdt_ti_total_overflow_merged, .nr = 3,
	  .capacity = 3, .ret = -VPD_EOVERFLOW },
};

#endif /* VPD_TEST_TABLE_INIT_H */
