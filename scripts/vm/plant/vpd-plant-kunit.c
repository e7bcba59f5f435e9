// SPDX-License-Identifier: GPL-2.0
/*
 * A planted failing KUnit case for the harness self-test.  With
 * CONFIG_KUNIT=y the suite runs when the module is loaded, and the run must
 * count one failed KUnit case.  Never part of the product.
 */
#include <kunit/test.h>
#include <linux/module.h>

static void vpd_plant_kunit_fails(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, 1, 2, "planted failure");
}

static struct kunit_case vpd_plant_kunit_cases[] = {
	KUNIT_CASE(vpd_plant_kunit_fails),
	{}
};

static struct kunit_suite vpd_plant_kunit_suite = {
	.name = "vpd_plant_kunit",
	.test_cases = vpd_plant_kunit_cases,
};
kunit_test_suite(vpd_plant_kunit_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("planted failing KUnit case for the vfio-pci-dmabuf test harness self-test");
