// SPDX-License-Identifier: GPL-2.0
/*
 * BAR mappings: the mmap of a BAR through the vfio device fd, backed by a
 * DMABUF, and its fault handling.
 *
 * Every PFN comes from the core's range table lookup (vpd_find_pfn /
 * vpd_fault_around); every insertion happens under memory_lock held for
 * read after checking that the device's memory is usable, so it cannot race
 * with a revoke (which vfio-pci-core performs with memory_lock held for
 * write, after zapping our VMAs: see src/revoke.c and
 * Documentation/design.rst).
 */
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pm_runtime.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "compat.h"
#include "trace.h"
#include "vpd.h"

static void vpd_vma_geom(const struct vm_area_struct *vma,
			 const struct vpd_buf *buf,
			 struct vpd_vma_geom *geom)
{
	geom->start_addr = vma->vm_start;
	geom->end_addr = vma->vm_end;
	geom->pgoff = vma->vm_pgoff;
	geom->pgoff_adjust = buf->pgoff_adjust;
}

/*
 * Insert the pages of @run with @prot.  The result is that of the page at
 * @fault_addr; failures elsewhere only end the run early (those pages
 * fault on their own later).
 */
static vm_fault_t vpd_insert_run(struct vm_area_struct *vma,
				 const struct vpd_run *run,
				 unsigned long fault_addr, pgprot_t prot)
{
	vm_fault_t ret = VM_FAULT_NOPAGE;
	unsigned long long i;

	for (i = 0; i < run->nr_pages; i++) {
		unsigned long addr = run->start_addr + (i << PAGE_SHIFT);
		vm_fault_t r = vmf_insert_pfn_prot(vma, addr, run->pfn + i, prot);

		if (r & VM_FAULT_ERROR) {
			if (addr == fault_addr)
				ret = r;
			if (addr >= fault_addr)
				break;
		}
	}
	return ret;
}

/* What vpd_fill_pte() maps: one run, and the protection to map it with. */
struct vpd_fill {
	struct vm_area_struct *vma;
	unsigned long start_addr;	/* the run's first address */
	unsigned long pfn;		/* its PFN */
	pgprot_t prot;
};

/*
 * apply_to_page_range() callback: map @addr of the run unless mapped, as
 * vmf_insert_pfn_prot() would: a special entry with the protection read
 * back (accessed where the VMA's page protection has it, as on x86), never
 * dirty.
 */
static int vpd_fill_pte(pte_t *pte, unsigned long addr, void *data)
{
	const struct vpd_fill *f = data;
	unsigned long pfn = f->pfn + ((addr - f->start_addr) >> PAGE_SHIFT);

	if (!pte_none(ptep_get(pte)))
		return 0;
	set_pte_at(f->vma->vm_mm, addr, pte,
		   pte_mkclean(pte_mkspecial(pfn_pte(pfn, f->prot))));
	update_mmu_cache(f->vma, addr, pte);
	return 0;
}

/* apply_to_page_range() callback: the protection of the entry at @addr. */
static int vpd_read_pte_prot(pte_t *pte, unsigned long addr, void *data)
{
	pte_t entry = ptep_get(pte);

	if (!pte_present(entry))
		return -ENOENT;
	*(pgprot_t *)data = pte_pgprot(entry);
	return 0;
}

/*
 * Map the whole VMA, as vfio-pci does on kernels whose mm never asks for
 * huge PFN mappings (6.1): one fault per mapping instead of one per page.
 *
 * The faulting page goes through vmf_insert_pfn_prot(), which gives it the
 * memory type PAT has for it (track_pfn_insert()).  The rest of the VMA is
 * filled with apply_to_page_range() and the protection that entry got: one
 * page-table walk and one PTE lock per 2 MiB instead of a PAT lookup, a
 * walk and a lock per 4 KiB (for 1 GiB: 262144 of each, under memory_lock).
 * Every page of a buffer lies in one BAR, whose memory type is one for the
 * whole BAR while the device is open: the BAR's iomap
 * (vpd_compat_claim_bar(), before any mapping exists) reserves the whole
 * BAR, and PAT refuses reservations of another type that overlap it.
 * Entries already present (a concurrent fault of the same VMA) are left
 * alone.
 */
static vm_fault_t vpd_populate_vma(struct vfio_pci_core_device *vdev,
				   struct vm_area_struct *vma,
				   const struct vpd_buf *buf,
				   const struct vpd_run *fault_run,
				   unsigned long fault_addr, pgprot_t prot)
{
	struct vpd_fill fill = { .vma = vma };
	unsigned long addr = vma->vm_start;
	struct vpd_vma_geom geom;
	struct vpd_run run;
	vm_fault_t ret;

	lockdep_assert_held(&vdev->memory_lock);

	/* @fault_run: the fault path's own lookup, which contains @fault_addr. */
	ret = vmf_insert_pfn_prot(vma, fault_addr, fault_run->pfn +
				  ((fault_addr - fault_run->start_addr) >> PAGE_SHIFT),
				  prot);
	if (ret & VM_FAULT_ERROR)
		return ret;
	/* Only the faulting page if its entry cannot be read back. */
	if (apply_to_page_range(vma->vm_mm, fault_addr, PAGE_SIZE,
				vpd_read_pte_prot, &fill.prot))
		return ret;

	vpd_vma_geom(vma, buf, &geom);
	while (addr < vma->vm_end) {
		if (vpd_fault_around(buf->table, &geom, addr, &run) || !run.nr_pages)
			return ret;
		fill.start_addr = run.start_addr;
		fill.pfn = run.pfn;
		/* A failure (no memory for a page table) leaves pages to fault later. */
		if (apply_to_page_range(vma->vm_mm, run.start_addr,
					run.nr_pages << PAGE_SHIFT, vpd_fill_pte, &fill))
			return ret;
		addr = run.start_addr + (run.nr_pages << PAGE_SHIFT);
		cond_resched();
	}
	return ret;
}

/* What one fault maps: a run of small pages, or one huge page. */
struct vpd_fault_target {
	unsigned int order;
	struct vpd_run run;		/* order 0 */
	unsigned long long pfn;		/* order > 0 */
};

/*
 * Insert @t with @prot, once the caller has decided under memory_lock that
 * memory is usable.  Huge entries take the VMA's own protection: a caller
 * whose @prot differs asks for small pages instead.
 */
static vm_fault_t vpd_insert(struct vm_fault *vmf,
			     struct vfio_pci_core_device *vdev,
			     const struct vpd_buf *buf,
			     const struct vpd_fault_target *t, pgprot_t prot)
{
	unsigned long addr = vmf->address & PAGE_MASK;
	bool write = vmf->flags & FAULT_FLAG_WRITE;

	lockdep_assert_held(&vdev->memory_lock);

	if (t->order == 0) {
		if (VPD_HUGE_PFNMAP)
			return vpd_insert_run(vmf->vma, &t->run, addr, prot);
		return vpd_populate_vma(vdev, vmf->vma, buf, &t->run, addr, prot);
	}
	if (pgprot_val(prot) != pgprot_val(vmf->vma->vm_page_prot))
		return VM_FAULT_FALLBACK;
	/*
	 * A write fault must leave a writable entry: when the VMA's protection
	 * is read-only for write notification (soft-dirty tracking after
	 * clear_refs), a write reaches us through wp_huge_pmd()/wp_huge_pud()
	 * on the present read-only entry, which only an insert with write set
	 * makes writable (and dirty); without it the write faults forever.
	 */
	if (t->order == PMD_SHIFT - PAGE_SHIFT)
		return vpd_compat_insert_pmd(vmf, t->pfn, write);
	if (t->order == PUD_SHIFT - PAGE_SHIFT)
		return vpd_compat_insert_pud(vmf, t->pfn, write);
	return VM_FAULT_FALLBACK;
}

/* Count and trace a fault's outcome @ret on @vpd; returns @ret. */
static vm_fault_t vpd_fault_done(struct vpd_device *vpd, struct vm_fault *vmf,
				 const struct vpd_buf *buf, unsigned int order,
				 vm_fault_t ret)
{
	vpd_stat_fault(vpd, order, ret);
	trace_vpd_fault(vpd->core.pdev, buf->kind == VPD_BUF_EXPORT, buf->bar,
			vmf->address, order, (unsigned int)ret);
	return ret;
}

/* What a failed table lookup makes of the fault. */
static vm_fault_t vpd_lookup_fault(int r)
{
	return r == VPD_FALLBACK ? VM_FAULT_FALLBACK : VM_FAULT_SIGBUS;
}

/* A BAR mapping: revoked by vfio-pci-core's own zap (src/revoke.c). */
static vm_fault_t vpd_bar_fault(struct vm_fault *vmf, struct vpd_bar_buf *bb,
				const struct vpd_fault_target *t, int r)
{
	struct vfio_pci_core_device *vdev = &bb->vpd->core;
	vm_fault_t ret;

	if (r)
		return vpd_fault_done(bb->vpd, vmf, &bb->base, t->order,
				      vpd_lookup_fault(r));

	vpd_bar_fault_lock(vdev);

	if (!vpd_memory_usable(vdev)) {
		ret = VM_FAULT_SIGBUS;
		goto out_unlock;
	}

	/* Up to 6.9: listed before any PTE exists, so the core zaps it. */
	if (vpd_bar_track_vma(vdev, vmf->vma, GFP_KERNEL_ACCOUNT)) {
		ret = VM_FAULT_OOM;
		goto out_unlock;
	}

	ret = vpd_insert(vmf, vdev, &bb->base, t, vmf->vma->vm_page_prot);

out_unlock:
	vpd_bar_fault_unlock(vdev);
	return vpd_fault_done(bb->vpd, vmf, &bb->base, t->order, ret);
}

/*
 * A mapping of an exported DMABUF: revoked by us (src/revoke.c), which zaps
 * while holding exports_lock for write; the device is reached only while
 * the export is attached to it.
 */
static vm_fault_t vpd_export_fault(struct vm_fault *vmf, struct vpd_export *e,
				   const struct vpd_fault_target *t, int r)
{
	struct vpd_device *vpd;
	vm_fault_t ret;
	int idx;

	vpd = vpd_export_device_get(e, &idx);
	if (!vpd) {
		ret = VM_FAULT_SIGBUS;
		goto out_put;
	}
	if (r) {
		ret = vpd_fault_done(vpd, vmf, &e->base, t->order,
				     vpd_lookup_fault(r));
		goto out_put;
	}

	down_read(&vpd->core.memory_lock);
	down_read(&vpd->exports_lock);
	if (vpd_export_live(vpd, e))
		ret = vpd_insert(vmf, &vpd->core, &e->base, t,
				 vpd_export_pgprot(vmf->vma->vm_page_prot,
						   e->memattr));
	else
		ret = VM_FAULT_SIGBUS;
	up_read(&vpd->exports_lock);
	up_read(&vpd->core.memory_lock);
	vpd_fault_done(vpd, vmf, &e->base, t->order, ret);
out_put:
	vpd_export_device_put(idx);
	return ret;
}

/* The fault of a mapping of @buf: one lookup, then the kind's own path. */
static vm_fault_t vpd_buf_fault(struct vm_fault *vmf, const struct vpd_buf *buf,
				unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address & PAGE_MASK;
	struct vpd_fault_target t = { .order = order };
	struct vpd_vma_geom geom;
	int r;

	/*
	 * One lookup, before taking any lock (the table is immutable): the
	 * fault-around run for order 0 (it contains addr, and fails exactly
	 * where vpd_find_pfn() would), the PFN of the huge page otherwise.
	 */
	vpd_vma_geom(vma, buf, &geom);
	if (order == 0)
		r = vpd_fault_around(buf->table, &geom, addr, &t.run);
	else
		r = vpd_find_pfn(buf->table, &geom, addr, order, &t.pfn);
	if (buf->kind == VPD_BUF_EXPORT)
		return vpd_export_fault(vmf, container_of(buf, struct vpd_export, base),
					&t, r);
	return vpd_bar_fault(vmf, container_of(buf, struct vpd_bar_buf, base),
			     &t, r);
}

/*
 * A BAR mapping: vm_file is the BAR's DMABUF (its buffer is the DMABUF's
 * priv), vm_private_data the vfio device file the mapping was made
 * through, which each VMA owns a reference on.
 */
static struct vpd_bar_buf *vpd_vma_bar_buf(const struct vm_area_struct *vma)
{
	const struct dma_buf *dmabuf = vma->vm_file->private_data;

	return dmabuf->priv;
}

static vm_fault_t vpd_bar_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	return vpd_buf_fault(vmf, &vpd_vma_bar_buf(vmf->vma)->base, order);
}

static vm_fault_t vpd_bar_vm_fault(struct vm_fault *vmf)
{
	return vpd_bar_huge_fault(vmf, 0);
}

/* A mapping of an exported DMABUF: vm_private_data is its buffer. */
static vm_fault_t vpd_export_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	return vpd_buf_fault(vmf, vmf->vma->vm_private_data, order);
}

static vm_fault_t vpd_export_vm_fault(struct vm_fault *vmf)
{
	return vpd_export_huge_fault(vmf, 0);
}

/*
 * A new VMA of a BAR mapping: fork (the child's copy) or a split.  It
 * takes its own reference on the vfio device file.  Up to 6.9 it must be
 * listed for the core's zap before fork copies PTEs into it.  (Exports are
 * zapped through their own file mapping, which every copy shares.)
 */
static void vpd_bar_vma_open_op(struct vm_area_struct *vma)
{
	struct vpd_device *vpd = vpd_vma_bar_buf(vma)->vpd;

	get_file(vma->vm_private_data);
	vpd_stat_inc(vpd, VPD_STAT_LIVE_BAR_VMAS);
	vpd_bar_vma_open(&vpd->core, vma);
}

/* The VMA is gone; its device file reference last (the device may close). */
static void vpd_bar_vma_close_op(struct vm_area_struct *vma)
{
	struct vpd_device *vpd = vpd_vma_bar_buf(vma)->vpd;

	vpd_bar_vma_close(&vpd->core, vma);
	vpd_stat_dec(vpd, VPD_STAT_LIVE_BAR_VMAS);
	fput(vma->vm_private_data);
}

/*
 * The VMA is about to be split at @addr (munmap, mremap, mprotect of a
 * part).  The mm adjusts only PMD entries at a split point
 * (vma_adjust_trans_huge() -> split_huge_pmd_address()), and mm_find_pmd()
 * does not stop at a leaf PUD: inside a PUD-mapped window it reads the
 * BAR's PFN as a page table and oopses (seen on 6.12 under KASAN; the same
 * mm code runs for every PUD-mapped PFNMAP VMA on 6.12 and 7.3).  A PUD
 * left straddling the two halves would also break split_huge_pud()'s
 * assumption that one VMA covers it.  So zap the PUD-sized window around
 * @addr first, with the VMA write-locked so that no per-VMA-lock fault maps
 * it again before the split; both halves fault anew, with PMDs at most.
 * Nothing to do where the kernel has no PUD PFN mappings.
 */
static int vpd_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	unsigned long start = ALIGN_DOWN(addr, PUD_SIZE);

	if (!VPD_PUD_PFNMAP || IS_ALIGNED(addr, PUD_SIZE) ||
	    start < vma->vm_start || start + PUD_SIZE > vma->vm_end)
		return 0;
	vpd_compat_vma_start_write(vma);
	vpd_compat_zap_vma_range(vma, start, PUD_SIZE);
	return 0;
}

static const struct vm_operations_struct vpd_bar_vm_ops = {
	.open = vpd_bar_vma_open_op,
	.close = vpd_bar_vma_close_op,
	.fault = vpd_bar_vm_fault,
	VPD_VM_OPS_HUGE_FAULT(vpd_bar_huge_fault)
	.may_split = vpd_may_split,
};

const struct vm_operations_struct vpd_export_vm_ops = {
	.fault = vpd_export_vm_fault,
	VPD_VM_OPS_HUGE_FAULT(vpd_export_huge_fault)
	.may_split = vpd_may_split,
};

void vpd_bar_descs(struct vfio_pci_core_device *vdev,
		   struct vpd_bar_desc *bars)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		bars[i] = (struct vpd_bar_desc) {
			.phys_addr = pci_resource_start(pdev, i),
			.len = pci_resource_len(pdev, i),
			.mmap_ok = vdev->bar_mmap_supported[i],
			/* vfio-pci maps MSI-X BARs whole since v4.16. */
			.msix_refuse = 0,
		};
	}
}

/*
 * mmap of a vfio region.  BARs get a DMABUF-backed mapping; anything else
 * (device-specific regions) goes to vfio-pci-core.  Same checks and errnos
 * as vfio_pci_core_mmap().
 */
int vpd_mmap_bar(struct vpd_device *vpd, struct vm_area_struct *vma)
{
	struct vfio_pci_core_device *vdev = &vpd->core;
	struct vpd_bar_desc bars[PCI_STD_NUM_BARS];
	struct vpd_bar_mmap_req req = {
		.vm_pgoff = vma->vm_pgoff,
		.len = vma->vm_end - vma->vm_start,
		.nr_regions = VFIO_PCI_NUM_REGIONS + vdev->num_regions,
		.shared = !!(vma->vm_flags & VM_SHARED),
	};
	struct vpd_bar_map map;
	struct vpd_bar_buf *buf;
	int ret;

	vpd_bar_descs(vdev, bars);
	ret = vpd_bar_map(bars, &req, &map);
	if (ret == VPD_DELEGATE)
		return vfio_pci_core_mmap(&vdev->vdev, vma);
	if (ret)
		return ret;

	ret = vpd_compat_claim_bar(vdev, map.bar);
	if (ret)
		return ret;

	/* The buffer covers the whole BAR, shared by all its mappings. */
	buf = vpd_bar_buf_get(vpd, bars, &req, map.bar);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	/*
	 * The VMA's reference on the vfio device file it was made through
	 * moves to vm_private_data (a live mapping keeps the device open, and
	 * with it the buffer); its vm_file becomes the BAR's DMABUF, with a
	 * reference of its own.  (What vma_set_file() does, without taking
	 * and dropping a reference on the vfio file in between.)
	 */
	vma->vm_private_data = vma->vm_file;
	vma->vm_file = get_file(buf->base.dmabuf->file);

	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_page_prot = pgprot_decrypted(vma->vm_page_prot);
	/* Same flags as vfio-pci sets, fixed here: the fault path never changes them. */
	vpd_compat_vm_flags_set(vma, VPD_VM_ALLOW_ANY_UNCACHED | VM_IO |
				VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &vpd_bar_vm_ops;
	vpd_stat_inc(vpd, VPD_STAT_BAR_MMAPS);
	vpd_stat_inc(vpd, VPD_STAT_LIVE_BAR_VMAS);
	trace_vpd_mmap(vdev->pdev, false, map.bar,
		       map.bar_offset, vma->vm_end - vma->vm_start);
	return 0;
}
