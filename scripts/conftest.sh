#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# conftest: probe the target kernel's API, one probe per difference that the
# glue cares about.  Called by Kbuild with the kernel's C compiler and flags:
#
#   conftest.sh CC FLAGS...  > include/generated/vpd_conftest.h
#
# Each probe is a tiny C file compiled with exactly the flags of a module
# object; it compiles if and only if the API is there (the kernel's flags make
# implicit declarations, incompatible pointers and unknown members errors).
# Probes are compiled with -Werror and whatever W= level the build uses, so
# each one declares what it defines.  Only src/compat.h reads the result.  Every probe names the upstream change
# (and the first release) that introduced the API it detects.

set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT


run() {
	name=$1
	shift
	if "$@" -Werror -c -x c "$tmp/$name.c" -o "$tmp/$name.o" 2>"$tmp/$name.log"; then
		echo "#define $name 1"
	else
		echo "/* #undef $name */"
	fi
}

cat > "$tmp/VPD_HAVE_VFIO_IOMMUFD_PHYSICAL.c" <<'C'
/* v6.2: "vfio-iommufd: Support iommufd for physical VFIO devices" */
#include <linux/vfio.h>
static const struct vfio_device_ops ops = {
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
};
const void *vpd_probe(void);
const void *vpd_probe(void) { return &ops; }
C

cat > "$tmp/VPD_HAVE_VFIO_IOMMUFD_DETACH_IOAS.c" <<'C'
/* v6.6: "vfio-iommufd: Add detach_ioas support for physical VFIO devices" */
#include <linux/vfio.h>
static const struct vfio_device_ops ops = {
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};
const void *vpd_probe(void);
const void *vpd_probe(void) { return &ops; }
C

cat > "$tmp/VPD_HAVE_VFIO_PASID_ATTACH_IOAS.c" <<'C'
/* v6.15: "vfio: VFIO_DEVICE_[AT|DE]TACH_IOMMUFD_PT support pasid" adds
 * vfio_device_ops.pasid_{attach,detach}_ioas and the physical helpers. */
#include <linux/vfio.h>
static const struct vfio_device_ops ops = {
	.pasid_attach_ioas = vfio_iommufd_physical_pasid_attach_ioas,
	.pasid_detach_ioas = vfio_iommufd_physical_pasid_detach_ioas,
};
const void *vpd_probe(void);
const void *vpd_probe(void) { return &ops; }
C

cat > "$tmp/VPD_HAVE_VFIO_GET_REGION_INFO_CAPS.c" <<'C'
/* v6.19: "vfio: Add get_region_info_caps op" moves VFIO_DEVICE_GET_REGION_INFO
 * out of the drivers' ioctl; vfio-pci exports vfio_pci_ioctl_get_region_info. */
#include <linux/vfio_pci_core.h>
static const struct vfio_device_ops ops = {
	.get_region_info_caps = vfio_pci_ioctl_get_region_info,
};
const void *vpd_probe(void);
const void *vpd_probe(void) { return &ops; }
C

cat > "$tmp/VPD_HAVE_VFIO_MATCH_TOKEN_UUID.c" <<'C'
/* v6.17: "vfio/pci: Allow the VF token to be set through iommufd bind"
 * adds vfio_device_ops.match_token_uuid. */
#include <linux/vfio_pci_core.h>
static const struct vfio_device_ops ops = {
	.match_token_uuid = vfio_pci_core_match_token_uuid,
};
const void *vpd_probe(void);
const void *vpd_probe(void) { return &ops; }
C

cat > "$tmp/VPD_HAVE_VFIO_PCI_DEVICE_OPS_DMABUF.c" <<'C'
/* v6.19: "vfio/pci: Add dma-buf export support for MMIO regions" adds
 * vfio_pci_core_device.pci_ops and vfio_pci_core_get_dmabuf_phys. */
#include <linux/vfio_pci_core.h>
static const struct vfio_pci_device_ops ops = {
	.get_dmabuf_phys = vfio_pci_core_get_dmabuf_phys,
};
void vpd_probe(struct vfio_pci_core_device *vdev);
void vpd_probe(struct vfio_pci_core_device *vdev) { vdev->pci_ops = &ops; }
C

cat > "$tmp/VPD_HAVE_VFIO_PCI_CORE_SETUP_BARMAP.c" <<'C'
/* Exported between v6.1 and v6.12 (for the hisi_acc variant driver): the
 * helper that requests a BAR's region and iomaps it.  Gone again by v7.3,
 * which sets every BAR up at enable time (VPD_HAVE_VFIO_PCI_CORE_GET_IOMAP). */
#include <linux/vfio_pci_core.h>
int vpd_probe(struct vfio_pci_core_device *vdev);
int vpd_probe(struct vfio_pci_core_device *vdev) { return vfio_pci_core_setup_barmap(vdev, 0); }
C

cat > "$tmp/VPD_HAVE_VFIO_PCI_CORE_GET_IOMAP.c" <<'C'
/* After v6.12 (present in v7.3): vfio_pci_core_get_iomap(); the BARs are
 * claimed by vfio_pci_core_enable(). */
#include <linux/vfio_pci_core.h>
void __iomem *vpd_probe(struct vfio_pci_core_device *vdev);
void __iomem *vpd_probe(struct vfio_pci_core_device *vdev) { return vfio_pci_core_get_iomap(vdev, 0); }
C

cat > "$tmp/VPD_HAVE_VM_FLAGS_SET.c" <<'C'
/* v6.3: "mm: introduce vma->vm_flags wrapper functions" */
#include <linux/mm.h>
void vpd_probe(struct vm_area_struct *vma);
void vpd_probe(struct vm_area_struct *vma) { vm_flags_set(vma, VM_IO); }
C

cat > "$tmp/VPD_HAVE_ZAP_SPECIAL_VMA_RANGE.c" <<'C'
/* 7.x: zap_vma_ptes() became zap_special_vma_range() (same arguments). */
#include <linux/mm.h>
void vpd_probe(struct vm_area_struct *vma);
void vpd_probe(struct vm_area_struct *vma) { zap_special_vma_range(vma, 0, PAGE_SIZE); }
C

cat > "$tmp/VPD_HAVE_VM_ALLOW_ANY_UNCACHED.c" <<'C'
/* v6.10: "mm: Introduce new flag to indicate wc safe" (VM_ALLOW_ANY_UNCACHED),
 * set by vfio-pci on BAR mappings since then. */
#include <linux/mm.h>
unsigned long vpd_probe(void);
unsigned long vpd_probe(void) { return VM_ALLOW_ANY_UNCACHED; }
C

cat > "$tmp/VPD_HAVE_VFIO_DEVICE_INODE.c" <<'C'
/* v6.10: "vfio: Create vfio_fs_type with inode per device"; vfio-pci-core
 * zaps BAR mappings with unmap_mapping_range() on this inode's mapping
 * ("vfio/pci: Use unmap_mapping_range()", same release). */
#include <linux/fs.h>
#include <linux/vfio.h>
struct address_space *vpd_probe(struct vfio_device *vdev);
struct address_space *vpd_probe(struct vfio_device *vdev) { return vdev->inode->i_mapping; }
C

cat > "$tmp/VPD_HAVE_VFIO_PCI_VMA_LIST.c" <<'C'
/* up to v6.9: vfio-pci-core tracks faulted BAR VMAs on vdev->vma_list under
 * vdev->vma_lock and zaps them from there (removed by "vfio/pci: Use
 * unmap_mapping_range()" in v6.10). */
#include <linux/vfio_pci_core.h>
struct list_head *vpd_probe(struct vfio_pci_core_device *vdev);
struct list_head *vpd_probe(struct vfio_pci_core_device *vdev)
{
	mutex_lock(&vdev->vma_lock);
	mutex_unlock(&vdev->vma_lock);
	return &vdev->vma_list;
}
C

cat > "$tmp/VPD_HAVE_HUGE_PFNMAP.c" <<'C'
/* v6.12: "mm/x86: Support large pfn mappings" and "mm: Allow THP orders for
 * PFNMAPs": the mm calls vm_ops->huge_fault(vmf, order) for VM_PFNMAP VMAs
 * (order-based huge_fault since v6.6, "mm: convert huge_fault to take an
 * order" era). */
#include <linux/mm.h>
#include <linux/huge_mm.h>
#ifndef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
#error no huge PFN maps
#endif
static vm_fault_t vpd_hf(struct vm_fault *vmf, unsigned int order) { return VM_FAULT_FALLBACK; }
const struct vm_operations_struct vpd_probe_ops = { .huge_fault = vpd_hf };
C

cat > "$tmp/VPD_HAVE_VMF_INSERT_PFN_PMD_PFN_T.c" <<'C'
/* Up to at least v6.12: vmf_insert_pfn_pmd/pud() take a pfn_t; "mm: remove
 * pfn_t" (after v6.12, before v7.3) made them take an unsigned long pfn. */
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/pfn_t.h>
vm_fault_t vpd_probe(struct vm_fault *vmf);
vm_fault_t vpd_probe(struct vm_fault *vmf) { return vmf_insert_pfn_pmd(vmf, __pfn_to_pfn_t(0, PFN_DEV), false); }
C

cat > "$tmp/VPD_HAVE_MODULE_IMPORT_NS_IDENT.c" <<'C'
/* up to v6.12: MODULE_IMPORT_NS() takes an identifier; v6.13 "module:
 * Convert symbol namespace to string literal" made it take a string (an
 * identifier then fails to compile, while a string would compile, wrongly,
 * on old kernels: so this probes the old form). */
#include <linux/module.h>
MODULE_IMPORT_NS(DMA_BUF);
C

cat > "$tmp/VPD_HAVE_DMA_BUF_INVALIDATE_MAPPINGS.c" <<'C'
/* v7.1: "dma-buf: Rename move_notify to invalidate_mappings" (with
 * dma_buf_attach_revocable()); before it, dma_buf_move_notify() and
 * dma_buf_attach_ops.move_notify (v5.7). */
#include <linux/dma-buf.h>
bool vpd_probe(struct dma_buf_attachment *a);
bool vpd_probe(struct dma_buf_attachment *a)
{
	dma_buf_invalidate_mappings(a->dmabuf);
	return dma_buf_attach_revocable(a) && a->importer_ops->invalidate_mappings;
}
C

cat > "$tmp/VPD_HAVE_DMA_BUF_PHYS_VEC_TO_SGT.c" <<'C'
/* v6.19: "dma-buf: provide phys_vec to scatter-gather mapping routine" and
 * "PCI/P2PDMA: Separate the mmap() support from the core logic"
 * (pcim_p2pdma_provider): an exporter of MMIO ranges maps them for a P2P
 * importer. */
#include <linux/dma-buf.h>
#include <linux/dma-buf-mapping.h>
#include <linux/pci-p2pdma.h>
struct sg_table *vpd_probe(struct dma_buf_attachment *a, struct pci_dev *pdev,
			   struct phys_vec *v);
struct sg_table *vpd_probe(struct dma_buf_attachment *a, struct pci_dev *pdev,
			   struct phys_vec *v)
{
	return dma_buf_phys_vec_to_sgt(a, pcim_p2pdma_provider(pdev, 0), v, 1,
				       v->len, DMA_BIDIRECTIONAL);
}
C

cat > "$tmp/VPD_HAVE_GET_FILE_ACTIVE.c" <<'C'
/* v6.7: "fs: add get_file_active()" (files became SLAB_TYPESAFE_BY_RCU);
 * before it, a file's count was an atomic_long_t f_count. */
#include <linux/fs.h>
#include <linux/file.h>
struct file *vpd_probe(struct file **f);
struct file *vpd_probe(struct file **f) { return get_file_active(f); }
C

# The probes are only as good as the flags: a probe that can never compile
# would silently turn every feature off.  This one must compile everywhere.
cat > "$tmp/sanity.c" <<'C'
#include <linux/vfio_pci_core.h>
int vpd_probe(struct vfio_pci_core_device *vdev);
int vpd_probe(struct vfio_pci_core_device *vdev)
{
	return vfio_pci_core_register_device(vdev);
}
C
if ! "$@" -Werror -c -x c "$tmp/sanity.c" -o "$tmp/sanity.o" 2>"$tmp/sanity.log"; then
	echo "conftest: the sanity probe does not compile with the kernel's flags:" >&2
	cat "$tmp/sanity.log" >&2
	exit 1
fi
rm -f "$tmp/sanity.c"

for f in "$tmp"/VPD_*.c; do
	n=$(basename "$f" .c)
	run "$n" "$@"
done > "$tmp/out"

echo "/* Generated by scripts/conftest.sh: do not edit. */"
echo "#ifndef VPD_CONFTEST_H"
echo "#define VPD_CONFTEST_H"
cat "$tmp/out"
echo "#endif"
