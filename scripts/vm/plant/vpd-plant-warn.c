// SPDX-License-Identifier: GPL-2.0
/*
 * A planted WARN for the harness self-test: loading this module must turn
 * the VM run red.  Never part of the product.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init vpd_plant_warn_init(void)
{
	WARN(1, "vpd-plant-warn: planted warning\n");
	return 0;
}

static void __exit vpd_plant_warn_exit(void)
{
}

module_init(vpd_plant_warn_init);
module_exit(vpd_plant_warn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("planted WARN for the vfio-pci-dmabuf test harness self-test");
