// SPDX-License-Identifier: GPL-2.0
/*
 * A planted out-of-bounds read for the harness self-test: one byte past the
 * end of a kmalloc'ed buffer, at an index the compiler cannot see.  KASAN
 * must report it.  Never part of the product.
 */
#include <linux/module.h>
#include <linux/slab.h>

#define VPD_PLANT_KASAN_SIZE 40

static int __init vpd_plant_kasan_init(void)
{
	volatile size_t i = VPD_PLANT_KASAN_SIZE;
	char *p = kzalloc(VPD_PLANT_KASAN_SIZE, GFP_KERNEL);
	char c;

	if (!p)
		return -ENOMEM;
	c = ((volatile char *)p)[i];
	kfree(p);
	pr_info("vpd-plant-kasan: read byte %zu of a %d-byte buffer: %d\n",
		(size_t)i, VPD_PLANT_KASAN_SIZE, c);
	return 0;
}

static void __exit vpd_plant_kasan_exit(void)
{
}

module_init(vpd_plant_kasan_init);
module_exit(vpd_plant_kasan_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("planted out-of-bounds read for the vfio-pci-dmabuf test harness self-test");
