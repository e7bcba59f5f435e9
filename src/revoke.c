// SPDX-License-Identifier: GPL-2.0
/*
 * Revocation: of BAR mappings, by vfio-pci-core's own zap (the first part
 * of this file), and of exported DMABUFs, by us (the rest).
 *
 * BAR mappings: our VMAs must be zapped by vfio-pci-core itself, on every
 * path that makes BAR memory unusable (including those that never pass
 * through our vfio_device_ops, such as a hot reset started through a
 * sibling's fd or runtime suspend).  6.10+: the BAR DMABUF's file shares
 * the vfio inode's address_space (vpd_compat_share_mapping()), nothing else
 * to do.  Up to 6.9: the core zaps the VMAs on vdev->vma_list; its entry
 * type is private to vfio_pci_core.c but has had the same two members since
 * the list appeared (v5.8): we mirror it, list our VMAs there, and let the
 * core zap, unlink and kfree() them exactly like its own.
 *
 * Exported DMABUFs: the DMABUFs we export as fds are not known to the core on any kernel: we
 * revoke them, their CPU mappings and their importers, at each point where
 * the device's memory may become unusable, and before it does:
 *
 *  - resets of every kind (FLR through config space, VFIO_DEVICE_RESET, a
 *    hot reset started through any device of the bus, whatever driver it
 *    is bound to, and a reset through sysfs): the PCI core calls our
 *    err_handler's reset_prepare before and reset_done after the reset.
 *    On the vfio paths vfio-pci-core holds memory_lock for write then.
 *  - config writes that clear memory decode or leave D0
 *    (vpd_config_write_may_revoke()) and low-power entry: a revocation
 *    window around the call into vfio-pci-core.
 *  - the device's close: revoked for good.
 *
 * Exports come back (importers re-armed; CPU faults simply succeed again)
 * when no window is open and memory is usable: checked after every
 * operation that may have changed it (vpd_exports_sync()).
 *
 * Documentation/design.rst describes the states and the lock order.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include <linux/wait.h>

#include "compat.h"
#include "trace.h"
#include "vpd.h"

/* Layout of vfio_pci_core.c's private struct vfio_pci_mmap_vma (v5.8..v6.9). */
struct vpd_core_mmap_vma {
	struct vm_area_struct	*vma;
	struct list_head	vma_next;
};

/* A BAR mapping's fault: the core's lock order, vma_lock then memory_lock. */
void vpd_bar_fault_lock(struct vfio_pci_core_device *vdev)
{
	struct mutex *vma_lock = vpd_compat_vma_lock(vdev);

	if (vma_lock)
		mutex_lock(vma_lock);
	down_read(&vdev->memory_lock);
}

void vpd_bar_fault_unlock(struct vfio_pci_core_device *vdev)
{
	struct mutex *vma_lock = vpd_compat_vma_lock(vdev);

	up_read(&vdev->memory_lock);
	if (vma_lock)
		mutex_unlock(vma_lock);
}

/* List @vma for the core's zap unless it is listed already. */
int vpd_bar_track_vma(struct vfio_pci_core_device *vdev,
		      struct vm_area_struct *vma, gfp_t gfp)
{
	struct list_head *head = vpd_compat_vma_list(vdev);
	struct vpd_core_mmap_vma *mmap_vma;

	if (!head)
		return 0;
	lockdep_assert_held(vpd_compat_vma_lock(vdev));

	list_for_each_entry(mmap_vma, head, vma_next)
		if (mmap_vma->vma == vma)
			return 0;

	/* Freed by the core's zap (kfree) or by vpd_bar_untrack_vma(). */
	mmap_vma = kmalloc(sizeof(*mmap_vma), gfp);
	if (!mmap_vma)
		return -ENOMEM;
	mmap_vma->vma = vma;
	list_add(&mmap_vma->vma_next, head);
	return 0;
}

static void vpd_bar_untrack_vma(struct vfio_pci_core_device *vdev,
				struct vm_area_struct *vma)
{
	struct list_head *head = vpd_compat_vma_list(vdev);
	struct vpd_core_mmap_vma *mmap_vma, *tmp;

	lockdep_assert_held(vpd_compat_vma_lock(vdev));

	list_for_each_entry_safe(mmap_vma, tmp, head, vma_next) {
		if (mmap_vma->vma == vma) {
			list_del(&mmap_vma->vma_next);
			kfree(mmap_vma);
			break;
		}
	}
}

/*
 * A split or a fork's copy of a BAR mapping gets listed.  A fork's copy
 * cannot miss a zap although 6.1's fork copies the PTEs *before* calling
 * ->open(): fork holds the parent's mmap_lock for write throughout, and the
 * core's zap takes the mmap_lock of each listed VMA's mm (the parent's is
 * listed since its first fault, or has no PTE to copy) before zapping, so
 * it waits until the copy is listed.  The entry is tiny and ->open()
 * cannot fail.
 */
void vpd_bar_vma_open(struct vfio_pci_core_device *vdev,
		      struct vm_area_struct *vma)
{
	struct mutex *vma_lock = vpd_compat_vma_lock(vdev);

	if (!vma_lock)
		return;
	mutex_lock(vma_lock);
	WARN_ON(vpd_bar_track_vma(vdev, vma, GFP_KERNEL_ACCOUNT | __GFP_NOFAIL));
	mutex_unlock(vma_lock);
}

void vpd_bar_vma_close(struct vfio_pci_core_device *vdev,
		       struct vm_area_struct *vma)
{
	struct mutex *vma_lock = vpd_compat_vma_lock(vdev);

	if (!vma_lock)
		return;
	mutex_lock(vma_lock);
	vpd_bar_untrack_vma(vdev, vma);
	mutex_unlock(vma_lock);
}

/*
 * Pins the exporting device for a user of an export that found it attached
 * (fault, mmap, release): the device's close detaches every export, then
 * waits for these readers before the device can go.
 */
DEFINE_STATIC_SRCU(vpd_export_srcu);

/* Woken when an importer unmaps (vpd_export.nr_mapped drops). */
static DECLARE_WAIT_QUEUE_HEAD(vpd_unmap_wq);

static atomic64_t vpd_next_id = ATOMIC64_INIT(0);

static void vpd_sync_work(struct work_struct *work)
{
	vpd_exports_sync(container_of(work, struct vpd_device, sync_work));
}

void vpd_revoke_init(struct vpd_device *vpd)
{
	init_rwsem(&vpd->exports_lock);
	INIT_LIST_HEAD(&vpd->exports);
	mutex_init(&vpd->bar_bufs_lock);
	INIT_WORK(&vpd->sync_work, vpd_sync_work);
	vpd->id = atomic64_inc_return(&vpd_next_id);
}

/* The device is open: note the config registers whose writes may revoke. */
void vpd_revoke_open(struct vpd_device *vpd)
{
	struct pci_dev *pdev = vpd->core.pdev;

	vpd->caps = (struct vpd_cfg_caps) {
		.pm_cap = pdev->pm_cap,
		.exp_cap = pci_pcie_cap(pdev),
		.af_cap = pci_find_capability(pdev, PCI_CAP_ID_AF),
	};
}

struct vpd_device *vpd_export_device_get(struct vpd_export *e, int *idx)
{
	*idx = srcu_read_lock(&vpd_export_srcu);
	return srcu_dereference(e->vpd, &vpd_export_srcu);
}

void vpd_export_device_put(int idx)
{
	srcu_read_unlock(&vpd_export_srcu, idx);
}

/* Whether @e's memory may be touched now (CPU faults). */
bool vpd_export_live(struct vpd_device *vpd, const struct vpd_export *e)
{
	lockdep_assert_held(&vpd->core.memory_lock);
	lockdep_assert_held(&vpd->exports_lock);

	return !e->gone && !vpd->revoke_depth && vpd_memory_usable(&vpd->core);
}

/* Zap every CPU mapping of @e, in every process. */
static void vpd_export_zap(struct vpd_device *vpd, struct vpd_export *e)
{
	struct file *file = e->base.dmabuf->file;

	/* Faults insert under exports_lock held for read: none behind us. */
	lockdep_assert_held_write(&vpd->exports_lock);

	/* A dying DMABUF has no mapping left, and maybe no inode either. */
	if (!vpd_compat_file_tryget(file))
		return;
	unmap_mapping_range(file->f_mapping, 0, 0, true);
	fput(file);
}

/*
 * Move @e to @revoked: on the way to revoked, zap its CPU mappings (no fault
 * can insert behind us: faults hold exports_lock for read), invalidate its
 * importers and wait until they have unmapped; on the way back, invalidate
 * them again so that they map anew.
 */
static void vpd_export_set_revoked(struct vpd_device *vpd,
				   struct vpd_export *e, bool revoked)
{
	struct dma_buf *dmabuf = e->base.dmabuf;

	lockdep_assert_held_write(&vpd->exports_lock);

	/*
	 * Zap even when @e->revoked is already set: that flag is the
	 * importers' and may lag behind (memory came back through a path we do
	 * not see, such as a wake-up from low power), while CPU faults decide
	 * from the device's state itself and may have mapped since.
	 */
	if (revoked)
		vpd_export_zap(vpd, e);
	if (e->revoked == revoked)
		return;

	vpd_stat_inc(vpd, revoked ? VPD_STAT_EXPORTS_REVOKED :
				    VPD_STAT_EXPORTS_RESTORED);
	dma_resv_lock(dmabuf->resv, NULL);
	e->revoked = revoked;
	vpd_compat_invalidate_importers(dmabuf);
	dma_resv_wait_timeout(dmabuf->resv, DMA_RESV_USAGE_BOOKKEEP, false,
			      MAX_SCHEDULE_TIMEOUT);
	dma_resv_unlock(dmabuf->resv);

	/* Revocable importers unmap in bounded time after invalidation. */
	if (revoked)
		wait_event(vpd_unmap_wq, !READ_ONCE(e->nr_mapped));
}

/* Called by the importer unmap path (src/export.c), under the resv lock. */
void vpd_export_unmapped(struct vpd_export *e)
{
	dma_resv_assert_held(e->base.dmabuf->resv);

	WRITE_ONCE(e->nr_mapped, e->nr_mapped - 1);
	wake_up_all(&vpd_unmap_wq);
}

static void vpd_exports_revoke_all(struct vpd_device *vpd)
{
	struct vpd_export *e;
	unsigned int n = 0;

	lockdep_assert_held_write(&vpd->exports_lock);

	list_for_each_entry(e, &vpd->exports, node) {
		vpd_export_set_revoked(vpd, e, true);
		n++;
	}
	trace_vpd_exports(vpd->core.pdev, true, vpd->revoke_depth, n, 0);
}

/*
 * Bring every export to the state the device is in now: revoked unless
 * memory is usable and no window is open.
 */
void vpd_exports_sync(struct vpd_device *vpd)
{
	unsigned int nr_revoked = 0, nr_live = 0;
	struct vpd_export *e;
	bool live;

	/* Unlocked peek: an export linked meanwhile is linked in sync. */
	if (list_empty_careful(&vpd->exports))
		return;

	down_read(&vpd->core.memory_lock);
	down_write(&vpd->exports_lock);
	live = !vpd->revoke_depth && vpd_memory_usable(&vpd->core);
	list_for_each_entry(e, &vpd->exports, node) {
		vpd_export_set_revoked(vpd, e, e->gone || !live);
		if (e->revoked)
			nr_revoked++;
		else
			nr_live++;
	}
	trace_vpd_exports(vpd->core.pdev, false, vpd->revoke_depth, nr_revoked,
			  nr_live);
	up_write(&vpd->exports_lock);
	up_read(&vpd->core.memory_lock);
}

/* Revoke every export before an operation that may disable memory. */
void vpd_revoke_window_begin(struct vpd_device *vpd)
{
	vpd_stat_inc(vpd, VPD_STAT_REVOKE_WINDOWS);
	down_write(&vpd->exports_lock);
	vpd->revoke_depth++;
	vpd_exports_revoke_all(vpd);
	up_write(&vpd->exports_lock);
}

static void vpd_revoke_window_close(struct vpd_device *vpd)
{
	down_write(&vpd->exports_lock);
	WARN_ON(!vpd->revoke_depth);
	vpd->revoke_depth--;
	up_write(&vpd->exports_lock);
}

/* The operation is done: let the exports follow the device's state. */
void vpd_revoke_window_end(struct vpd_device *vpd)
{
	vpd_revoke_window_close(vpd);
	vpd_exports_sync(vpd);
}

/*
 * A reset is about to start.  On vfio's own paths vfio-pci-core holds
 * memory_lock for write here, through sysfs nobody does: take only
 * exports_lock, which orders after memory_lock.
 */
void vpd_revoke_reset_prepare(struct vpd_device *vpd)
{
	vpd_revoke_window_begin(vpd);
}

/*
 * The reset is done.  memory_lock may be held for write by this very thread
 * (vfio's paths), so the exports are re-armed from a work item.
 */
void vpd_revoke_reset_done(struct vpd_device *vpd)
{
	vpd_revoke_window_close(vpd);
	schedule_work(&vpd->sync_work);
}

/*
 * Whether a write of @count bytes at @pos of the device fd may make memory
 * unusable: a config space write that clears memory decode, leaves D0 or
 * starts an FLR (the decision is the core's, see vpd_cfg_write_peeks()).
 * A byte that cannot be read makes the core's own copy fail: no revoke.
 */
bool vpd_config_write_may_revoke(struct vpd_device *vpd,
				 const char __user *buf, size_t count,
				 loff_t pos)
{
	struct vpd_cfg_peek peeks[VPD_CFG_MAX_PEEKS];
	unsigned int i, n;

	if (VFIO_PCI_OFFSET_TO_INDEX(pos) != VFIO_PCI_CONFIG_REGION_INDEX)
		return false;

	n = vpd_cfg_write_peeks(&vpd->caps, pos & VFIO_PCI_OFFSET_MASK, count,
				peeks);
	for (i = 0; i < n; i++) {
		u8 byte;

		if (get_user(byte, (const u8 __user *)buf + peeks[i].buf_offset))
			return false;
		if (vpd_cfg_peek_revokes(&peeks[i], byte))
			return true;
	}
	return false;
}

/*
 * A new export joins the device: revoked from the start when the device's
 * memory is not usable now, as upstream.  Ownership of the DMABUF stays
 * with its file; the list holds no reference (release unlinks it).
 */
void vpd_export_link(struct vpd_device *vpd, struct vpd_export *e)
{
	down_read(&vpd->core.memory_lock);
	down_write(&vpd->exports_lock);
	e->owner_id = vpd->id;
	e->revoked = vpd->revoke_depth || !vpd_memory_usable(&vpd->core);
	list_add_tail(&e->node, &vpd->exports);
	rcu_assign_pointer(e->vpd, vpd);
	up_write(&vpd->exports_lock);
	up_read(&vpd->core.memory_lock);
}

/* Revoke @e for good and forget its device; @close: by the device's close. */
static void vpd_export_detach(struct vpd_device *vpd, struct vpd_export *e,
			      bool close)
{
	lockdep_assert_held_write(&vpd->exports_lock);

	vpd_stat_inc(vpd, VPD_STAT_EXPORTS_GONE);
	trace_vpd_export_gone(vpd->core.pdev, e->base.bar, close);
	e->gone = true;
	vpd_export_set_revoked(vpd, e, true);
	list_del_init(&e->node);
	RCU_INIT_POINTER(e->vpd, NULL);
}

/* The DMABUF is being released (last reference to its file). */
void vpd_export_unlink(struct vpd_export *e)
{
	struct vpd_device *vpd;
	int idx;

	vpd = vpd_export_device_get(e, &idx);
	if (vpd) {
		down_write(&vpd->exports_lock);
		/* The device's close may have detached it meanwhile. */
		if (rcu_access_pointer(e->vpd)) {
			list_del_init(&e->node);
			RCU_INIT_POINTER(e->vpd, NULL);
		}
		up_write(&vpd->exports_lock);
	}
	vpd_export_device_put(idx);
}

/* VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE on an export of @vpd. */
int vpd_export_revoke_for_good(struct vpd_device *vpd, struct vpd_export *e)
{
	int ret = 0;

	down_write(&vpd->exports_lock);
	if (rcu_access_pointer(e->vpd) == vpd)
		vpd_export_detach(vpd, e, false);
	else
		ret = e->owner_id == vpd->id ? -EBADFD : -ENODEV;
	up_write(&vpd->exports_lock);
	return ret;
}

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR: existing CPU mappings are zapped
 * and take the new attribute at their next fault.
 */
int vpd_export_set_memattr(struct vpd_device *vpd, struct vpd_export *e,
			   u32 memattr)
{
	int ret = 0;

	down_write(&vpd->exports_lock);
	if (rcu_access_pointer(e->vpd) == vpd) {
		e->memattr = memattr;
		vpd_export_zap(vpd, e);
	} else {
		ret = e->owner_id == vpd->id ? -EBADFD : -ENODEV;
	}
	up_write(&vpd->exports_lock);
	return ret;
}

/*
 * The device's last fd is closing: every export is revoked for good, and
 * no export user may reach the device once this returns.
 */
void vpd_revoke_close(struct vpd_device *vpd)
{
	struct vpd_export *e, *tmp;

	down_write(&vpd->exports_lock);
	list_for_each_entry_safe(e, tmp, &vpd->exports, node)
		vpd_export_detach(vpd, e, true);
	up_write(&vpd->exports_lock);

	/*
	 * Always: a reader may still hold the device through an export that
	 * left the list earlier (revoked for good, or released) and wait for
	 * memory_lock.  A close is rare; a grace period without readers is
	 * short.
	 */
	synchronize_srcu(&vpd_export_srcu);
}

/* The device goes away: nothing may still run on it. */
void vpd_revoke_remove(struct vpd_device *vpd)
{
	cancel_work_sync(&vpd->sync_work);
}
