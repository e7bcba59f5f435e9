/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the C glue files of vfio-pci-dmabuf.
 */
#ifndef VPD_H
#define VPD_H

#include <linux/dma-buf.h>
#include <linux/lockdep.h>
#include <linux/mm_types.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

#include "vfio_pci_dmabuf/core.h"

#define VPD_DRIVER_NAME "vfio-pci-dmabuf"

/*
 * One device bound to the driver.  vfio_alloc_device() requires the
 * vfio_device to sit at offset 0: it is core.vdev.
 *
 * Locks used on the device (all vfio-pci-core's, see
 * Documentation/design.rst for the order):
 *  - core.memory_lock (rw_semaphore): held for read by our fault handler
 *    while it checks that memory is usable and inserts PFNs; held for
 *    write by vfio-pci-core around every change that makes BAR memory
 *    unusable, after it zapped the BAR mappings it knows of.
 *  - core.vma_lock (mutex, kernels up to 6.9 only): protects core.vma_list,
 *    where our VMAs are listed so that the core's zap covers them.
 */
struct vpd_device {
	struct vfio_pci_core_device core;
};

static inline struct vpd_device *
vpd_from_vfio(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vpd_device, core.vdev);
}

/*
 * The DMABUF behind one BAR mmap.  Created by the mmap, owned by the
 * DMABUF's file (the VMA's vm_file), freed by the DMABUF's release when the
 * last VMA using it is gone.  Immutable after creation: the fault path reads
 * it without a lock of its own.
 */
struct vpd_bar_buf {
	struct vpd_device *vpd;
	/* The vfio device file: a live mapping keeps the device open. */
	struct file *vfio_file;
	struct dma_buf *dmabuf;
	unsigned int bar;
	/* vm_pgoff of the buffer's first byte, see struct vpd_vma_geom. */
	unsigned long long pgoff_adjust;
	/* Must be last: one segment, the mapped span of the BAR. */
	struct vpd_table table;
};

/* src/vfio_ops.c */
extern const struct vfio_device_ops vpd_vfio_ops;
void vpd_device_setup(struct vpd_device *vpd);

/* src/dmabuf.c */
struct vpd_bar_buf *vpd_bar_buf_create(struct vpd_device *vpd,
				       struct file *vfio_file,
				       const struct vpd_bar_map *map);

/* src/mm.c */
int vpd_mmap_bar(struct vpd_device *vpd, struct vm_area_struct *vma);

/*
 * Whether BAR memory may be touched now: what vfio-pci-core's (unexported)
 * __vfio_pci_memory_enabled() checks, plus the low-power state.  The fault
 * path's revoke decision; inline so the KUnit suite tests this very code.
 */
static inline bool vpd_memory_usable(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 cmd;

	lockdep_assert_held(&vdev->memory_lock);

	if (vdev->pm_runtime_engaged || pdev->current_state >= PCI_D3hot)
		return false;
	if (pdev->no_command_memory)
		return true;
	cmd = le16_to_cpu(*(__le16 *)&vdev->vconfig[PCI_COMMAND]);
	return cmd & PCI_COMMAND_MEMORY;
}

#endif /* VPD_H */
