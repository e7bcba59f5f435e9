// SPDX-License-Identifier: GPL-2.0
/*
 * A planted soft lockup for the harness self-test: spin with preemption
 * disabled for longer than the soft lockup threshold (2 * watchdog_thresh
 * seconds; the VM's init lowers watchdog_thresh to 1 around this module, so
 * the default 5 s spin is reported once).  Never part of the product.
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <asm/processor.h>

static unsigned int seconds = 5;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "how long to spin with preemption disabled");

static int __init vpd_plant_softlockup_init(void)
{
	ktime_t end = ktime_add_ms(ktime_get(), seconds * MSEC_PER_SEC);

	pr_info("vpd-plant-softlockup: spinning for %u s\n", seconds);
	preempt_disable();
	while (ktime_before(ktime_get(), end))
		cpu_relax();
	preempt_enable();
	pr_info("vpd-plant-softlockup: done\n");
	return 0;
}

static void __exit vpd_plant_softlockup_exit(void)
{
}

module_init(vpd_plant_softlockup_init);
module_exit(vpd_plant_softlockup_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("planted soft lockup for the vfio-pci-dmabuf test harness self-test");
