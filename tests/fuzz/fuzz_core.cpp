// SPDX-License-Identifier: GPL-2.0
//
// Differential fuzzer of the core against the naive reference model
// (reference.hpp) and the linear-walk implementation (bench/linear.c):
// random range tables (aliasing, overlapping, physically contiguous
// neighbours, huge-aligned, near 2^64), random VMA geometries (pgoff_adjust,
// edges unaligned to huge sizes, near the top of the address space) and
// random fault addresses.  For each address: vpd_find_pfn() at every order
// 0..19 (19 is invalid) and vpd_fault_around().  vpd_table_init()'s result
// and merged table are compared too.  Any mismatch aborts.

#include <fuzzer/FuzzedDataProvider.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "linear.h"
#include "reference.hpp"
#include "vfio_pci_dmabuf/core.h"

namespace {

using u64 = unsigned long long;
constexpr u64 kPage = VPD_PAGE_SIZE;
constexpr u64 kPageMask = kPage - 1;
constexpr u64 kPmd = kPage << VPD_PMD_ORDER;
constexpr u64 kPud = kPage << VPD_PUD_ORDER;
constexpr u64 kU64Max = ~0ULL;
constexpr unsigned kMaxRanges = 12;

[[noreturn]] void Mismatch(const char *what, u64 a, u64 b, u64 c) {
  std::fprintf(stderr, "MISMATCH %s: 0x%llx 0x%llx 0x%llx\n", what, a, b, c);
  std::abort();
}

u64 PickPhys(FuzzedDataProvider &fdp, const std::vector<vpd_phys_range> &prev) {
  const vpd_phys_range *last = prev.empty() ? nullptr : &prev.back();
  const vpd_phys_range *any =
      prev.empty() ? nullptr : &prev[fdp.ConsumeIntegralInRange<size_t>(0, prev.size() - 1)];
  switch (fdp.ConsumeIntegralInRange(0, 8)) {
    case 0:  // physically contiguous with the predecessor: merged
    case 1:
      return last ? last->phys_addr + last->len : 0;
    case 2:  // aliases an earlier range
      return any ? any->phys_addr : 0;
    case 3:  // overlaps an earlier range, or starts where it ends
      return any ? any->phys_addr + fdp.ConsumeIntegralInRange<u64>(0, 8) * kPage : 0;
    case 4:  // PUD/PMD-aligned, plus a few pages
      return (fdp.ConsumeIntegralInRange<u64>(0, 255) << 30) +
             (fdp.ConsumeIntegralInRange<u64>(0, 3) << 21) +
             fdp.ConsumeIntegralInRange<u64>(0, 1) * kPage;
    case 5:  // near the top of the physical address space
      return (kU64Max & ~kPageMask) - fdp.ConsumeIntegralInRange<u64>(0, 1 << 20) * kPage;
    case 6:  // anything, even unaligned
      return fdp.ConsumeIntegral<u64>();
    case 7:  // small
      return fdp.ConsumeIntegralInRange<u64>(0, 4096) * kPage;
    default:  // random aligned
      return fdp.ConsumeIntegral<u64>() & ~kPageMask;
  }
}

u64 PickLen(FuzzedDataProvider &fdp) {
  switch (fdp.ConsumeIntegralInRange(0, 9)) {
    case 0:
    case 1:
    case 2:
      return fdp.ConsumeIntegralInRange<u64>(1, 8) * kPage;
    case 3:
    case 4:
      return fdp.ConsumeIntegralInRange<u64>(1, 4) * kPmd +
             fdp.ConsumeIntegralInRange<u64>(0, 1) * kPage;
    case 5:
      return fdp.ConsumeIntegralInRange<u64>(1, 2) * kPud;
    case 6:
      return fdp.ConsumeIntegralInRange<u64>(1, 1 << 20) * kPage;
    case 7:  // huge: total overflows
      return (1ULL << 63) - fdp.ConsumeIntegralInRange<u64>(0, 2) * kPage;
    case 8:  // invalid
      return fdp.ConsumeIntegralInRange<u64>(0, 2) * 0x800;
    default:
      return fdp.ConsumeIntegral<u64>() & ~kPageMask;
  }
}

vpd_vma_geom PickGeom(FuzzedDataProvider &fdp, u64 total) {
  vpd_vma_geom g{};
  switch (fdp.ConsumeIntegralInRange(0, 5)) {
    case 0:
    case 1:  // PUD-aligned plus some pages
      g.start_addr = 0x7f0000000000ULL + fdp.ConsumeIntegralInRange<u64>(0, 3) * kPud +
                     fdp.ConsumeIntegralInRange<u64>(0, 2) * kPmd +
                     fdp.ConsumeIntegralInRange<u64>(0, 3) * kPage;
      break;
    case 2:  // near the top
      g.start_addr = (kU64Max & ~kPageMask) - fdp.ConsumeIntegralInRange<u64>(1, 1 << 19) * kPage;
      break;
    case 3:  // unaligned or anything
      g.start_addr = fdp.ConsumeIntegral<u64>();
      break;
    default:
      g.start_addr = fdp.ConsumeIntegral<u64>() & ~kPageMask;
      break;
  }
  u64 len;
  const u64 total_pages = total / kPage;
  switch (fdp.ConsumeIntegralInRange(0, 4)) {
    case 0:
    case 1:  // about the buffer
      len = (total_pages + fdp.ConsumeIntegralInRange<u64>(0, 4) -
             fdp.ConsumeIntegralInRange<u64>(0, total_pages ? 2 : 0)) * kPage;
      break;
    case 2:
      len = fdp.ConsumeIntegralInRange<u64>(0, 1 << 19) * kPage;
      break;
    case 3:
      len = fdp.ConsumeIntegral<u64>();
      break;
    default:
      len = fdp.ConsumeIntegralInRange<u64>(1, 4) * kPmd;
      break;
  }
  g.end_addr = g.start_addr + len;  // may wrap: an invalid geometry

  switch (fdp.ConsumeIntegralInRange(0, 3)) {
    case 0:
      g.pgoff_adjust = 0;
      break;
    case 1:  // a vfio region offset
      g.pgoff_adjust = (fdp.ConsumeIntegralInRange<u64>(0, 15) << 28) +
                       fdp.ConsumeIntegralInRange<u64>(0, 1 << 18);
      break;
    case 2:
      g.pgoff_adjust = kU64Max - fdp.ConsumeIntegralInRange<u64>(0, 1 << 20);
      break;
    default:
      g.pgoff_adjust = fdp.ConsumeIntegral<u64>();
      break;
  }
  u64 delta;
  switch (fdp.ConsumeIntegralInRange(0, 4)) {
    case 0:
    case 1:
      delta = fdp.ConsumeIntegralInRange<u64>(0, total_pages + 2);
      break;
    case 2:
      delta = 0;
      break;
    case 3:  // near the offset overflow
      delta = (1ULL << 52) - fdp.ConsumeIntegralInRange<u64>(0, 1 << 20);
      break;
    default:
      delta = fdp.ConsumeIntegral<u64>();
      break;
  }
  // Mostly pgoff >= pgoff_adjust; wrapping gives the invalid case.
  g.pgoff = fdp.ConsumeIntegralInRange(0, 7) == 0 ? g.pgoff_adjust - 1 - (delta & 0xff)
                                                   : g.pgoff_adjust + delta;
  return g;
}

u64 PickAddr(FuzzedDataProvider &fdp, const vpd_vma_geom &g) {
  const u64 len = g.end_addr - g.start_addr;
  const u64 low = fdp.ConsumeIntegral<uint16_t>() & kPageMask;
  switch (fdp.ConsumeIntegralInRange(0, 7)) {
    case 0:
      return g.start_addr + low;
    case 1:
      return g.end_addr - 1 - low;
    case 2:
      return g.start_addr - 1 - fdp.ConsumeIntegralInRange<u64>(0, kPmd);
    case 3:
      return g.end_addr + fdp.ConsumeIntegralInRange<u64>(0, kPmd);
    case 4:
      return fdp.ConsumeIntegral<u64>();
    default:
      return g.start_addr + (len ? fdp.ConsumeIntegralInRange<u64>(0, len - 1) : 0);
  }
}

void CheckTable(const ref::TableResult &want, const vpd_table *t, unsigned capacity) {
  if (t->capacity != capacity)
    Mismatch("table capacity", t->capacity, capacity, 0);
  if (want.ret != 0) {
    if (t->nr_segs != 0 || t->total_len != 0)
      Mismatch("table not empty after error", t->nr_segs, t->total_len, 0);
    return;
  }
  if (t->nr_segs != want.segs.size() || t->total_len != want.total)
    Mismatch("table size", t->nr_segs, want.segs.size(), t->total_len);
  for (size_t i = 0; i < want.segs.size(); i++) {
    const vpd_seg &a = t->segs[i], &b = want.segs[i];
    if (a.phys_addr != b.phys_addr || a.len != b.len || a.buf_offset != b.buf_offset)
      Mismatch("segment", i, a.phys_addr, b.phys_addr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider fdp(data, size);

  const unsigned nr = fdp.ConsumeIntegralInRange<unsigned>(0, kMaxRanges);
  std::vector<vpd_phys_range> ranges;
  for (unsigned i = 0; i < nr; i++) {
    const u64 phys = PickPhys(fdp, ranges);
    ranges.push_back({phys, PickLen(fdp)});
  }
  unsigned capacity = nr;
  if (fdp.ConsumeIntegralInRange(0, 7) == 0)
    capacity = fdp.ConsumeIntegralInRange<unsigned>(0, nr + 2);

  std::vector<unsigned char> storage(sizeof(vpd_table) + (capacity + 1) * sizeof(vpd_seg), 0xa5);
  vpd_table *t = reinterpret_cast<vpd_table *>(storage.data());
  ref::Buffer buf;
  const ref::TableResult want = ref::table_init(ranges.data(), nr, capacity, &buf);
  const int got = vpd_table_init(t, capacity, ranges.data(), nr);
  if (got != want.ret)
    Mismatch("vpd_table_init ret", static_cast<u64>(got), static_cast<u64>(want.ret), nr);
  CheckTable(want, t, capacity);

  // Lookups run on the built table, or on the empty one left by an error.
  const unsigned nr_geoms = fdp.ConsumeIntegralInRange(1, 3);
  for (unsigned gi = 0; gi < nr_geoms && fdp.remaining_bytes() > 0; gi++) {
    const vpd_vma_geom g = PickGeom(fdp, t->total_len);
    const unsigned nr_addrs = fdp.ConsumeIntegralInRange(1, 4);
    for (unsigned ai = 0; ai < nr_addrs; ai++) {
      const u64 addr = PickAddr(fdp, g);
      for (unsigned order = 0; order <= VPD_MAX_ORDER + 1; order++) {
        u64 want_pfn = 0, got_pfn = 0, lin_pfn = 0;
        const int w = ref::find_pfn(buf, g, addr, order, &want_pfn);
        const int r = vpd_find_pfn(t, &g, addr, order, &got_pfn);
        if (r != w || (w == 0 && got_pfn != want_pfn))
          Mismatch("vpd_find_pfn", static_cast<u64>(r), static_cast<u64>(w), order);
        const int l = vpd_linear_find_pfn(t, &g, addr, order, &lin_pfn);
        if (l != w || (w == 0 && lin_pfn != want_pfn))
          Mismatch("linear find_pfn", static_cast<u64>(l), static_cast<u64>(w), order);
      }
      vpd_run want_run{}, got_run{};
      const int w = ref::fault_around(buf, g, addr, &want_run);
      const int r = vpd_fault_around(t, &g, addr, &got_run);
      if (r != w)
        Mismatch("vpd_fault_around ret", static_cast<u64>(r), static_cast<u64>(w), addr);
      if (w == 0 && (got_run.start_addr != want_run.start_addr || got_run.pfn != want_run.pfn ||
                     got_run.nr_pages != want_run.nr_pages))
        Mismatch("vpd_fault_around run", got_run.start_addr, got_run.pfn, got_run.nr_pages);
    }
  }
  return 0;
}
