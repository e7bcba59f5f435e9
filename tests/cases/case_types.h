/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types of the core's test-case tables.
 *
 * The tables (the headers in tests/cases/) are plain C99 with designated initialisers
 * and only built-in and core.h types, so that the same file is included by
 * the hosted GoogleTest runner (C++, gnu++17) and by the KUnit suite (kernel
 * C).  Designated initialisers must therefore name the fields in declaration
 * order (C++ requires it) and not use array designators.
 *
 * Each case has a `name` (unique within its table: the KUnit parameter
 * description and the GoogleTest parameter name), its inputs and the
 * expected return value and outputs.  Outputs are only compared when the
 * expected return value is 0.
 */
#ifndef VPD_TEST_CASE_TYPES_H
#define VPD_TEST_CASE_TYPES_H

#include "vfio_pci_dmabuf/core.h"

/* Number of elements of an array. */
#define VPDT_N(a) ((unsigned int)(sizeof(a) / sizeof((a)[0])))

/* Sizes. */
#define VPDT_PG(n) ((unsigned long long)(n) * VPD_PAGE_SIZE)
#define VPDT_KIB(n) ((unsigned long long)(n) << 10)
#define VPDT_MIB(n) ((unsigned long long)(n) << 20)
#define VPDT_GIB(n) ((unsigned long long)(n) << 30)
#define VPDT_PMD VPDT_MIB(2)
#define VPDT_PUD VPDT_GIB(1)
#define VPDT_U64_MAX (~0ULL)
/* The highest page-aligned address. */
#define VPDT_TOP_PAGE (VPDT_U64_MAX & ~(VPD_PAGE_SIZE - 1))
/* PFN of a physical address. */
#define VPDT_PFN(pa) ((unsigned long long)(pa) >> VPD_PAGE_SHIFT)
/* vm_pgoff of a vfio region offset. */
#define VPDT_REGION_PGOFF(index, off) \
	(((unsigned long long)(index) << (VPD_VFIO_OFFSET_SHIFT - VPD_PAGE_SHIFT)) + \
	 ((unsigned long long)(off) >> VPD_PAGE_SHIFT))

/* Expected segments of a built table in one case (enough for every case). */
#define VPDT_MAX_SEGS 8

/* vpd_table_init(): ranges[0..nr) into a table of `capacity`. */
struct vpd_table_init_case {
	const char *name;
	const struct vpd_phys_range *ranges;
	unsigned int nr;
	unsigned int capacity;
	int ret;
	unsigned int nr_segs;
	unsigned long long total_len;
	struct vpd_seg segs[VPDT_MAX_SEGS];
};

/*
 * vpd_find_pfn(): on the table built from ranges[0..nr) (nr == 0: the empty
 * table vpd_table_init() leaves behind on error).
 */
struct vpd_find_pfn_case {
	const char *name;
	const struct vpd_phys_range *ranges;
	unsigned int nr;
	struct vpd_vma_geom geom;
	unsigned long long addr;
	unsigned int order;
	int ret;
	unsigned long long pfn;
};

/* vpd_fault_around(): same inputs as vpd_find_pfn() without the order. */
struct vpd_fault_around_case {
	const char *name;
	const struct vpd_phys_range *ranges;
	unsigned int nr;
	struct vpd_vma_geom geom;
	unsigned long long addr;
	int ret;
	struct vpd_run run;
};

/* vpd_bar_map(): `bars` has VPD_VFIO_NUM_BARS entries. */
struct vpd_bar_map_case {
	const char *name;
	const struct vpd_bar_desc *bars;
	struct vpd_bar_mmap_req req;
	int ret;
	struct vpd_bar_map out;
};

/* vpd_export_check_header(). */
struct vpd_export_header_case {
	const char *name;
	const struct vpd_bar_desc *bars;
	struct vpd_export_req req;
	int ret;
};

/*
 * vpd_export_build(): req.nr_ranges ranges from `ranges` into a table of
 * `capacity`.
 */
struct vpd_export_build_case {
	const char *name;
	const struct vpd_bar_desc *bars;
	struct vpd_export_req req;
	const struct vpd_dma_range *ranges;
	unsigned int capacity;
	int ret;
	unsigned int nr_segs;
	unsigned long long total_len;
	struct vpd_seg segs[VPDT_MAX_SEGS];
};

/*
 * vpd_cfg_write_peeks() + vpd_cfg_peek_revokes(): a config write of
 * `count` bytes at `pos` carrying `bytes` (count <= 8) on a device with
 * `caps`; `revokes`: whether it may disable memory.
 */
struct vpd_cfg_write_case {
	const char *name;
	struct vpd_cfg_caps caps;
	unsigned int pos;
	unsigned int count;
	unsigned char bytes[8];
	int revokes;
};

#endif /* VPD_TEST_CASE_TYPES_H */
