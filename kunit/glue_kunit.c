// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the glue's revoke decision: vpd_memory_usable() on a
 * vfio_pci_core_device built in memory (no device needed), for every
 * combination of power state, memory decode, no_command_memory and
 * runtime-PM engagement.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/vfio_pci_core.h>

#include "../src/compat.h"
#include "../src/vpd.h"

struct vpdt_usable_case {
	const char *name;
	pci_power_t state;
	bool mem_decode;
	bool no_command_memory;
	bool pm_runtime_engaged;
	bool usable;
};

static const struct vpdt_usable_case vpdt_usable_cases[] = {
	{ "D0, decode on", PCI_D0, true, false, false, true },
	{ "D0, decode off", PCI_D0, false, false, false, false },
	{ "D0, decode off, no command memory (VF)", PCI_D0, false, true, false, true },
	{ "D1, decode on", PCI_D1, true, false, false, true },
	{ "D2, decode on", PCI_D2, true, false, false, true },
	{ "D3hot, decode on", PCI_D3hot, true, false, false, false },
	{ "D3hot, no command memory", PCI_D3hot, true, true, false, false },
	{ "D3cold, decode on", PCI_D3cold, true, false, false, false },
	{ "low power engaged, D0, decode on", PCI_D0, true, false, true, false },
	{ "low power engaged, no command memory", PCI_D0, true, true, true, false },
};

KUNIT_ARRAY_PARAM_DESC(vpdt_usable, vpdt_usable_cases, name);

static void vpdt_memory_usable(struct kunit *test)
{
	const struct vpdt_usable_case *c = test->param_value;
	struct vfio_pci_core_device *vdev;
	struct pci_dev *pdev;
	u16 cmd;

	vdev = kunit_kzalloc(test, sizeof(*vdev), GFP_KERNEL);
	pdev = kunit_kzalloc(test, sizeof(*pdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vdev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pdev);
	vdev->vconfig = kunit_kzalloc(test, PCI_CFG_SPACE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vdev->vconfig);

	vdev->pdev = pdev;
	init_rwsem(&vdev->memory_lock);
	pdev->current_state = c->state;
	pdev->no_command_memory = c->no_command_memory;
	vdev->pm_runtime_engaged = c->pm_runtime_engaged;
	/* Other command bits set, to show only MEMORY matters. */
	cmd = PCI_COMMAND_IO | PCI_COMMAND_MASTER |
	      (c->mem_decode ? PCI_COMMAND_MEMORY : 0);
	*(__le16 *)&vdev->vconfig[PCI_COMMAND] = cpu_to_le16(cmd);

	down_read(&vdev->memory_lock);
	KUNIT_EXPECT_EQ(test, vpd_memory_usable(vdev), c->usable);
	up_read(&vdev->memory_lock);
}

static struct kunit_case vpdt_glue_cases[] = {
	KUNIT_CASE_PARAM(vpdt_memory_usable, vpdt_usable_gen_params),
	{}
};

static struct kunit_suite vpdt_glue_suite = {
	.name = "vfio_pci_dmabuf_glue",
	.test_cases = vpdt_glue_cases,
};

kunit_test_suite(vpdt_glue_suite);
