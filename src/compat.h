/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that knows which kernel we are built against.  It reads the
 * conftest results (include/generated/vpd_conftest.h, written by
 * scripts/conftest.sh for the target kernel) and turns each into a helper or
 * an initialiser fragment, so no version test appears anywhere else.
 */
#ifndef VPD_COMPAT_H
#define VPD_COMPAT_H

#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include "vpd_conftest.h"

/* iommufd-backed physical device ops (cdev / iommufd users). */
#ifdef VPD_HAVE_VFIO_IOMMUFD_PHYSICAL
#define VPD_OPS_IOMMUFD						\
	.bind_iommufd	= vfio_iommufd_physical_bind,		\
	.unbind_iommufd	= vfio_iommufd_physical_unbind,		\
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
#else
#define VPD_OPS_IOMMUFD
#endif

#ifdef VPD_HAVE_VFIO_IOMMUFD_DETACH_IOAS
#define VPD_OPS_IOMMUFD_DETACH					\
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
#else
#define VPD_OPS_IOMMUFD_DETACH
#endif

#ifdef VPD_HAVE_VFIO_PASID_ATTACH_IOAS
#define VPD_OPS_PASID							\
	.pasid_attach_ioas	= vfio_iommufd_physical_pasid_attach_ioas, \
	.pasid_detach_ioas	= vfio_iommufd_physical_pasid_detach_ioas,
#else
#define VPD_OPS_PASID
#endif

/* VFIO_DEVICE_GET_REGION_INFO left the drivers' ioctl for its own op. */
#ifdef VPD_HAVE_VFIO_GET_REGION_INFO_CAPS
#define VPD_OPS_REGION_INFO					\
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,
#else
#define VPD_OPS_REGION_INFO
#endif

#ifdef VPD_HAVE_VFIO_MATCH_TOKEN_UUID
#define VPD_OPS_MATCH_TOKEN_UUID				\
	.match_token_uuid = vfio_pci_core_match_token_uuid,
#else
#define VPD_OPS_MATCH_TOKEN_UUID
#endif

/*
 * vfio-pci-core's own DMABUF export (VFIO_DEVICE_FEATURE_DMA_BUF) is offered
 * only to drivers that hand it a get_dmabuf_phys callback.
 */
#ifdef VPD_HAVE_VFIO_PCI_DEVICE_OPS_DMABUF
static const struct vfio_pci_device_ops vpd_compat_pci_ops = {
	.get_dmabuf_phys = vfio_pci_core_get_dmabuf_phys,
};

static inline void vpd_compat_set_pci_ops(struct vfio_pci_core_device *vdev)
{
	vdev->pci_ops = &vpd_compat_pci_ops;
}
#else
static inline void vpd_compat_set_pci_ops(struct vfio_pci_core_device *vdev)
{
}
#endif

#endif /* VPD_COMPAT_H */
