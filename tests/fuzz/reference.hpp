// SPDX-License-Identifier: GPL-2.0
//
// A deliberately naive reference model of the core's lookups, for the
// differential fuzzer.  It shares no code with the core: the buffer is the
// list of the *original* ranges (not the merged table), the offset -> phys
// mapping is a linear scan, pages are checked one at a time, all arithmetic
// is done in 128 bits so that nothing can overflow, and merging is done by
// repeated pairwise passes until nothing changes.

#ifndef VPD_FUZZ_REFERENCE_HPP
#define VPD_FUZZ_REFERENCE_HPP

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
  // Walk the pages of the huge page through the ranges: a cursor (range
  // index `ri` starting at buffer offset `acc`) so that PUD-sized pages
  // stay affordable.
  size_t ri = 0;
  u128 acc = 0;
  u128 phys0 = 0;
  for (u128 i = 0; i < (u128(1) << order); i++) {
    const u128 off = first + i * kPage;
    if (off >= buf.total)
      return VPD_FALLBACK;
    while (off >= acc + buf.ranges[ri].len)
      acc += buf.ranges[ri++].len;
    const u128 p = buf.ranges[ri].phys_addr + (off - acc);
    if (i == 0)
      phys0 = p;
    else if (p != phys0 + i * kPage)
      return VPD_FALLBACK;
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

}  // namespace ref

#endif  // VPD_FUZZ_REFERENCE_HPP
