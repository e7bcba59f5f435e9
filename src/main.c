// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-pci-dmabuf: a vfio-pci variant driver that backs PCI BAR mmaps with
 * DMABUFs.  This file is the pci_driver: probe/remove, the ids= parameter
 * and module init/exit.  Devices bind through driver_override (like
 * vfio-pci) or through ids=.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "vfio_pci_dmabuf/core.h"
#include "compat.h"
#include "vpd.h"

/* The core returns these errno values without kernel headers. */
static_assert(VPD_EPERM == EPERM);
static_assert(VPD_E2BIG == E2BIG);
static_assert(VPD_ENOMEM == ENOMEM);
static_assert(VPD_EFAULT == EFAULT);
static_assert(VPD_ENODEV == ENODEV);
static_assert(VPD_EINVAL == EINVAL);
static_assert(VPD_EOVERFLOW == EOVERFLOW);
static_assert(VPD_PAGE_SHIFT == PAGE_SHIFT);
static_assert(VPD_PMD_ORDER == PMD_SHIFT - PAGE_SHIFT);
static_assert(VPD_PUD_ORDER == PUD_SHIFT - PAGE_SHIFT);
static_assert(VPD_VFIO_NUM_BARS == PCI_STD_NUM_BARS);
static_assert(VPD_VFIO_ROM_REGION_INDEX == VFIO_PCI_ROM_REGION_INDEX);
static_assert(VPD_VFIO_NUM_REGIONS == VFIO_PCI_NUM_REGIONS);

static char ids[1024] __initdata;
module_param_string(ids, ids, sizeof(ids), 0);
MODULE_PARM_DESC(ids, "Initial PCI IDs to add to the driver, format is \"vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]\" and multiple comma separated entries can be specified");

/*
 * 7.3: vfio-pci-core's own DMABUF export instead of ours.  Its DMABUFs are
 * what iommufd (IOMMU_IOAS_MAP_FILE) accepts, but they cannot be mmap()ed.
 * Documentation/uapi.rst, "iommufd".
 */
bool vpd_core_dma_buf;
module_param_named(core_dma_buf, vpd_core_dma_buf, bool, 0644);
MODULE_PARM_DESC(core_dma_buf, "Serve VFIO_DEVICE_FEATURE_DMA_BUF with vfio-pci-core's export (iommufd-importable, not mmap-able; kernels with that export only, 6.19+; read at each request). Default: our mmap-able export.");

static bool enable_sriov;
module_param(enable_sriov, bool, 0644);
MODULE_PARM_DESC(enable_sriov, "Enable support for SR-IOV configuration, as vfio-pci's parameter of the same name.");

/*
 * The huge PFN mappings this build inserts: "pmd,pud", "pmd" or "none", as
 * the conftest found the kernel.  Read-only (the selftests read it in
 * /sys/module/vfio_pci_dmabuf/parameters/); also in modinfo, as huge_pfnmap.
 */
static int vpd_huge_pfnmap_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static int vpd_huge_pfnmap_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", VPD_HUGE_PFNMAP_ORDERS);
}

static const struct kernel_param_ops vpd_huge_pfnmap_ops = {
	.set = vpd_huge_pfnmap_set,
	.get = vpd_huge_pfnmap_get,
};
module_param_cb(huge_pfnmap, &vpd_huge_pfnmap_ops, NULL, 0444);
MODULE_PARM_DESC(huge_pfnmap, "Read-only: huge PFN mappings this build inserts on this kernel (pmd,pud / pmd / none).");

static int vpd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vpd_device *vpd;
	int ret;

	vpd = vfio_alloc_device(vpd_device, core.vdev, &pdev->dev,
				&vpd_vfio_ops);
	if (IS_ERR(vpd))
		return PTR_ERR(vpd);

	dev_set_drvdata(&pdev->dev, &vpd->core);
	vpd_device_setup(vpd);

	ret = vfio_pci_core_register_device(&vpd->core);
	if (ret)
		goto out_put_vdev;
	vpd_stats_register(vpd);
	return 0;

out_put_vdev:
	vfio_put_device(&vpd->core.vdev);
	return ret;
}

static void vpd_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vpd_stats_unregister(vpd_from_vfio(&vdev->vdev));
	vpd_revoke_remove(vpd_from_vfio(&vdev->vdev));
	vfio_put_device(&vdev->vdev);
}

/*
 * Every reset of the device, whoever starts it (vfio-pci-core for an FLR,
 * VFIO_DEVICE_RESET or a hot reset through any fd of the bus; sysfs; AER),
 * passes through here: exports are revoked for its duration.
 */
static void vpd_reset_prepare(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vpd_revoke_reset_prepare(vpd_from_vfio(&vdev->vdev));
}

static void vpd_reset_done(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vpd_revoke_reset_done(vpd_from_vfio(&vdev->vdev));
}

static const struct pci_error_handlers vpd_err_handlers = {
	.error_detected	= vfio_pci_core_aer_err_detected,
	.reset_prepare	= vpd_reset_prepare,
	.reset_done	= vpd_reset_done,
};

static int vpd_sriov_configure(struct pci_dev *pdev, int nr_virtfn)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	if (!enable_sriov)
		return -ENOENT;

	return vfio_pci_core_sriov_configure(vdev, nr_virtfn);
}

/* Like vfio-pci: match nothing by ID, bind through driver_override/ids=. */
static const struct pci_device_id vpd_pci_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vpd_pci_table);

static struct pci_driver vpd_pci_driver = {
	.name			= VPD_DRIVER_NAME,
	.id_table		= vpd_pci_table,
	.probe			= vpd_probe,
	.remove			= vpd_remove,
	.sriov_configure	= vpd_sriov_configure,
	.err_handler		= &vpd_err_handlers,
	.driver_managed_dma	= true,
};

static void __init vpd_fill_ids(void)
{
	char *p = ids, *id;

	while ((id = strsep(&p, ","))) {
		unsigned int vendor, device, subvendor = PCI_ANY_ID,
			subdevice = PCI_ANY_ID, class = 0, class_mask = 0;
		int fields, rc;

		if (!strlen(id))
			continue;

		fields = sscanf(id, "%x:%x:%x:%x:%x:%x", &vendor, &device,
				&subvendor, &subdevice, &class, &class_mask);
		if (fields < 2) {
			pr_warn("invalid id string \"%s\"\n", id);
			continue;
		}

		rc = pci_add_dynid(&vpd_pci_driver, vendor, device, subvendor,
				   subdevice, class, class_mask, 0);
		if (rc)
			pr_warn("failed to add dynamic id [%04x:%04x[%04x:%04x]] class %#08x/%08x (%d)\n",
				vendor, device, subvendor, subdevice, class,
				class_mask, rc);
		else
			pr_info("add [%04x:%04x[%04x:%04x]] class %#08x/%08x\n",
				vendor, device, subvendor, subdevice, class,
				class_mask);
	}
}

static int __init vpd_init(void)
{
	int ret;

	if (vpd_core_dma_buf && !VPD_CORE_DMA_BUF)
		pr_warn("core_dma_buf: this kernel's vfio-pci-core has no DMABUF export; ignored\n");

	vpd_stats_init_module();
	ret = pci_register_driver(&vpd_pci_driver);
	if (ret) {
		vpd_stats_exit_module();
		return ret;
	}

	vpd_fill_ids();
	return 0;
}

static void __exit vpd_exit(void)
{
	pci_unregister_driver(&vpd_pci_driver);
	vpd_stats_exit_module();
}

module_init(vpd_init);
module_exit(vpd_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-pci variant driver backing BAR mmaps with DMABUFs");
MODULE_SOFTDEP("pre: vfio-pci-core");
VPD_MODULE_IMPORT_NS_DMA_BUF();
/* How BAR mappings reach vfio-pci-core's zap on this kernel (modinfo). */
MODULE_INFO(revoke, VPD_REVOKE_MECHANISM);
/* Huge PFN mappings this build inserts: "pmd,pud", "pmd" or "none" (modinfo). */
MODULE_INFO(huge_pfnmap, VPD_HUGE_PFNMAP_ORDERS);
