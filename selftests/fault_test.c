// SPDX-License-Identifier: GPL-2.0
/*
 * Fault counts to touch every page of a BAR mapping, ours next to vfio-pci.
 * What to expect follows from the huge PFN mappings the module reports it
 * inserts on this kernel (parameter huge_pfnmap: "pmd,pud", "pmd" or
 * "none"), never from the kernel's version.  Every count is exact: a failed
 * mapping (-1) or a mapping that took no fault (0) fails.
 */
#include "kselftest_harness.h"

#include "vpd_fixtures.h"

#define PAGES_64M	(SZ_64M / SZ_4K)

/*
 * 64 MiB BAR, mapped at a 2 MiB-aligned VA and at one 4 KiB past it.
 * With huge PFN maps: ours takes one PMD fault per 2 MiB when aligned, and
 * one 2 MiB fault-around per 2 MiB VA window (33 windows) when not;
 * vfio-pci takes the same PMD faults aligned, and one fault per page when
 * not.  Without: the first fault maps the whole VMA, for both drivers.
 */
TEST(fault_counts_64m)
{
	struct vpd_dev ours, stock;
	long o_al, o_un, s_al, s_un;
	int huge = vpd_huge_pfnmap();

	ASSERT_GE(huge, 0) TH_LOG("%s: %s", VPD_HUGE_PFNMAP_PARAM, strerror(-huge));
	ASSERT_EQ(0, open_role(&ours, "VPD_DEV_OURS"));
	ASSERT_EQ(0, open_role(&stock, "VPD_DEV_STOCK"));
	o_al = vpd_bar2_faults(&ours, SZ_64M, SZ_2M, 0);
	s_al = vpd_bar2_faults(&stock, SZ_64M, SZ_2M, 0);
	o_un = vpd_bar2_faults(&ours, SZ_64M, SZ_2M, SZ_4K);
	s_un = vpd_bar2_faults(&stock, SZ_64M, SZ_2M, SZ_4K);
	ksft_print_msg("FAULTS 64M aligned: ours %ld stock %ld; unaligned: ours %ld stock %ld (huge_pfnmap %#x)\n",
		       o_al, s_al, o_un, s_un, huge);
	/* Every count is a mapping that worked and faulted. */
	ASSERT_GT(o_al, 0);
	ASSERT_GT(s_al, 0);
	ASSERT_GT(o_un, 0);
	ASSERT_GT(s_un, 0);
	EXPECT_LE(o_al, s_al);
	EXPECT_LE(o_un, s_un);
	if (huge & VPD_HUGE_PMD) {
		EXPECT_EQ((long)(SZ_64M / SZ_2M), o_al);
		EXPECT_EQ((long)(SZ_64M / SZ_2M) + 1, o_un);
		EXPECT_EQ((long)(SZ_64M / SZ_2M), s_al);
		EXPECT_EQ((long)PAGES_64M, s_un);
	} else {
		EXPECT_EQ(1, o_al);
		EXPECT_EQ(1, o_un);
		EXPECT_EQ(1, s_al);
		EXPECT_EQ(1, s_un);
	}
	vpd_close(&ours);
	vpd_close(&stock);
}

VPD_FIXTURE_NONE(big);

/*
 * 1 GiB BAR (ours only: no twin), mapped whole at a 1 GiB-aligned VA, and
 * 1 GiB - 2 MiB of it at 4 KiB past a 1 GiB-aligned VA: one PUD, or one
 * PMD per 2 MiB without PUDs; one 2 MiB fault-around per 2 MiB VA window
 * (512) unaligned; one fault for the whole VMA without huge PFN maps.
 */
TEST_F_TIMEOUT(big, fault_counts_1g, VPD_BIG_TIMEOUT)
{
	struct vpd_dev big;
	long al, un;
	int huge = vpd_huge_pfnmap();

	ASSERT_GE(huge, 0) TH_LOG("%s: %s", VPD_HUGE_PFNMAP_PARAM, strerror(-huge));
	ASSERT_EQ(0, open_role(&big, "VPD_DEV_BIG"));
	al = vpd_bar2_faults(&big, SZ_1G, SZ_1G, 0);
	un = vpd_bar2_faults(&big, SZ_1G - SZ_2M, SZ_1G, SZ_4K);
	ksft_print_msg("FAULTS 1G ours: aligned %ld, unaligned %ld (huge_pfnmap %#x)\n",
		       al, un, huge);
	ASSERT_GT(al, 0);
	ASSERT_GT(un, 0);
	if (huge & VPD_HUGE_PUD) {
		EXPECT_EQ(1, al);
	} else if (huge & VPD_HUGE_PMD) {
		EXPECT_EQ((long)(SZ_1G / SZ_2M), al);
	} else {
		EXPECT_EQ(1, al);
	}
	if (huge & VPD_HUGE_PMD) {
		EXPECT_EQ((long)(SZ_1G / SZ_2M), un);
	} else {
		EXPECT_EQ(1, un);
	}
	vpd_close(&big);
}

TEST_HARNESS_MAIN
