// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_device_ops of vfio-pci-dmabuf.  mmap is ours (DMABUF-backed BAR
 * mappings, src/mm.c), and so are VFIO_DEVICE_FEATURE_DMA_BUF and our two
 * DMABUF features (src/export.c).  Every other op is vfio-pci-core's, as
 * with vfio-pci; around those that may disable the device's memory, the
 * exported DMABUFs are revoked first and re-armed after (src/revoke.c).
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "uapi/linux/vfio_pci_dmabuf.h"
#include "compat.h"
#include "vpd.h"

static int vpd_open_device(struct vfio_device *core_vdev)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(&vpd->core);
	if (ret)
		return ret;

	vpd_revoke_open(vpd);
	vfio_pci_core_finish_enable(&vpd->core);
	return 0;
}

/*
 * Exports are revoked for good before vfio-pci-core disables the device;
 * the BAR DMABUFs have no mapping left (each held a device file).
 */
static void vpd_close_device(struct vfio_device *core_vdev)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);

	vpd_revoke_close(vpd);
	vpd_bar_bufs_drop(vpd);
	vfio_pci_core_close_device(core_vdev);
}

static int vpd_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	return vpd_mmap_bar(vpd_from_vfio(core_vdev), vma);
}

/*
 * Config writes may clear memory decode, leave D0 or start an FLR: exports
 * are revoked before such a write; after any config write they follow the
 * device's state (decode back on, D0 again).
 */
static ssize_t vpd_write(struct vfio_device *core_vdev, const char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);
	bool config = VFIO_PCI_OFFSET_TO_INDEX(*ppos) ==
		      VFIO_PCI_CONFIG_REGION_INDEX;
	bool window = config &&
		      vpd_config_write_may_revoke(vpd, buf, count, *ppos);
	ssize_t ret;

	if (window)
		vpd_revoke_window_begin(vpd);
	ret = vfio_pci_core_write(core_vdev, buf, count, ppos);
	if (window)
		vpd_revoke_window_end(vpd);
	else if (config)
		vpd_exports_sync(vpd);
	return ret;
}

/*
 * Resets revoke exports through the err_handler (src/main.c); afterwards
 * they are re-armed here, without waiting for the work item.
 */
static long vpd_ioctl(struct vfio_device *core_vdev, unsigned int cmd,
		      unsigned long arg)
{
	long ret = vfio_pci_core_ioctl(core_vdev, cmd, arg);

	if (cmd == VFIO_DEVICE_RESET || cmd == VFIO_DEVICE_PCI_HOT_RESET)
		vpd_exports_sync(vpd_from_vfio(core_vdev));
	return ret;
}

static int vpd_device_feature(struct vfio_device *core_vdev, u32 flags,
			      void __user *arg, size_t argsz)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);
	bool set = (flags & VFIO_DEVICE_FEATURE_SET) &&
		   !(flags & VFIO_DEVICE_FEATURE_PROBE);
	int ret;

	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_DMA_BUF:
		/* The parameter is writable at run time: read it once. */
		if (VPD_CORE_DMA_BUF && READ_ONCE(vpd_core_dma_buf))
			break;
		return vpd_export_feature(vpd, flags, arg, argsz);
	case VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE:
		return vpd_export_revoke_feature(vpd, flags, arg, argsz);
	case VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR:
		return vpd_export_memattr_feature(vpd, flags, arg, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		if (!set)
			break;
		vpd_revoke_window_begin(vpd);
		ret = vfio_pci_core_ioctl_feature(core_vdev, flags, arg, argsz);
		vpd_revoke_window_end(vpd);
		return ret;
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		ret = vfio_pci_core_ioctl_feature(core_vdev, flags, arg, argsz);
		vpd_exports_sync(vpd);
		return ret;
	}
	return vfio_pci_core_ioctl_feature(core_vdev, flags, arg, argsz);
}

const struct vfio_device_ops vpd_vfio_ops = {
	.name		= VPD_DRIVER_NAME,
	.init		= vfio_pci_core_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= vpd_open_device,
	.close_device	= vpd_close_device,
	.ioctl		= vpd_ioctl,
	.device_feature	= vpd_device_feature,
	.read		= vfio_pci_core_read,
	.write		= vpd_write,
	.mmap		= vpd_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	VPD_OPS_REGION_INFO
	VPD_OPS_MATCH_TOKEN_UUID
	VPD_OPS_IOMMUFD
	VPD_OPS_IOMMUFD_DETACH
	VPD_OPS_PASID
};

/* Per-device setup between vfio_alloc_device() and registration. */
void vpd_device_setup(struct vpd_device *vpd)
{
	vpd_revoke_init(vpd);
	vpd_compat_set_pci_ops(&vpd->core);
}
