/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * User-space API of vfio-pci-dmabuf, on top of <linux/vfio.h>.
 *
 * Include it after (or instead of) <linux/vfio.h>; it works with the
 * <linux/vfio.h> of any kernel since 6.1.  Documentation/uapi.rst describes
 * every feature, structure and errno.
 *
 *  - VFIO_DEVICE_FEATURE_DMA_BUF (11, upstream since 6.19): export ranges of
 *    a BAR as a DMABUF.  Supplied here when the system header predates it.
 *    With vfio-pci-dmabuf the DMABUF fd can also be mmap()ed.
 *  - VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE: revoke an exported DMABUF for good.
 *  - VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR: memory attribute of its mappings.
 *
 * The two last features have no upstream number yet: the values below are
 * provisional, chosen far above upstream's sequential numbering (13 is the
 * highest in 7.3).  See Documentation/uapi.rst, "Feature numbers".
 */
#ifndef _UAPI_LINUX_VFIO_PCI_DMABUF_H
#define _UAPI_LINUX_VFIO_PCI_DMABUF_H

#include <linux/types.h>
#include <linux/vfio.h>

#ifndef VFIO_DEVICE_FEATURE_DMA_BUF
/*
 * VFIO_DEVICE_FEATURE_DMA_BUF: GET.  Argument: struct
 * vfio_device_feature_dma_buf followed by nr_ranges ranges.  Returns a new
 * DMABUF fd (opened with open_flags) whose content is the concatenation of
 * the ranges of BAR region_index, in order.
 */
#define VFIO_DEVICE_FEATURE_DMA_BUF 11

struct vfio_region_dma_range {
	__u64 offset;	/* in the BAR, page-aligned */
	__u64 length;	/* non-zero, page-aligned */
};

struct vfio_device_feature_dma_buf {
	__u32	region_index;	/* BAR 0..5 */
	__u32	open_flags;	/* O_RDWR, O_CLOEXEC, ... of the new fd */
	__u32	flags;		/* must be 0 */
	__u32	nr_ranges;	/* >= 1 */
	struct vfio_region_dma_range dma_ranges[];
};
#endif

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE: SET.  Revoke, for good, a DMABUF that
 * this device exported: every CPU mapping is zapped (later accesses raise
 * SIGBUS), importers are invalidated and can no longer map it, and a new
 * mmap() fails with ENODEV.  Nothing undoes it.
 */
#ifndef VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE
#define VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE 0x7601

struct vfio_device_feature_dma_buf_revoke {
	__s32	dmabuf_fd;
};
#endif

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR: SET.  The memory attribute of the CPU
 * mappings of a DMABUF this device exported: existing mappings are zapped
 * and take the new attribute at their next fault.
 */
#ifndef VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR
#define VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR 0x7602

#define VFIO_DMA_BUF_MEMATTR_NC	0	/* uncached (the default) */
#define VFIO_DMA_BUF_MEMATTR_WC	1	/* write-combining */

struct vfio_device_feature_dma_buf_memattr {
	__s32	dmabuf_fd;
	__u32	memattr;
};
#endif

#endif /* _UAPI_LINUX_VFIO_PCI_DMABUF_H */
