/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the C glue files of vfio-pci-dmabuf.
 */
#ifndef VPD_H
#define VPD_H

#include <linux/dma-buf.h>
#include <linux/lockdep.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/vfio_pci_core.h>
#include <linux/workqueue.h>

#include "vfio_pci_dmabuf/core.h"

#define VPD_DRIVER_NAME "vfio-pci-dmabuf"

/* Counters of a device (src/stats.c: debugfs <PCI address>/stats). */
enum vpd_stat {
	VPD_STAT_FAULT_PTE,		/* faults served with 4 KiB entries */
	VPD_STAT_FAULT_PMD,		/* ... with a 2 MiB entry */
	VPD_STAT_FAULT_PUD,		/* ... with a 1 GiB entry */
	VPD_STAT_FALLBACK,		/* huge faults sent back for a smaller order */
	VPD_STAT_SIGBUS,		/* faults refused: revoked, or outside the buffer */
	VPD_STAT_BAR_MMAPS,		/* BAR mmaps of the device fd */
	VPD_STAT_LIVE_BAR_VMAS,		/* BAR mappings (VMAs) alive now */
	VPD_STAT_LIVE_BAR_BUFS,		/* BAR DMABUFs held by the open device */
	VPD_STAT_EXPORTS,		/* DMABUFs exported */
	VPD_STAT_EXPORT_MMAPS,		/* mmaps of exported DMABUFs */
	VPD_STAT_REVOKE_WINDOWS,	/* windows opened: resets, config writes, low power */
	VPD_STAT_EXPORTS_REVOKED,	/* an export went revoked */
	VPD_STAT_EXPORTS_RESTORED,	/* an export came back */
	VPD_STAT_EXPORTS_GONE,		/* an export was revoked for good */
	VPD_NR_STATS
};

/*
 * One device bound to the driver.  vfio_alloc_device() requires the
 * vfio_device to sit at offset 0: it is core.vdev.
 *
 * Locks used on the device, outermost first (Documentation/design.rst has
 * the whole order):
 *  - core.memory_lock (vfio-pci-core's rw_semaphore): held for read by our
 *    fault handlers while they check that memory is usable and insert
 *    PFNs; held for write by vfio-pci-core around every change that makes
 *    BAR memory unusable, after it zapped the BAR mappings it knows of.
 *  - core.vma_lock (mutex, kernels up to 6.9 only): protects core.vma_list,
 *    where our BAR VMAs are listed so that the core's zap covers them.
 *    Taken before memory_lock, as the core does.
 *  - exports_lock: see below.  Taken after memory_lock when both are held.
 *  - each exported DMABUF's dma_resv lock, after exports_lock.
 *  - bar_bufs_lock: see below.  Taken under mmap_lock (by mmap) and alone
 *    (by close_device); no other lock is taken under it.
 */
struct vpd_device {
	struct vfio_pci_core_device core;

	/*
	 * Protects @exports, @revoke_depth and the revoked/gone/memattr state
	 * of every export on the list.  Exported-DMABUF faults hold it for
	 * read while they decide and insert; every revocation holds it for
	 * write while it zaps, so no fault can insert behind a zap.
	 */
	struct rw_semaphore exports_lock;
	/* The DMABUFs exported since the device was opened (struct vpd_export). */
	struct list_head exports;
	/*
	 * Revocation windows open now: a reset between reset_prepare and
	 * reset_done, or an operation that may disable memory in flight
	 * (src/revoke.c).  Exports are revoked while it is non-zero.
	 */
	unsigned int revoke_depth;
	/* Identifies this device in its exports, never dereferenced. */
	u64 id;
	/* Config registers whose writes may revoke; set at open. */
	struct vpd_cfg_caps caps;
	/* Re-arms the exports after a reset (reset_done may run under memory_lock). */
	struct work_struct sync_work;
	/*
	 * Serializes the creation and the drop of @bar_bufs entries; mmap
	 * reads an entry without it once published (src/dmabuf.c).
	 */
	struct mutex bar_bufs_lock;
	/*
	 * The DMABUF of each BAR mapped since the device was opened, shared
	 * by all the BAR's mappings; the device holds a reference on each
	 * until close_device (src/dmabuf.c).
	 */
	struct vpd_bar_buf *bar_bufs[PCI_STD_NUM_BARS];
	/* Counters, atomics bumped without a lock (src/stats.c). */
	atomic64_t stats[VPD_NR_STATS];
	/* This device's debugfs directory. */
	struct dentry *debugfs;
};

static inline void vpd_stat_inc(struct vpd_device *vpd, enum vpd_stat s)
{
	atomic64_inc(&vpd->stats[s]);
}

static inline void vpd_stat_dec(struct vpd_device *vpd, enum vpd_stat s)
{
	atomic64_dec(&vpd->stats[s]);
}

static inline struct vpd_device *
vpd_from_vfio(struct vfio_device *core_vdev)
{
	return container_of(core_vdev, struct vpd_device, core.vdev);
}

enum vpd_buf_kind {
	VPD_BUF_BAR,		/* behind a BAR mmap of the vfio device fd */
	VPD_BUF_EXPORT,		/* exported as an fd (VFIO_DEVICE_FEATURE_DMA_BUF) */
};

/*
 * What the fault path needs of every DMABUF it maps, the first member of
 * both kinds.  Immutable after creation: faults read it without a lock.
 */
struct vpd_buf {
	enum vpd_buf_kind kind;
	struct dma_buf *dmabuf;
	unsigned int bar;
	/* vm_pgoff of the buffer's first byte, see struct vpd_vma_geom. */
	unsigned long long pgoff_adjust;
	const struct vpd_table *table;
};

/*
 * The DMABUF behind every mapping of one BAR of an open device.  Created by
 * the BAR's first mmap, referenced by the device (vpd->bar_bufs) and by
 * each VMA (vm_file), freed by the DMABUF's release once the device was
 * closed and no VMA is left.
 */
struct vpd_bar_buf {
	struct vpd_buf base;
	/* The device; NULL once it dropped the buffer (at close). */
	struct vpd_device *vpd;
	/* Must be last: one segment, the whole page-aligned BAR. */
	struct vpd_table table;
};

struct p2pdma_provider;

/*
 * An exported DMABUF: ranges of one BAR, handed to user space as an fd.
 * It does not keep the device open: when the device is closed it is
 * revoked for good and forgets the device.  Freed by the DMABUF's release.
 */
struct vpd_export {
	struct vpd_buf base;
	/*
	 * The exporting device while the export may still be used, NULL once
	 * revoked for good.  Read under vpd_export_device_get() (SRCU),
	 * written under the device's exports_lock.
	 */
	struct vpd_device __rcu *vpd;
	/* The exporting device's id, for error reporting only. */
	u64 owner_id;
	/* On vpd->exports, under exports_lock. */
	struct list_head node;
	/*
	 * Importers may not map (for now or for good): written under
	 * exports_lock (write) and the DMABUF's resv lock, so either lock is
	 * enough to read.
	 */
	bool revoked;
	/* Revoked for good; memory attribute of CPU mappings: exports_lock. */
	bool gone;
	u32 memattr;
	/* Importer mappings alive (under the resv lock); revocation waits for 0. */
	unsigned int nr_mapped;
	/* The BAR's P2P provider, where the kernel has P2P DMABUF mapping. */
	struct p2pdma_provider *provider;
	/* Must be last: the ranges. */
	struct vpd_table table;
};

/* src/main.c: hand VFIO_DEVICE_FEATURE_DMA_BUF back to vfio-pci-core. */
extern bool vpd_core_dma_buf;

/* src/vfio_ops.c */
extern const struct vfio_device_ops vpd_vfio_ops;
void vpd_device_setup(struct vpd_device *vpd);

/* src/dmabuf.c */
struct vpd_bar_buf *vpd_bar_buf_get(struct vpd_device *vpd,
				    const struct vpd_bar_desc *bars,
				    const struct vpd_bar_mmap_req *req,
				    unsigned int bar);
void vpd_bar_bufs_drop(struct vpd_device *vpd);
char *vpd_dmabuf_name(struct vpd_device *vpd, unsigned int bar);

/* src/export.c */
int vpd_export_feature(struct vpd_device *vpd, u32 flags, void __user *arg,
		       size_t argsz);
int vpd_export_revoke_feature(struct vpd_device *vpd, u32 flags,
			      void __user *arg, size_t argsz);
int vpd_export_memattr_feature(struct vpd_device *vpd, u32 flags,
			       void __user *arg, size_t argsz);
pgprot_t vpd_export_pgprot(pgprot_t prot, u32 memattr);

/* src/revoke.c */
void vpd_bar_fault_lock(struct vfio_pci_core_device *vdev);
void vpd_bar_fault_unlock(struct vfio_pci_core_device *vdev);
int vpd_bar_track_vma(struct vfio_pci_core_device *vdev,
		      struct vm_area_struct *vma, gfp_t gfp);
void vpd_bar_vma_open(struct vfio_pci_core_device *vdev,
		      struct vm_area_struct *vma);
void vpd_bar_vma_close(struct vfio_pci_core_device *vdev,
		       struct vm_area_struct *vma);
void vpd_revoke_init(struct vpd_device *vpd);
void vpd_revoke_open(struct vpd_device *vpd);
void vpd_revoke_close(struct vpd_device *vpd);
void vpd_revoke_remove(struct vpd_device *vpd);
bool vpd_config_write_may_revoke(struct vpd_device *vpd,
				 const char __user *buf, size_t count,
				 loff_t pos);
void vpd_revoke_window_begin(struct vpd_device *vpd);
void vpd_revoke_window_end(struct vpd_device *vpd);
void vpd_exports_sync(struct vpd_device *vpd);
void vpd_revoke_reset_prepare(struct vpd_device *vpd);
void vpd_revoke_reset_done(struct vpd_device *vpd);
void vpd_export_link(struct vpd_device *vpd, struct vpd_export *e);
void vpd_export_unlink(struct vpd_export *e);
int vpd_export_revoke_for_good(struct vpd_device *vpd, struct vpd_export *e);
int vpd_export_set_memattr(struct vpd_device *vpd, struct vpd_export *e,
			   u32 memattr);
void vpd_export_unmapped(struct vpd_export *e);
struct vpd_device *vpd_export_device_get(struct vpd_export *e, int *idx);
void vpd_export_device_put(int idx);
bool vpd_export_live(struct vpd_device *vpd, const struct vpd_export *e);

/* src/stats.c */
void vpd_stat_fault(struct vpd_device *vpd, unsigned int order, vm_fault_t ret);
void vpd_stats_register(struct vpd_device *vpd);
void vpd_stats_unregister(struct vpd_device *vpd);
void vpd_stats_init_module(void);
void vpd_stats_exit_module(void);

/* src/mm.c */
extern const struct vm_operations_struct vpd_export_vm_ops;
int vpd_mmap_bar(struct vpd_device *vpd, struct vm_area_struct *vma);
void vpd_bar_descs(struct vfio_pci_core_device *vdev, struct vpd_bar_desc *bars);

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
