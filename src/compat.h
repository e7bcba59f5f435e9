/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that knows which kernel we are built against.  It reads the
 * conftest results (include/generated/vpd_conftest.h, written by
 * scripts/conftest.sh for the target kernel) and turns each into a helper or
 * an initialiser fragment, so no version test appears anywhere else.
 */
#ifndef VPD_COMPAT_H
#define VPD_COMPAT_H

#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/huge_mm.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>
#include "vfio_pci_dmabuf/core.h"
#include "vpd_conftest.h"
#ifdef VPD_HAVE_VMF_INSERT_PFN_PMD_PFN_T
#include <linux/pfn_t.h>
#endif

/* The dma-buf exports live in the DMA_BUF symbol namespace. */
#ifdef VPD_HAVE_MODULE_IMPORT_NS_IDENT
#define VPD_MODULE_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS(DMA_BUF)
#else
#define VPD_MODULE_IMPORT_NS_DMA_BUF() MODULE_IMPORT_NS("DMA_BUF")
#endif

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

/*
 * Claim a BAR for mapping (request its region, iomap it) as
 * vfio_pci_core_mmap() does: vfio-pci-core's barmap[] tracks the claim and
 * vfio_pci_core_disable() releases it.
 */
#if defined(VPD_HAVE_VFIO_PCI_CORE_GET_IOMAP)
static inline int vpd_compat_claim_bar(struct vfio_pci_core_device *vdev,
				       unsigned int bar)
{
	void __iomem *io = vfio_pci_core_get_iomap(vdev, bar);

	return IS_ERR(io) ? PTR_ERR(io) : 0;
}
#elif defined(VPD_HAVE_VFIO_PCI_CORE_SETUP_BARMAP)
static inline int vpd_compat_claim_bar(struct vfio_pci_core_device *vdev,
				       unsigned int bar)
{
	return vfio_pci_core_setup_barmap(vdev, bar);
}
#else
static inline int vpd_compat_claim_bar(struct vfio_pci_core_device *vdev,
				       unsigned int bar)
{
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	if (vdev->barmap[bar])
		return 0;
	ret = pci_request_selected_regions(pdev, 1 << bar, "vfio");
	if (ret)
		return ret;
	vdev->barmap[bar] = pci_iomap(pdev, bar, 0);
	if (!vdev->barmap[bar]) {
		pci_release_selected_regions(pdev, 1 << bar);
		return -ENOMEM;
	}
	return 0;
}
#endif

/* Zap the PTEs of part of a VM_PFNMAP VMA. */
static inline void vpd_compat_zap_vma_range(struct vm_area_struct *vma,
					    unsigned long addr,
					    unsigned long size)
{
#ifdef VPD_HAVE_ZAP_SPECIAL_VMA_RANGE
	zap_special_vma_range(vma, addr, size);
#else
	zap_vma_ptes(vma, addr, size);
#endif
}

#ifdef VPD_HAVE_VM_FLAGS_SET
static inline void vpd_compat_vm_flags_set(struct vm_area_struct *vma,
					   unsigned long flags)
{
	vm_flags_set(vma, flags);
}
#else
static inline void vpd_compat_vm_flags_set(struct vm_area_struct *vma,
					   unsigned long flags)
{
	vma->vm_flags |= flags;
}
#endif

#ifdef VPD_HAVE_VM_ALLOW_ANY_UNCACHED
#define VPD_VM_ALLOW_ANY_UNCACHED VM_ALLOW_ANY_UNCACHED
#else
#define VPD_VM_ALLOW_ANY_UNCACHED 0
#endif

/*
 * Huge PFN mappings: whether the mm calls huge_fault for VM_PFNMAP VMAs, the
 * PMD/PUD inserters in this kernel's calling convention, and the entry sizes
 * the module reports (modinfo huge_pfnmap, parameter huge_pfnmap).
 */
#ifdef VPD_HAVE_HUGE_PFNMAP
#define VPD_HUGE_PFNMAP true
#define VPD_VM_OPS_HUGE_FAULT(fn) .huge_fault = (fn),
#ifdef CONFIG_ARCH_SUPPORTS_PUD_PFNMAP
#define VPD_HUGE_PFNMAP_ORDERS "pmd,pud"
#define VPD_PUD_PFNMAP true
#else
#define VPD_HUGE_PFNMAP_ORDERS "pmd"
#define VPD_PUD_PFNMAP false
#endif

/* Per-VMA locks (6.4+) exist wherever huge PFN maps do. */
static inline void vpd_compat_vma_start_write(struct vm_area_struct *vma)
{
	vma_start_write(vma);
}

static inline vm_fault_t vpd_compat_insert_pmd(struct vm_fault *vmf,
					       unsigned long pfn, bool write)
{
#ifdef VPD_HAVE_VMF_INSERT_PFN_PMD_PFN_T
	return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);
#else
	return vmf_insert_pfn_pmd(vmf, pfn, write);
#endif
}

static inline vm_fault_t vpd_compat_insert_pud(struct vm_fault *vmf,
					       unsigned long pfn, bool write)
{
#if !defined(CONFIG_ARCH_SUPPORTS_PUD_PFNMAP)
	return VM_FAULT_FALLBACK;
#elif defined(VPD_HAVE_VMF_INSERT_PFN_PMD_PFN_T)
	return vmf_insert_pfn_pud(vmf, __pfn_to_pfn_t(pfn, PFN_DEV), write);
#else
	return vmf_insert_pfn_pud(vmf, pfn, write);
#endif
}
#else
#define VPD_HUGE_PFNMAP false
#define VPD_PUD_PFNMAP false
#define VPD_VM_OPS_HUGE_FAULT(fn)
#define VPD_HUGE_PFNMAP_ORDERS "none"

static inline void vpd_compat_vma_start_write(struct vm_area_struct *vma)
{
}

static inline vm_fault_t vpd_compat_insert_pmd(struct vm_fault *vmf,
					       unsigned long pfn, bool write)
{
	return VM_FAULT_FALLBACK;
}

static inline vm_fault_t vpd_compat_insert_pud(struct vm_fault *vmf,
					       unsigned long pfn, bool write)
{
	return VM_FAULT_FALLBACK;
}
#endif

/*
 * Exported DMABUFs and their importers.
 *
 * Invalidating importers: dma_buf_invalidate_mappings() since 7.1,
 * dma_buf_move_notify() before; a revocable importer is one with the
 * callback of that name.
 */
#ifdef VPD_HAVE_DMA_BUF_INVALIDATE_MAPPINGS
static inline void vpd_compat_invalidate_importers(struct dma_buf *dmabuf)
{
	dma_buf_invalidate_mappings(dmabuf);
}

static inline bool vpd_compat_attach_revocable(struct dma_buf_attachment *a)
{
	return dma_buf_attach_revocable(a);
}
#else
static inline void vpd_compat_invalidate_importers(struct dma_buf *dmabuf)
{
	dma_buf_move_notify(dmabuf);
}

static inline bool vpd_compat_attach_revocable(struct dma_buf_attachment *a)
{
	return a->importer_ops && a->importer_ops->move_notify;
}
#endif

/*
 * P2P mapping of BAR ranges for importers: the kernel's phys_vec mapper
 * with the BAR's P2PDMA provider (6.19+, and only with CONFIG_PCI_P2PDMA).
 * Elsewhere no importer can attach.
 */
#if defined(VPD_HAVE_DMA_BUF_PHYS_VEC_TO_SGT) && IS_ENABLED(CONFIG_PCI_P2PDMA)
#include <linux/dma-buf-mapping.h>
#include <linux/pci-p2pdma.h>
#define VPD_P2P_IMPORTERS true

static inline struct p2pdma_provider *
vpd_compat_p2p_provider(struct pci_dev *pdev, unsigned int bar)
{
	return pcim_p2pdma_provider(pdev, bar);
}

/* Map @t's ranges for @attach; NULL-free on every path. */
static inline struct sg_table *
vpd_compat_map_ranges(struct dma_buf_attachment *attach,
		      struct p2pdma_provider *provider,
		      const struct vpd_table *t, enum dma_data_direction dir)
{
	struct phys_vec *vec;
	struct sg_table *sgt;
	unsigned int i;

	vec = kcalloc(t->nr_segs, sizeof(*vec), GFP_KERNEL);
	if (!vec)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < t->nr_segs; i++) {
		vec[i].paddr = t->segs[i].phys_addr;
		vec[i].len = t->segs[i].len;
	}
	sgt = dma_buf_phys_vec_to_sgt(attach, provider, vec, t->nr_segs,
				      t->total_len, dir);
	kfree(vec);
	return sgt;
}

static inline void vpd_compat_unmap_ranges(struct dma_buf_attachment *attach,
					   struct sg_table *sgt,
					   enum dma_data_direction dir)
{
	/*
	 * dma_buf_phys_vec_to_sgt() zeroes orig_nents (the table has no CPU
	 * list), and dma_buf_free_sgt()'s sg_free_table() frees orig_nents
	 * entries: as 7.3 has it, the scatterlist leaks at every unmap
	 * (kmemleak shows it, for vfio-pci-core's DMABUFs too).  Every entry
	 * is in use (the mapper warns otherwise): give the count back.
	 */
	sgt->orig_nents = sgt->nents;
	dma_buf_free_sgt(attach, sgt, dir);
}
#else
#define VPD_P2P_IMPORTERS false

static inline struct p2pdma_provider *
vpd_compat_p2p_provider(struct pci_dev *pdev, unsigned int bar)
{
	return NULL;
}

static inline struct sg_table *
vpd_compat_map_ranges(struct dma_buf_attachment *attach,
		      struct p2pdma_provider *provider,
		      const struct vpd_table *t, enum dma_data_direction dir)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void vpd_compat_unmap_ranges(struct dma_buf_attachment *attach,
					   struct sg_table *sgt,
					   enum dma_data_direction dir)
{
}
#endif

/* A reference on @file unless its last one is already gone. */
#ifdef VPD_HAVE_GET_FILE_ACTIVE
static inline bool vpd_compat_file_tryget(struct file *file)
{
	return get_file_active(&file) != NULL;
}
#else
static inline bool vpd_compat_file_tryget(struct file *file)
{
	return atomic_long_inc_not_zero(&file->f_count);
}
#endif

/*
 * vfio-pci-core's own export of feature 11 (iommufd can import it; it
 * cannot be mmap()ed), which the core_dma_buf parameter selects.
 */
#ifdef VPD_HAVE_VFIO_PCI_DEVICE_OPS_DMABUF
#define VPD_CORE_DMA_BUF true
#else
#define VPD_CORE_DMA_BUF false
#endif

/*
 * How vfio-pci-core zaps BAR mappings on this kernel (src/revoke.c uses it
 * to make ours part of that zap; Documentation/design.rst):
 *
 * 6.10+: unmap_mapping_range() on the vfio device inode's mapping, over the
 * BAR region offsets; a DMABUF file whose f_mapping is that address_space
 * links its VMAs into it.
 *
 * Up to 6.9: the VMAs on vdev->vma_list, under vdev->vma_lock.
 */
#if defined(VPD_HAVE_VFIO_DEVICE_INODE)
#define VPD_REVOKE_MECHANISM "shared address_space"

static inline void vpd_compat_share_mapping(struct vfio_device *core_vdev,
					    struct file *dmabuf_file)
{
	dmabuf_file->f_mapping = core_vdev->inode->i_mapping;
}

/* Undo vpd_compat_share_mapping() once no VMA of @dmabuf_file is left. */
static inline void vpd_compat_unshare_mapping(struct file *dmabuf_file)
{
	dmabuf_file->f_mapping = file_inode(dmabuf_file)->i_mapping;
}

static inline struct mutex *
vpd_compat_vma_lock(struct vfio_pci_core_device *vdev)
{
	return NULL;
}

static inline struct list_head *
vpd_compat_vma_list(struct vfio_pci_core_device *vdev)
{
	return NULL;
}
#elif defined(VPD_HAVE_VFIO_PCI_VMA_LIST)
#define VPD_REVOKE_MECHANISM "vfio-pci-core vma_list"

static inline void vpd_compat_share_mapping(struct vfio_device *core_vdev,
					    struct file *dmabuf_file)
{
}

static inline void vpd_compat_unshare_mapping(struct file *dmabuf_file)
{
}

static inline struct mutex *
vpd_compat_vma_lock(struct vfio_pci_core_device *vdev)
{
	return &vdev->vma_lock;
}

static inline struct list_head *
vpd_compat_vma_list(struct vfio_pci_core_device *vdev)
{
	return &vdev->vma_list;
}
#else
#error "vfio-pci-core offers no way to have our BAR mappings zapped"
#endif

/*
 * KUnit, for the test module (its files include <kunit/test.h> before this
 * header).  KUNIT_ARRAY_PARAM_DESC(), a parameter generator that names each
 * case after a member of the array element, appeared in v6.6: 6.1 has only
 * KUNIT_ARRAY_PARAM() with a description function, which this builds on.
 */
#if defined(KUNIT_ARRAY_PARAM) && !defined(KUNIT_ARRAY_PARAM_DESC)
#define KUNIT_ARRAY_PARAM_DESC(name, array, desc_member)			\
	static void name##_desc_of(typeof((array)[0]) *param, char *desc)	\
	{									\
		strscpy(desc, param->desc_member, KUNIT_PARAM_DESC_SIZE);	\
	}									\
	KUNIT_ARRAY_PARAM(name, array, name##_desc_of)
#endif

#endif /* VPD_COMPAT_H */
