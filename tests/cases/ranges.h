/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Range sets shared by the lookup tables (find_pfn.h, fault_around.h), and
 * the addresses they use.  Buffer offsets of each range in comments.
 */
#ifndef VPD_TEST_RANGES_H
#define VPD_TEST_RANGES_H

#include "case_types.h"

/* A 1 GiB-aligned user address for VMAs. */
#define VPDT_VA 0x7f0000000000ULL
/* The highest 2 MiB-aligned user address: a VMA there ends at VPDT_TOP_PAGE. */
#define VPDT_VA_TOP (VPDT_U64_MAX & ~(VPDT_PMD - 1))

/* One 2 GiB range, 1 GiB-aligned: every order fits. */
#define VPDT_BIG_PHYS 0x4000000000ULL
static const struct vpd_phys_range vpdt_rs_big[] = {
	{ VPDT_BIG_PHYS, VPDT_GIB(2) },			/* [0, 2G) */
};

/* One 4 MiB range starting one page past a 2 MiB boundary. */
static const struct vpd_phys_range vpdt_rs_off1p[] = {
	{ VPDT_BIG_PHYS + VPDT_PG(1), VPDT_MIB(4) },	/* [0, 4M) */
};

/* Five ranges; a one-page range shifts the later ones off 2 MiB alignment. */
static const struct vpd_phys_range vpdt_rs_multi[] = {
	{ 0x80000000ULL, VPDT_MIB(2) },			/* [0, 2M) */
	{ 0x100000000ULL, VPDT_MIB(4) },		/* [2M, 6M) */
	{ 0x200000ULL, VPDT_PG(1) },			/* [6M, 6M+4K) */
	{ 0xc0000000ULL, VPDT_MIB(4) },			/* [6M+4K, 10M+4K) */
	{ 0x180000000ULL, VPDT_MIB(2) },		/* [10M+4K, 12M+4K) */
};
#define VPDT_MULTI_TOTAL (VPDT_MIB(12) + VPDT_PG(1))

static const struct vpd_phys_range vpdt_rs_2m[] = {
	{ 0x40000000ULL, VPDT_MIB(2) },			/* [0, 2M) */
};

static const struct vpd_phys_range vpdt_rs_1m[] = {
	{ 0x40000000ULL, VPDT_MIB(1) },			/* [0, 1M) */
};

/* Physically contiguous: merged into one 2 MiB segment. */
static const struct vpd_phys_range vpdt_rs_contig[] = {
	{ 0x40000000ULL, VPDT_MIB(1) },			/* [0, 1M) */
	{ 0x40100000ULL, VPDT_MIB(1) },			/* [1M, 2M) */
};

/* Contiguous in the reverse order: not merged. */
static const struct vpd_phys_range vpdt_rs_revcontig[] = {
	{ 0x40100000ULL, VPDT_MIB(1) },			/* [0, 1M) */
	{ 0x40000000ULL, VPDT_MIB(1) },			/* [1M, 2M) */
};

/* The same 2 MiB twice. */
static const struct vpd_phys_range vpdt_rs_alias[] = {
	{ 0x40000000ULL, VPDT_MIB(2) },			/* [0, 2M) */
	{ 0x40000000ULL, VPDT_MIB(2) },			/* [2M, 4M) */
};

/* Two 1 GiB ranges. */
static const struct vpd_phys_range vpdt_rs_pud2[] = {
	{ VPDT_BIG_PHYS, VPDT_GIB(1) },			/* [0, 1G) */
	{ 0x8000000000ULL, VPDT_GIB(1) },		/* [1G, 2G) */
};

/* 1 GiB, 2 MiB- but not 1 GiB-aligned. */
static const struct vpd_phys_range vpdt_rs_pud_mis[] = {
	{ VPDT_BIG_PHYS + VPDT_PMD, VPDT_GIB(1) },	/* [0, 1G) */
};

/* Eight small ranges of varied lengths (in pages: 1 2 3 1 4 1 2 1). */
static const struct vpd_phys_range vpdt_rs_eight[] = {
	{ 0x100000ULL, VPDT_PG(1) },			/* [0p, 1p) */
	{ 0x300000ULL, VPDT_PG(2) },			/* [1p, 3p) */
	{ 0x500000ULL, VPDT_PG(3) },			/* [3p, 6p) */
	{ 0x700000ULL, VPDT_PG(1) },			/* [6p, 7p) */
	{ 0x900000ULL, VPDT_PG(4) },			/* [7p, 11p) */
	{ 0xb00000ULL, VPDT_PG(1) },			/* [11p, 12p) */
	{ 0xd00000ULL, VPDT_PG(2) },			/* [12p, 14p) */
	{ 0xf00000ULL, VPDT_PG(1) },			/* [14p, 15p) */
};

/* At the top of the physical address space (ends at 2^64 - 4K). */
#define VPDT_TOP_PHYS (VPDT_U64_MAX & ~(VPDT_PMD - 1))
static const struct vpd_phys_range vpdt_rs_top[] = {
	{ VPDT_TOP_PHYS, VPDT_PMD - VPDT_PG(1) },	/* [0, 2M-4K) */
};

#endif /* VPD_TEST_RANGES_H */
