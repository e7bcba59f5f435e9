// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the vfio-pci-dmabuf core (src/core/): runs the case tables
 * of tests/cases/ -- the same tables the hosted GoogleTest runner uses --
 * against the in-kernel build of the core, one parameterised test per table.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/string.h>

#include "vfio_pci_dmabuf/core.h"
#include "../src/compat.h"

#include "../tests/cases/table_init.h"
#include "../tests/cases/cfg.h"
#include "../tests/cases/find_pfn.h"
#include "../tests/cases/fault_around.h"
#include "../tests/cases/vfio.h"

#define VPDT_POISON 0xa5
#define VPDT_POISON64 0xa5a5a5a5a5a5a5a5ULL

/* A caller-allocated table of `capacity` segments, poisoned. */
static struct vpd_table *vpdt_alloc_table(struct kunit *test, unsigned int capacity)
{
	size_t size = sizeof(struct vpd_table) + capacity * sizeof(struct vpd_seg);
	struct vpd_table *t = kunit_kmalloc(test, size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	memset(t, VPDT_POISON, size);
	return t;
}

/*
 * The table a lookup case runs on; nr == 0: the empty table a failed
 * vpd_table_init() leaves behind.
 */
static struct vpd_table *vpdt_lookup_table(struct kunit *test,
					   const struct vpd_phys_range *ranges,
					   unsigned int nr)
{
	struct vpd_table *t = vpdt_alloc_table(test, nr ? nr : 1);

	if (!nr) {
		KUNIT_ASSERT_EQ(test, vpd_table_init(t, 1, ranges, 0), -VPD_EINVAL);
		KUNIT_ASSERT_EQ(test, t->nr_segs, 0U);
		KUNIT_ASSERT_EQ(test, t->total_len, 0ULL);
		return t;
	}
	KUNIT_ASSERT_EQ(test, vpd_table_init(t, nr, ranges, nr), 0);
	return t;
}

static void vpdt_expect_segs(struct kunit *test, const struct vpd_table *t,
			     unsigned int nr_segs, unsigned long long total_len,
			     const struct vpd_seg *segs)
{
	unsigned int i;

	KUNIT_ASSERT_EQ(test, t->nr_segs, nr_segs);
	KUNIT_ASSERT_LE(test, nr_segs, (unsigned int)VPDT_MAX_SEGS);
	KUNIT_EXPECT_EQ(test, t->total_len, total_len);
	for (i = 0; i < nr_segs; i++) {
		KUNIT_EXPECT_EQ_MSG(test, t->segs[i].phys_addr, segs[i].phys_addr, "seg %u", i);
		KUNIT_EXPECT_EQ_MSG(test, t->segs[i].len, segs[i].len, "seg %u", i);
		KUNIT_EXPECT_EQ_MSG(test, t->segs[i].buf_offset, segs[i].buf_offset, "seg %u", i);
	}
}

/* --- vpd_table_init() ---------------------------------------------------- */

KUNIT_ARRAY_PARAM_DESC(vpdt_table_init, vpd_table_init_cases, name);

static void vpd_table_init_test(struct kunit *test)
{
	const struct vpd_table_init_case *c = test->param_value;
	struct vpd_table *t = vpdt_alloc_table(test, c->capacity);

	KUNIT_ASSERT_EQ(test, vpd_table_init(t, c->capacity, c->ranges, c->nr), c->ret);
	KUNIT_EXPECT_EQ(test, t->capacity, c->capacity);
	if (c->ret) {
		KUNIT_EXPECT_EQ(test, t->nr_segs, 0U);
		KUNIT_EXPECT_EQ(test, t->total_len, 0ULL);
		return;
	}
	vpdt_expect_segs(test, t, c->nr_segs, c->total_len, c->segs);
}

/* --- vpd_find_pfn() ------------------------------------------------------ */

KUNIT_ARRAY_PARAM_DESC(vpdt_find_pfn, vpd_find_pfn_cases, name);

static void vpd_find_pfn_test(struct kunit *test)
{
	const struct vpd_find_pfn_case *c = test->param_value;
	struct vpd_table *t = vpdt_lookup_table(test, c->ranges, c->nr);
	unsigned long long pfn = VPDT_POISON64, pfn0 = 0, size;

	KUNIT_ASSERT_EQ(test, vpd_find_pfn(t, &c->geom, c->addr, c->order, &pfn), c->ret);
	if (c->ret) {
		KUNIT_EXPECT_EQ(test, pfn, VPDT_POISON64);
		return;
	}
	KUNIT_EXPECT_EQ(test, pfn, c->pfn);
	/* The order-0 page at the huge page's start has the same PFN. */
	size = VPD_PAGE_SIZE << c->order;
	KUNIT_ASSERT_EQ(test, vpd_find_pfn(t, &c->geom, c->addr & ~(size - 1), 0, &pfn0), 0);
	KUNIT_EXPECT_EQ(test, pfn0, c->pfn);
}

/* --- vpd_fault_around() -------------------------------------------------- */

KUNIT_ARRAY_PARAM_DESC(vpdt_fault_around, vpd_fault_around_cases, name);

static void vpd_fault_around_test(struct kunit *test)
{
	const struct vpd_fault_around_case *c = test->param_value;
	struct vpd_table *t = vpdt_lookup_table(test, c->ranges, c->nr);
	unsigned long long pfn = 0, page = c->addr & ~(VPD_PAGE_SIZE - 1);
	struct vpd_run run;

	memset(&run, VPDT_POISON, sizeof(run));
	KUNIT_ASSERT_EQ(test, vpd_fault_around(t, &c->geom, c->addr, &run), c->ret);
	if (c->ret) {
		KUNIT_EXPECT_EQ(test, run.start_addr, VPDT_POISON64);
		KUNIT_EXPECT_EQ(test, run.pfn, VPDT_POISON64);
		KUNIT_EXPECT_EQ(test, run.nr_pages, VPDT_POISON64);
		/* Same errors as vpd_find_pfn(). */
		KUNIT_EXPECT_EQ(test, vpd_find_pfn(t, &c->geom, c->addr, 0, &pfn), c->ret);
		return;
	}
	KUNIT_EXPECT_EQ(test, run.start_addr, c->run.start_addr);
	KUNIT_EXPECT_EQ(test, run.pfn, c->run.pfn);
	KUNIT_EXPECT_EQ(test, run.nr_pages, c->run.nr_pages);
	/* Consistent with the order-0 lookup at the fault. */
	KUNIT_ASSERT_EQ(test, vpd_find_pfn(t, &c->geom, c->addr, 0, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, run.pfn + (page - run.start_addr) / VPD_PAGE_SIZE);
}

/* --- vpd_bar_map() ------------------------------------------------------- */

KUNIT_ARRAY_PARAM_DESC(vpdt_bar_map, vpd_bar_map_cases, name);

static void vpd_bar_map_test(struct kunit *test)
{
	const struct vpd_bar_map_case *c = test->param_value;
	struct vpd_bar_map out;
	struct vpd_table *t;
	struct vpd_vma_geom g;
	unsigned long long pfn = 0;

	memset(&out, VPDT_POISON, sizeof(out));
	KUNIT_ASSERT_EQ(test, vpd_bar_map(c->bars, &c->req, &out), c->ret);
	if (c->ret) {
		KUNIT_EXPECT_EQ(test, out.bar_offset, VPDT_POISON64);
		return;
	}
	KUNIT_EXPECT_EQ(test, out.bar, c->out.bar);
	KUNIT_EXPECT_EQ(test, out.bar_offset, c->out.bar_offset);
	KUNIT_EXPECT_EQ(test, out.range.phys_addr, c->out.range.phys_addr);
	KUNIT_EXPECT_EQ(test, out.range.len, c->out.range.len);
	KUNIT_EXPECT_EQ(test, out.pgoff_adjust, c->out.pgoff_adjust);
	/* A valid one-range buffer whose first byte vm_start maps. */
	t = vpdt_alloc_table(test, 1);
	KUNIT_ASSERT_EQ(test, vpd_table_init(t, 1, &out.range, 1), 0);
	g.start_addr = 0x7f0000000000ULL;
	g.end_addr = g.start_addr + c->req.len;
	g.pgoff = c->req.vm_pgoff;
	g.pgoff_adjust = out.pgoff_adjust;
	KUNIT_ASSERT_EQ(test, vpd_find_pfn(t, &g, g.start_addr, 0, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, out.range.phys_addr >> VPD_PAGE_SHIFT);
}

/* --- vpd_export_check_header() ------------------------------------------- */

KUNIT_ARRAY_PARAM_DESC(vpdt_export_header, vpd_export_header_cases, name);

static void vpd_export_check_header_test(struct kunit *test)
{
	const struct vpd_export_header_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, vpd_export_check_header(&c->req, c->bars), c->ret);
}

/* --- vpd_export_build() -------------------------------------------------- */

KUNIT_ARRAY_PARAM_DESC(vpdt_export_build, vpd_export_build_cases, name);

static void vpd_export_build_test(struct kunit *test)
{
	const struct vpd_export_build_case *c = test->param_value;
	struct vpd_table *t = vpdt_alloc_table(test, c->capacity);

	KUNIT_ASSERT_EQ(test, vpd_export_build(&c->req, c->ranges, c->bars, t, c->capacity),
			c->ret);
	KUNIT_EXPECT_EQ(test, t->capacity, c->capacity);
	if (c->ret) {
		KUNIT_EXPECT_EQ(test, t->nr_segs, 0U);
		KUNIT_EXPECT_EQ(test, t->total_len, 0ULL);
		return;
	}
	KUNIT_EXPECT_EQ(test, vpd_export_check_header(&c->req, c->bars), 0);
	vpdt_expect_segs(test, t, c->nr_segs, c->total_len, c->segs);
}

/* --- the config-write revoke predicate ------------------------------------ */

KUNIT_ARRAY_PARAM_DESC(vpdt_cfg_write, vpd_cfg_write_cases, name);

static void vpd_cfg_write_test(struct kunit *test)
{
	const struct vpd_cfg_write_case *c = test->param_value;
	struct vpd_cfg_peek peeks[VPD_CFG_MAX_PEEKS];
	unsigned int i, n;
	int revokes = 0;

	n = vpd_cfg_write_peeks(&c->caps, c->pos, c->count, peeks);
	KUNIT_ASSERT_LE(test, n, (unsigned int)VPD_CFG_MAX_PEEKS);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_LT(test, peeks[i].buf_offset, c->count);
		revokes |= vpd_cfg_peek_revokes(&peeks[i], c->bytes[peeks[i].buf_offset]);
	}
	KUNIT_EXPECT_EQ(test, revokes, c->revokes);
}

static struct kunit_case vfio_pci_dmabuf_core_cases[] = {
	KUNIT_CASE_PARAM(vpd_table_init_test, vpdt_table_init_gen_params),
	KUNIT_CASE_PARAM(vpd_find_pfn_test, vpdt_find_pfn_gen_params),
	KUNIT_CASE_PARAM(vpd_fault_around_test, vpdt_fault_around_gen_params),
	KUNIT_CASE_PARAM(vpd_bar_map_test, vpdt_bar_map_gen_params),
	KUNIT_CASE_PARAM(vpd_export_check_header_test, vpdt_export_header_gen_params),
	KUNIT_CASE_PARAM(vpd_export_build_test, vpdt_export_build_gen_params),
	KUNIT_CASE_PARAM(vpd_cfg_write_test, vpdt_cfg_write_gen_params),
	{}
};

static struct kunit_suite vfio_pci_dmabuf_core_suite = {
	.name = "vfio_pci_dmabuf_core",
	.test_cases = vfio_pci_dmabuf_core_cases,
};
kunit_test_suite(vfio_pci_dmabuf_core_suite);

MODULE_DESCRIPTION("KUnit tests of the vfio-pci-dmabuf core");
MODULE_LICENSE("GPL");
