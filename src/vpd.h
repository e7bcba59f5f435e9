/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the C glue files of vfio-pci-dmabuf.
 */
#ifndef VPD_H
#define VPD_H

#include <linux/vfio_pci_core.h>

#define VPD_DRIVER_NAME "vfio-pci-dmabuf"

/*
 * One device bound to the driver.  vfio_alloc_device() requires the
 * vfio_device to sit at offset 0: it is core.vdev.
 */
struct vpd_device {
	struct vfio_pci_core_device core;
};

static inline struct vpd_device *
vpd_from_vfio(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vpd_device, core.vdev);
}

/* src/vfio_ops.c */
extern const struct vfio_device_ops vpd_vfio_ops;
void vpd_device_setup(struct vpd_device *vpd);

#endif /* VPD_H */
