// SPDX-License-Identifier: GPL-2.0
//
// A deliberately naive reference model of the core, for the differential
// fuzzer.  It shares no code with the core: the buffer is the list of the
// *original* ranges (not the merged table), the offset -> phys mapping is a
// linear scan, a huge page is checked against every original range it
// meets, fault-around runs grow one page at a time, all arithmetic is done
// in 128 bits so that nothing can overflow, and merging is done by repeated
// pairwise passes until nothing changes.  The vfio-pci checks (BAR mmap,
// export) are written from core.h's contract, one check a line, in its
// order; the config-write predicate is a loop over the written bytes.

#ifndef VPD_FUZZ_REFERENCE_HPP
#define VPD_FUZZ_REFERENCE_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "vfio_pci_dmabuf/core.h"

namespace ref {

using u64 = unsigned long long;
using u128 = unsigned __int128;

constexpr u128 kU64Max = ~0ULL;
constexpr u64 kPage = VPD_PAGE_SIZE;
constexpr u64 kWindow = kPage << VPD_PMD_ORDER;

struct Buffer {
  std::vector<vpd_phys_range> ranges;  // empty: the init failed
  u128 total = 0;

  // The physical address of buffer offset `off` (< total): a linear scan.
  u128 phys_at(u128 off) const {
    u128 acc = 0;
    for (const vpd_phys_range &r : ranges) {
      if (off < acc + r.len)
        return r.phys_addr + (off - acc);
      acc += r.len;
    }
    __builtin_trap();
  }
};

struct TableResult {
  int ret;
  std::vector<vpd_seg> segs;
  u64 total;
};

inline TableResult table_init(const vpd_phys_range *ranges, unsigned nr, unsigned capacity,
                              Buffer *buf) {
  buf->ranges.clear();
  buf->total = 0;
  if (nr == 0)
    return {-VPD_EINVAL, {}, 0};
  if (nr > capacity)
    return {-VPD_E2BIG, {}, 0};
  u128 total = 0;
  for (unsigned i = 0; i < nr; i++) {
    const vpd_phys_range &r = ranges[i];
    if (r.len == 0 || r.phys_addr % kPage != 0 || r.len % kPage != 0)
      return {-VPD_EINVAL, {}, 0};
    if (u128(r.phys_addr) + r.len > kU64Max)
      return {-VPD_EOVERFLOW, {}, 0};
    total += r.len;
    if (total > kU64Max)
      return {-VPD_EOVERFLOW, {}, 0};
  }
  std::vector<vpd_phys_range> merged(ranges, ranges + nr);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 1; i < merged.size(); i++) {
      if (u128(merged[i - 1].phys_addr) + merged[i - 1].len == merged[i].phys_addr) {
        merged[i - 1].len += merged[i].len;
        merged.erase(merged.begin() + static_cast<long>(i));
        changed = true;
        break;
      }
    }
  }
  TableResult res{0, {}, static_cast<u64>(total)};
  u64 off = 0;
  for (const vpd_phys_range &r : merged) {
    res.segs.push_back({r.phys_addr, r.len, off});
    off += r.len;
  }
  buf->ranges.assign(ranges, ranges + nr);
  buf->total = total;
  return res;
}

// The buffer offset of vm_start, or -EINVAL.
struct Geom {
  int ret;
  u128 base;
};

inline Geom geometry(const vpd_vma_geom &g) {
  if (!(g.start_addr < g.end_addr) || g.start_addr % kPage || g.end_addr % kPage ||
      g.pgoff < g.pgoff_adjust)
    return {-VPD_EINVAL, 0};
  const u128 base = u128(g.pgoff - g.pgoff_adjust) * kPage;
  if (base + (g.end_addr - g.start_addr) > kU64Max)
    return {-VPD_EINVAL, 0};
  return {0, base};
}

inline int find_pfn(const Buffer &buf, const vpd_vma_geom &g, u64 addr, unsigned order,
                    u64 *pfn) {
  if (order > VPD_MAX_ORDER)
    return -VPD_EINVAL;
  const Geom geo = geometry(g);
  if (geo.ret)
    return geo.ret;
  if (addr < g.start_addr || addr >= g.end_addr)
    return -VPD_EFAULT;
  if (geo.base + (addr - g.start_addr) >= buf.total)
    return -VPD_EFAULT;

  const u128 size = u128(kPage) << order;
  const u128 va = addr - addr % size;
  if (va < g.start_addr || va + size > g.end_addr)
    return VPD_FALLBACK;
  const u128 first = geo.base + (va - g.start_addr);
  const u128 last = first + size;  // exclusive
  // Every page inside the buffer...
  if (last > buf.total)
    return VPD_FALLBACK;
  // ... and physically contiguous: each original range's part of the huge
  // page lies at the same displacement from the page's first byte as its
  // buffer offset does (inside one range, physical addresses follow buffer
  // offsets, so checking where each part starts checks every page of it).
  const u128 phys0 = buf.phys_at(first);
  u128 acc = 0;
  for (const vpd_phys_range &r : buf.ranges) {
    const u128 lo = first > acc ? first : acc;
    const u128 hi = last < acc + r.len ? last : acc + r.len;
    if (lo < hi && r.phys_addr + (lo - acc) != phys0 + (lo - first))
      return VPD_FALLBACK;
    acc += r.len;
  }
  const u128 f = phys0 / kPage;
  if (f % (u128(1) << order) != 0)
    return VPD_FALLBACK;
  *pfn = static_cast<u64>(f);
  return 0;
}

inline int fault_around(const Buffer &buf, const vpd_vma_geom &g, u64 addr, vpd_run *run) {
  const Geom geo = geometry(g);
  if (geo.ret)
    return geo.ret;
  if (addr < g.start_addr || addr >= g.end_addr)
    return -VPD_EFAULT;
  const u128 a = addr - addr % kPage;
  auto off_of = [&](u128 va) { return geo.base + (va - g.start_addr); };
  if (off_of(a) >= buf.total)
    return -VPD_EFAULT;
  const u128 pa = buf.phys_at(off_of(a));
  const u128 w0 = a - a % kWindow;
  const u128 w1 = w0 + kWindow;

  // Page `va` belongs to the run if it passes every clip and its phys
  // continues the fault's page.
  auto in_run = [&](u128 va) {
    if (va < w0 || va >= w1 || va < g.start_addr || va >= g.end_addr)
      return false;
    if (off_of(va) >= buf.total)
      return false;
    const u128 p = buf.phys_at(off_of(va));
    return va >= a ? p == pa + (va - a) : pa >= (a - va) && p == pa - (a - va);
  };
  u128 lo = a;
  while (lo >= kPage && in_run(lo - kPage))
    lo -= kPage;
  u128 hi = a + kPage;
  while (in_run(hi))
    hi += kPage;
  run->start_addr = static_cast<u64>(lo);
  run->pfn = static_cast<u64>(pa / kPage - (a - lo) / kPage);
  run->nr_pages = static_cast<u64>((hi - lo) / kPage);
  return 0;
}

// ---------------------------------------------------------------------------
// vpd_bar_map(): vfio_pci_core_mmap()'s checks in its order, then ours.

constexpr unsigned kRegionPgoffShift = VPD_VFIO_OFFSET_SHIFT - VPD_PAGE_SHIFT;

inline int bar_map(const vpd_bar_desc *bars, const vpd_bar_mmap_req &req, struct vpd_bar_map *out) {
  const u128 index = req.vm_pgoff >> kRegionPgoffShift;
  const u128 req_start = (req.vm_pgoff % (u128(1) << kRegionPgoffShift)) * kPage;
  const u128 req_end = req_start + req.len;
  if (index >= req.nr_regions)
    return -VPD_EINVAL;
  if (req.len == 0 || req.len % kPage != 0)
    return -VPD_EINVAL;
  if (!req.shared)
    return -VPD_EINVAL;
  if (index >= VPD_VFIO_NUM_REGIONS)
    return VPD_DELEGATE;
  if (index >= VPD_VFIO_ROM_REGION_INDEX)
    return -VPD_EINVAL;
  const vpd_bar_desc &bar = bars[static_cast<unsigned>(index)];
  if (!bar.mmap_ok)
    return -VPD_EINVAL;
  const u128 bar_len = (u128(bar.len) + kPage - 1) / kPage * kPage;  // PAGE_ALIGN
  if (req_end > kU64Max || bar_len > kU64Max || req_end > bar_len)
    return -VPD_EINVAL;
  if (bar.msix_refuse && bar.msix_len != 0) {
    const u128 msix_start = bar.msix_offset;
    const u128 msix_end = msix_start + bar.msix_len;
    if (msix_start < req_end && req_start < msix_end)
      return -VPD_EINVAL;
  }
  if (bar.phys_addr % kPage != 0)
    return -VPD_EINVAL;
  if (u128(bar.phys_addr) + req_start + req.len > kU64Max)
    return -VPD_EINVAL;
  out->bar = static_cast<unsigned>(index);
  out->bar_offset = static_cast<u64>(req_start);
  out->range.phys_addr = static_cast<u64>(bar.phys_addr + req_start);
  out->range.len = req.len;
  out->pgoff_adjust = req.vm_pgoff;
  return 0;
}

// ---------------------------------------------------------------------------
// vpd_export_check_header() and vpd_export_build().

inline int export_check_header(const vpd_export_req &req, const vpd_bar_desc *bars) {
  if (req.flags != 0)
    return -VPD_EINVAL;
  if (req.nr_ranges == 0)
    return -VPD_EINVAL;
  if (req.nr_ranges > VPD_MAX_RANGES)
    return -VPD_E2BIG;
  if (req.region_index >= VPD_VFIO_ROM_REGION_INDEX)
    return -VPD_ENODEV;
  if (bars[req.region_index].len == 0)
    return -VPD_ENODEV;
  return 0;
}

// The table is the one vpd_table_init() builds from the ranges' physical
// addresses, with its errors (nr_ranges > capacity: -E2BIG; a BAR address
// that is not page-aligned: -EINVAL) after the two passes.
inline TableResult export_build(const vpd_export_req &req, const vpd_dma_range *ranges,
                                const vpd_bar_desc *bars, unsigned capacity) {
  const int hdr = export_check_header(req, bars);
  if (hdr != 0)
    return {hdr, {}, 0};
  const unsigned nr = req.nr_ranges;
  // validate_dmabuf_input()
  u128 total = 0;
  for (unsigned i = 0; i < nr; i++) {
    if (ranges[i].length == 0 || ranges[i].offset % kPage != 0 || ranges[i].length % kPage != 0)
      return {-VPD_EINVAL, {}, 0};
    total += ranges[i].length;
    if (total > kU64Max)
      return {-VPD_EINVAL, {}, 0};
  }
  if (total >= u128(1) << 63)
    return {-VPD_EINVAL, {}, 0};
  // vfio_pci_core_fill_phys_vec()
  const vpd_bar_desc &bar = bars[req.region_index];
  std::vector<vpd_phys_range> phys(nr);
  for (unsigned i = 0; i < nr; i++) {
    if (u128(bar.phys_addr) + ranges[i].offset + ranges[i].length > kU64Max)
      return {-VPD_EOVERFLOW, {}, 0};
    if (u128(ranges[i].offset) + ranges[i].length > bar.len)
      return {-VPD_EINVAL, {}, 0};
    phys[i] = {bar.phys_addr + ranges[i].offset, ranges[i].length};
  }
  Buffer unused;
  return table_init(phys.data(), nr, capacity, &unused);
}

// ---------------------------------------------------------------------------
// The config-write predicate.  A byte of a write revokes when it lies inside
// the 4 KiB of config space and is one of:
//   command register (4): PCI_COMMAND_MEMORY (0x02) clear,
//   PMCSR low byte (pm_cap + 4): a power state (0x03) other than D0,
//   PCIe DevCtl high byte (exp_cap + 9): Initiate FLR (0x80) set,
//   AF control (af_cap + 5): Initiate FLR (0x01) set,
// a capability offset 0 meaning absent.

constexpr u128 kCfgSpaceSize = 4096;

// The registers, in the order of the list above.
struct CfgReg {
  u128 offset;
  unsigned char mask;
  bool revoke_if_clear;
};

inline std::vector<CfgReg> cfg_regs(const vpd_cfg_caps &caps) {
  std::vector<CfgReg> regs;
  regs.push_back({4, 0x02, true});
  if (caps.pm_cap != 0)
    regs.push_back({u128(caps.pm_cap) + 4, 0x03, false});
  if (caps.exp_cap != 0)
    regs.push_back({u128(caps.exp_cap) + 9, 0x80, false});
  if (caps.af_cap != 0)
    regs.push_back({u128(caps.af_cap) + 5, 0x01, false});
  return regs;
}

// Whether the byte at config offset `off`, written with `byte`, revokes: a
// scan of the registers.
inline bool cfg_byte_revokes(const std::vector<CfgReg> &regs, u128 off, unsigned char byte) {
  if (off >= kCfgSpaceSize)
    return false;
  bool revoke = false;
  for (const CfgReg &r : regs) {
    if (off != r.offset)
      continue;
    const bool set = (byte & r.mask) != 0;
    if (r.revoke_if_clear ? !set : set)
      revoke = true;
  }
  return revoke;
}

// Whether writing `bytes` at `pos` may revoke: byte by byte.
inline bool cfg_write_revokes(const vpd_cfg_caps &caps, u64 pos, const unsigned char *bytes,
                              size_t count) {
  const std::vector<CfgReg> regs = cfg_regs(caps);
  bool revoke = false;
  for (size_t i = 0; i < count; i++)
    if (cfg_byte_revokes(regs, u128(pos) + i, bytes[i]))
      revoke = true;
  return revoke;
}

// The bytes the core must peek at for a write of `count` bytes at `pos`:
// every register inside config space and inside the write, in increasing
// offset (ties: in the order of cfg_regs()).  Works for any count.
struct CfgPeek {
  u128 buf_offset;
  unsigned char mask;
  bool revoke_if_clear;
};

inline std::vector<CfgPeek> cfg_peeks(const vpd_cfg_caps &caps, u64 pos, u64 count) {
  std::vector<CfgReg> regs = cfg_regs(caps);
  std::stable_sort(regs.begin(), regs.end(),
                   [](const CfgReg &a, const CfgReg &b) { return a.offset < b.offset; });
  std::vector<CfgPeek> peeks;
  for (const CfgReg &r : regs)
    if (r.offset < kCfgSpaceSize && pos <= r.offset && r.offset < u128(pos) + count)
      peeks.push_back({r.offset - pos, r.mask, r.revoke_if_clear});
  return peeks;
}

// vpd_cfg_peek_revokes(): revoke_if_clear is a C truth value.
inline bool cfg_peek_revokes(const vpd_cfg_peek &p, unsigned char byte) {
  if (p.revoke_if_clear != 0)
    return (byte & p.mask) == 0;
  return (byte & p.mask) != 0;
}

}  // namespace ref

#endif  // VPD_FUZZ_REFERENCE_HPP
