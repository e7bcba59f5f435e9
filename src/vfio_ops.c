// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_device_ops of vfio-pci-dmabuf.  mmap is ours (DMABUF-backed BAR
 * mappings, src/mm.c); every other op is delegated to vfio-pci-core, exactly
 * as vfio-pci does.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "compat.h"
#include "vpd.h"

static int vpd_open_device(struct vfio_device *core_vdev)
{
	struct vpd_device *vpd = vpd_from_vfio(core_vdev);
	int ret;

	ret = vfio_pci_core_enable(&vpd->core);
	if (ret)
		return ret;

	vfio_pci_core_finish_enable(&vpd->core);
	return 0;
}

static int vpd_mmap(struct vfio_device *core_vdev, struct vm_area_struct *vma)
{
	return vpd_mmap_bar(vpd_from_vfio(core_vdev), vma);
}

const struct vfio_device_ops vpd_vfio_ops = {
	.name		= VPD_DRIVER_NAME,
	.init		= vfio_pci_core_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= vpd_open_device,
	.close_device	= vfio_pci_core_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.device_feature	= vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
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
	vpd_compat_set_pci_ops(&vpd->core);
}
