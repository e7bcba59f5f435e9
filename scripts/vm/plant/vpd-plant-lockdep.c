// SPDX-License-Identifier: GPL-2.0
/*
 * A planted lock inversion for the harness self-test: A then B, later B
 * then A, one after the other in one thread.  Nothing deadlocks, but lockdep
 * must report a possible circular locking dependency.  Never part of the
 * product.
 */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(vpd_plant_a);
static DEFINE_MUTEX(vpd_plant_b);

static int __init vpd_plant_lockdep_init(void)
{
	mutex_lock(&vpd_plant_a);
	mutex_lock(&vpd_plant_b);
	mutex_unlock(&vpd_plant_b);
	mutex_unlock(&vpd_plant_a);

	mutex_lock(&vpd_plant_b);
	mutex_lock(&vpd_plant_a);
	mutex_unlock(&vpd_plant_a);
	mutex_unlock(&vpd_plant_b);

	pr_info("vpd-plant-lockdep: took A then B, then B then A\n");
	return 0;
}

static void __exit vpd_plant_lockdep_exit(void)
{
}

module_init(vpd_plant_lockdep_init);
module_exit(vpd_plant_lockdep_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("planted lock inversion for the vfio-pci-dmabuf test harness self-test");
