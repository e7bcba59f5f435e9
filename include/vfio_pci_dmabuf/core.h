/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C ABI between the kernel glue (C files in src/) and the core (freestanding
 * C++, src/core/).  This header includes nothing: it is read by kernel C,
 * by the in-kernel C++ build and by the hosted C++ builds (unit tests, fuzzer,
 * benchmark) alike, so it uses only built-in types.
 *
 * Units: every `unsigned long long` below is named for its unit (_addr: a
 * user virtual or physical byte address, _len: a byte count, _pfn: a page
 * frame number, _pgoff: a page offset).  Inside the core these are distinct
 * strong types; the ABI flattens them.
 *
 * Results: functions return 0 on success or a negative errno (the VPD_E*
 * values, equal to the kernel's; the glue asserts that at build time), and
 * for lookups a positive VPD_FALLBACK when a smaller order must be tried.
 */
#ifndef VFIO_PCI_DMABUF_CORE_H
#define VFIO_PCI_DMABUF_CORE_H

#ifdef __cplusplus
extern "C" {
#endif

#define VPD_PAGE_SHIFT 12
#define VPD_PAGE_SIZE (1ULL << VPD_PAGE_SHIFT)
#define VPD_PMD_ORDER 9		/* 2 MiB */
#define VPD_PUD_ORDER 18	/* 1 GiB */
#define VPD_MAX_ORDER VPD_PUD_ORDER

/* vfio-pci's region offset encoding: index in the bits above 40. */
#define VPD_VFIO_OFFSET_SHIFT 40
#define VPD_VFIO_NUM_BARS 6		/* BAR0..BAR5 */
#define VPD_VFIO_ROM_REGION_INDEX 6
#define VPD_VFIO_NUM_REGIONS 9		/* BARs, ROM, config, VGA */

/*
 * Cap on the ranges of one exported DMABUF.  A table costs
 * sizeof(struct vpd_seg) == 24 bytes a range, so the cap bounds one export's
 * table at 96 KiB.
 */
#define VPD_MAX_RANGES 4096U

/* errno values (asm-generic), mirrored so the core needs no kernel header. */
#define VPD_EPERM 1
#define VPD_E2BIG 7
#define VPD_ENOMEM 12
#define VPD_EFAULT 14
#define VPD_ENODEV 19
#define VPD_EINVAL 22
#define VPD_EOVERFLOW 75

/* Positive, non-error results. */
#define VPD_FALLBACK 1	/* vpd_find_pfn: the page of this order does not fit */
#define VPD_DELEGATE 2	/* vpd_bar_map: not a BAR; let vfio-pci-core handle it */

/* One physical range as given by a caller (export request, BAR geometry). */
struct vpd_phys_range {
	unsigned long long phys_addr;
	unsigned long long len;
};

/* One entry of a built table: the range and its offset inside the buffer. */
struct vpd_seg {
	unsigned long long phys_addr;
	unsigned long long len;
	unsigned long long buf_offset;	/* sum of the lengths before it */
};

/*
 * A DMABUF's range table ("phys_vec").  The caller allocates it with room for
 * `capacity` segments (struct_size(t, segs, capacity)); vpd_table_init()
 * fills it.  Read-only afterwards, so lookups need no lock of their own.
 */
struct vpd_table {
	unsigned int nr_segs;
	unsigned int capacity;
	unsigned long long total_len;
	struct vpd_seg segs[];
};

/*
 * Validate `ranges` (nr >= 1, each non-empty, page-aligned, no address
 * overflow; total length without overflow) and build the table, merging a
 * range into its predecessor when it starts where the predecessor ends
 * physically.  Returns 0, -VPD_EINVAL or -VPD_EOVERFLOW (an address sum
 * overflows) or -VPD_E2BIG (nr > capacity).  On error *t is left empty.
 *
 * Checks in this order: nr == 0 (-EINVAL), nr > capacity (-E2BIG, even if
 * merging would make the ranges fit), then range by range, the first failing
 * range deciding: empty or unaligned (-EINVAL), phys_addr + len > 2^64 - 1
 * (-EOVERFLOW), running total > 2^64 - 1 (-EOVERFLOW).  t->capacity is set
 * to `capacity` in every case.
 */
int vpd_table_init(struct vpd_table *t, unsigned int capacity,
		   const struct vpd_phys_range *ranges, unsigned int nr);

/*
 * The geometry of a VMA mapping a buffer.  The buffer offset of `start_addr`
 * is (pgoff - pgoff_adjust) pages: for a BAR mmap the VMA keeps the vfio
 * region offset in vm_pgoff and pgoff_adjust is that offset's page number of
 * the buffer's first byte; for an mmap of a DMABUF fd pgoff_adjust is 0.
 *
 * A geometry is consistent when start_addr < end_addr, both are page-aligned,
 * pgoff >= pgoff_adjust and the buffer offset of end_addr,
 * (pgoff - pgoff_adjust) * PAGE_SIZE + (end_addr - start_addr), fits in 64
 * bits; the lookups return -VPD_EINVAL for any other.
 */
struct vpd_vma_geom {
	unsigned long long start_addr;	/* vm_start, page-aligned */
	unsigned long long end_addr;	/* vm_end, exclusive, page-aligned */
	unsigned long long pgoff;	/* vm_pgoff */
	unsigned long long pgoff_adjust;
};

/*
 * The PFN of the naturally aligned page of `order` containing `fault_addr`.
 * Returns 0 and sets *pfn; VPD_FALLBACK when that page would cross the VMA,
 * would not lie inside one segment, or its PFN is not aligned to the order;
 * -VPD_EFAULT when fault_addr is outside the VMA or the buffer; -VPD_EINVAL
 * for an order above VPD_MAX_ORDER or an inconsistent geometry.  Order 0
 * inside the VMA and the buffer always succeeds.  O(log nr_segs).
 *
 * Precedence: -EINVAL (order, then geometry), then -EFAULT, then
 * VPD_FALLBACK.  A page that runs past the end of the buffer does not lie
 * inside one segment (VPD_FALLBACK) unless fault_addr itself is past it
 * (-EFAULT).  *pfn is written only on success.
 */
int vpd_find_pfn(const struct vpd_table *t, const struct vpd_vma_geom *g,
		 unsigned long long fault_addr, unsigned int order,
		 unsigned long long *pfn);

/* A run of pages with consecutive addresses and consecutive PFNs. */
struct vpd_run {
	unsigned long long start_addr;
	unsigned long long pfn;		/* PFN of start_addr */
	unsigned long long nr_pages;
};

/*
 * For an order-0 fault at `fault_addr`: the largest run containing it that
 * lies inside the naturally aligned PMD-sized window around it, inside the
 * VMA, inside the buffer and inside one segment.  Same errors as
 * vpd_find_pfn() (never VPD_FALLBACK: the run has at least the one page).
 * *run is written only on success.  O(log nr_segs).
 */
int vpd_fault_around(const struct vpd_table *t, const struct vpd_vma_geom *g,
		     unsigned long long fault_addr, struct vpd_run *run);

/* What the glue knows about one BAR of the device. */
struct vpd_bar_desc {
	unsigned long long phys_addr;	/* pci_resource_start() */
	unsigned long long len;		/* pci_resource_len(); 0 if absent */
	unsigned char mmap_ok;		/* vdev->bar_mmap_supported[] */
	unsigned char msix_refuse;	/* refuse mmaps overlapping the MSI-X table */
	unsigned long long msix_offset;	/* MSI-X table span in the BAR ...  */
	unsigned long long msix_len;	/* ... valid when msix_refuse */
};

/* A BAR mmap request: the VMA as vfio_pci_core_mmap() sees it. */
struct vpd_bar_mmap_req {
	unsigned long long vm_pgoff;
	unsigned long long len;		/* vm_end - vm_start */
	unsigned int nr_regions;	/* VPD_VFIO_NUM_REGIONS + vdev->num_regions */
	unsigned char shared;		/* VM_SHARED set */
};

/* The single-range buffer backing one BAR mmap. */
struct vpd_bar_map {
	unsigned int bar;		/* region index 0..5 */
	unsigned long long bar_offset;	/* offset of the mapping in the BAR */
	struct vpd_phys_range range;	/* physical span of the mapping */
	unsigned long long pgoff_adjust; /* for struct vpd_vma_geom */
};

/*
 * Check a BAR mmap as vfio-pci does and compute its buffer.  Returns 0;
 * VPD_DELEGATE for a device-specific region (index >= VPD_VFIO_NUM_REGIONS,
 * below nr_regions); -VPD_EINVAL for everything vfio-pci rejects with
 * -EINVAL (index out of range, ROM/config/VGA, not shared, zero length,
 * not mmappable, beyond the page-aligned BAR, MSI-X overlap when refused).
 * `bars` has VPD_VFIO_NUM_BARS entries.
 *
 * Order of the checks (vfio_pci_core_mmap()'s): index >= nr_regions; len
 * zero or not page-aligned; not shared; device region (DELEGATE); ROM,
 * config or VGA; !mmap_ok; req_start + len overflows or exceeds
 * PAGE_ALIGN(bar len) (which overflowing also rejects).  Then: overlap with
 * the MSI-X table span (when msix_refuse and msix_len != 0), a BAR address
 * that is not page-aligned, or a physical span that overflows: -EINVAL.
 * *out is written only on success.
 */
int vpd_bar_map(const struct vpd_bar_desc *bars,
		const struct vpd_bar_mmap_req *req, struct vpd_bar_map *out);

/* The fixed part of VFIO_DEVICE_FEATURE_DMA_BUF's argument. */
struct vpd_export_req {
	unsigned int region_index;
	unsigned int open_flags;
	unsigned int flags;
	unsigned int nr_ranges;
};

/* One range of an export request, relative to the BAR. */
struct vpd_dma_range {
	unsigned long long offset;
	unsigned long long length;
};

/*
 * Validate the fixed part of an export request before its ranges are copied
 * in: -VPD_EINVAL if flags != 0 or nr_ranges == 0, -VPD_E2BIG if nr_ranges >
 * VPD_MAX_RANGES, -VPD_ENODEV if region_index is not a BAR (>= ROM index) or
 * the BAR is absent (len == 0).
 */
int vpd_export_check_header(const struct vpd_export_req *req,
			    const struct vpd_bar_desc *bars);

/*
 * Validate the ranges (each non-empty and page-aligned: -VPD_EINVAL; BAR
 * start + offset + length overflows: -VPD_EOVERFLOW; ends beyond the BAR:
 * -VPD_EINVAL; total length overflows: -VPD_EINVAL) and build the table into
 * `t` (capacity >= nr_ranges).  Same semantics as upstream
 * VFIO_DEVICE_FEATURE_DMA_BUF.
 *
 * As upstream, in two passes: first every range's length and alignment and
 * the total length (which must also stay below 2^63, upstream's
 * DMA_IOVA_USE_SWIOTLB bit: -VPD_EINVAL), then every range's addresses.
 * The header is checked again first (vpd_export_check_header()'s errors),
 * and nr_ranges > capacity is -VPD_E2BIG.  On error *t is left empty.
 */
int vpd_export_build(const struct vpd_export_req *req,
		     const struct vpd_dma_range *ranges,
		     const struct vpd_bar_desc *bars,
		     struct vpd_table *t, unsigned int capacity);

/*
 * Config space writes that can make BAR memory unusable.  vfio-pci-core
 * revokes BAR access inside its config write handlers; exported DMABUFs are
 * ours to revoke, before the write reaches the core (src/revoke.c).  A write
 * may revoke when one of the bytes it writes
 *   - clears PCI_COMMAND_MEMORY in the command register (offset 4),
 *   - sets a power state other than D0 in PMCSR (PM capability + 4),
 *   - sets Initiate FLR in the PCIe Device Control register (+ 8, bit 15),
 *   - sets Initiate FLR in the AF control register (AF capability + 5).
 * Capability offsets are those of vfio's virtual config space, which keeps
 * the device's own; 0 means absent.
 */
struct vpd_cfg_caps {
	unsigned int pm_cap;
	unsigned int exp_cap;
	unsigned int af_cap;
};

/* One byte of a config write to look at, and what of it revokes. */
struct vpd_cfg_peek {
	unsigned int buf_offset;	/* offset in the write's buffer */
	unsigned char mask;		/* the bits that matter */
	unsigned char revoke_if_clear;	/* 1: revokes when (byte & mask) == 0,
					 * 0: revokes when (byte & mask) != 0 */
};

#define VPD_CFG_MAX_PEEKS 4

/*
 * The bytes of a config write of `count` bytes at config offset `pos` that
 * decide whether it may revoke, at most VPD_CFG_MAX_PEEKS, in increasing
 * buffer offset.  Returns how many were written to `peeks`.  A register at
 * or past 4096 (outside config space) is never reported, so every
 * buf_offset is below 4096.
 */
unsigned int vpd_cfg_write_peeks(const struct vpd_cfg_caps *caps,
				 unsigned long long pos, unsigned long long count,
				 struct vpd_cfg_peek *peeks);

/* Whether `byte`, the value written at peek `p`, revokes. */
int vpd_cfg_peek_revokes(const struct vpd_cfg_peek *p, unsigned char byte);

#ifdef __cplusplus
}
#endif

#endif /* VFIO_PCI_DMABUF_CORE_H */
