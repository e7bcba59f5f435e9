// SPDX-License-Identifier: GPL-2.0
/*
 * A planted memory leak for the harness self-test: kmemleak must list the
 * objects this module allocates and forgets.  Never part of the product.
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#define VPD_PLANT_LEAKS 4
#define VPD_PLANT_LEAK_SIZE 96

static int __init vpd_plant_leak_init(void)
{
	int i, n = 0;

	for (i = 0; i < VPD_PLANT_LEAKS; i++) {
		void *p = kmalloc(VPD_PLANT_LEAK_SIZE, GFP_KERNEL);

		if (!p)
			continue;
		/* No byte of the contents looks like a pointer. */
		memset(p, 0x5a, VPD_PLANT_LEAK_SIZE);
		OPTIMIZER_HIDE_VAR(p);
		n++;
		/* ... and the pointer is dropped here. */
	}
	pr_info("vpd-plant-leak: leaked %d objects of %d bytes\n", n,
		VPD_PLANT_LEAK_SIZE);
	return 0;
}

static void __exit vpd_plant_leak_exit(void)
{
}

module_init(vpd_plant_leak_init);
module_exit(vpd_plant_leak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("planted memory leak for the vfio-pci-dmabuf test harness self-test");
