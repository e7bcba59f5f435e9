// SPDX-License-Identifier: GPL-2.0
//
// Differential fuzzer of the core against the naive reference model
// (reference.hpp) and the linear-walk implementation (bench/linear.c).  The
// first input byte picks what one run exercises:
//
//  - table and lookups: random range tables (aliasing, overlapping,
//    physically contiguous neighbours, huge-aligned, near 2^64), random VMA
//    geometries (pgoff_adjust, edges unaligned to huge sizes, near the top of
//    the address space) and random fault addresses.  For each address:
//    vpd_find_pfn() at every order 0..19 (19 is invalid) and
//    vpd_fault_around().  vpd_table_init()'s result and merged table are
//    compared too.
//  - BAR mmap: random BARs (absent, sub-page, unaligned, near 2^64, MSI-X
//    spans) and mmap requests (every region kind, offsets and lengths at and
//    past the BAR's end, overflowing): vpd_bar_map()'s result and *out.
//  - export: the same BARs and VFIO_DEVICE_FEATURE_DMA_BUF requests:
//    vpd_export_check_header() and vpd_export_build()'s result and table.
//  - config write: random capability offsets, write windows and bytes:
//    vpd_cfg_write_peeks()'s peeks, the revoke decision against a byte loop,
//    and vpd_cfg_peek_revokes().
//
// Any mismatch aborts.  The number of runs of each kind is printed at exit
// ("fuzz-modes: ...").

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
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

// ---------------------------------------------------------------------------
// Table and lookups.

void FuzzTableAndLookups(FuzzedDataProvider &fdp) {

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
}

// ---------------------------------------------------------------------------
// BARs, shared by the BAR mmap and export runs.

constexpr unsigned char kPoison = 0xa5;
constexpr u64 kPoison64 = 0xa5a5a5a5a5a5a5a5ULL;

// A C truth value: 0 in `zeros` of 8 runs, any byte in one, 1 otherwise.
unsigned char PickFlag(FuzzedDataProvider &fdp, int zeros) {
  const int c = fdp.ConsumeIntegralInRange(0, 7);
  if (c == 7)
    return fdp.ConsumeIntegral<unsigned char>();
  return c < zeros ? 0 : 1;
}

vpd_bar_desc PickBar(FuzzedDataProvider &fdp) {
  vpd_bar_desc b{};
  switch (fdp.ConsumeIntegralInRange(0, 7)) {
    case 0:  // absent
      b.len = 0;
      break;
    case 1:
    case 2:  // a real BAR: a power of two, 4 KiB to 4 TiB
      b.len = kPage << fdp.ConsumeIntegralInRange(0, 30);
      break;
    case 3:  // sub-page
      b.len = fdp.ConsumeIntegralInRange<u64>(1, kPage - 1);
      break;
    case 4:  // PAGE_ALIGN(len) overflows, or just does not
      b.len = kU64Max - fdp.ConsumeIntegralInRange<u64>(0, 2 * kPage);
      break;
    case 5:
      b.len = fdp.ConsumeIntegralInRange<u64>(1, 64) * kPage +
              fdp.ConsumeIntegralInRange<u64>(0, 1) * 0x800;
      break;
    default:
      b.len = fdp.ConsumeIntegral<u64>();
      break;
  }
  // Natural alignment of a power-of-two BAR (at least a page).
  u64 align = kPage;
  while (align < b.len && align < (1ULL << 62))
    align <<= 1;
  switch (fdp.ConsumeIntegralInRange(0, 6)) {
    case 0:
    case 1:  // naturally aligned
      b.phys_addr = fdp.ConsumeIntegral<u64>() & ~(align - 1);
      break;
    case 2:  // ending at or near 2^64
      b.phys_addr = 0 - b.len - fdp.ConsumeIntegralInRange<u64>(0, 2) * kPage;
      break;
    case 3:  // near the top
      b.phys_addr = (kU64Max & ~kPageMask) - fdp.ConsumeIntegralInRange<u64>(0, 1 << 20) * kPage;
      break;
    case 4:  // small
      b.phys_addr = fdp.ConsumeIntegralInRange<u64>(0, 1 << 20) * kPage;
      break;
    case 5:  // a sub-page BAR's address
      b.phys_addr = (fdp.ConsumeIntegral<u64>() & ~kPageMask) + 0x800;
      break;
    default:
      b.phys_addr = fdp.ConsumeIntegral<u64>();
      break;
  }
  b.mmap_ok = PickFlag(fdp, 1);
  b.msix_refuse = PickFlag(fdp, 4);
  switch (fdp.ConsumeIntegralInRange(0, 4)) {
    case 0:
    case 1:  // inside the BAR, small
      b.msix_offset = fdp.ConsumeIntegralInRange<u64>(0, 64) * 0x400;
      break;
    case 2:  // near the BAR's end
      b.msix_offset = b.len - fdp.ConsumeIntegralInRange<u64>(0, 4) * 0x800;
      break;
    case 3:  // near 2^64
      b.msix_offset = kU64Max - fdp.ConsumeIntegralInRange<u64>(0, 2 * kPage);
      break;
    default:
      b.msix_offset = fdp.ConsumeIntegral<u64>();
      break;
  }
  switch (fdp.ConsumeIntegralInRange(0, 5)) {
    case 0:
      b.msix_len = 0;
      break;
    case 1:
    case 2:  // a table of 1..2048 vectors
      b.msix_len = fdp.ConsumeIntegralInRange<u64>(1, 2048) * 16;
      break;
    case 3:
      b.msix_len = fdp.ConsumeIntegralInRange<u64>(1, 4) * kPage;
      break;
    case 4:  // the span runs past 2^64
      b.msix_len = kU64Max - fdp.ConsumeIntegralInRange<u64>(0, 2 * kPage);
      break;
    default:
      b.msix_len = fdp.ConsumeIntegral<u64>();
      break;
  }
  return b;
}

// Exactly six entries on the heap, so that ASan sees any access past them.
std::unique_ptr<vpd_bar_desc[]> PickBars(FuzzedDataProvider &fdp) {
  std::unique_ptr<vpd_bar_desc[]> bars(new vpd_bar_desc[VPD_VFIO_NUM_BARS]);
  for (unsigned i = 0; i < VPD_VFIO_NUM_BARS; i++)
    bars[i] = PickBar(fdp);
  return bars;
}

// ---------------------------------------------------------------------------
// BAR mmap.

constexpr unsigned kRegionPgoffShift = VPD_VFIO_OFFSET_SHIFT - VPD_PAGE_SHIFT;
constexpr u64 kRegionPages = 1ULL << kRegionPgoffShift;

void FuzzBarMap(FuzzedDataProvider &fdp) {
  const std::unique_ptr<vpd_bar_desc[]> bars = PickBars(fdp);
  vpd_bar_mmap_req req{};

  u64 index;
  switch (fdp.ConsumeIntegralInRange(0, 7)) {
    case 0:  // ROM, config, VGA
      index = fdp.ConsumeIntegralInRange<u64>(VPD_VFIO_ROM_REGION_INDEX, VPD_VFIO_NUM_REGIONS - 1);
      break;
    case 1:  // device-specific
      index = fdp.ConsumeIntegralInRange<u64>(VPD_VFIO_NUM_REGIONS, VPD_VFIO_NUM_REGIONS + 8);
      break;
    case 2:  // anything vm_pgoff can hold
      index = fdp.ConsumeIntegralInRange<u64>(0, kU64Max >> kRegionPgoffShift);
      break;
    default:
      index = fdp.ConsumeIntegralInRange<u64>(0, VPD_VFIO_NUM_BARS - 1);
      break;
  }
  const u64 bar_len = index < VPD_VFIO_NUM_BARS ? bars[index].len : 0;
  const u64 bar_pages = bar_len / kPage + (bar_len % kPage != 0);
  u64 pgoff;
  switch (fdp.ConsumeIntegralInRange(0, 6)) {
    case 0:
    case 1:
      pgoff = 0;
      break;
    case 2:  // at and around the BAR's end
      pgoff = (bar_pages - fdp.ConsumeIntegralInRange<u64>(0, 3)) & (kRegionPages - 1);
      break;
    case 3:  // the region's last pages
      pgoff = kRegionPages - 1 - fdp.ConsumeIntegralInRange<u64>(0, 3);
      break;
    case 4:  // around an MSI-X table
      pgoff = index < VPD_VFIO_NUM_BARS
                  ? ((bars[index].msix_offset / kPage) - fdp.ConsumeIntegralInRange<u64>(0, 2)) &
                        (kRegionPages - 1)
                  : 0;
      break;
    case 5:
      pgoff = fdp.ConsumeIntegralInRange<u64>(0, 64);
      break;
    default:
      pgoff = fdp.ConsumeIntegralInRange<u64>(0, kRegionPages - 1);
      break;
  }
  req.vm_pgoff = (index << kRegionPgoffShift) | pgoff;
  if (fdp.ConsumeIntegralInRange(0, 15) == 0)
    req.vm_pgoff = fdp.ConsumeIntegral<u64>();

  switch (fdp.ConsumeIntegralInRange(0, 7)) {
    case 0:
    case 1:
      req.len = fdp.ConsumeIntegralInRange<u64>(1, 16) * kPage;
      break;
    case 2:
    case 3:  // the rest of the BAR, a page more or less
      req.len = (bar_pages - pgoff + fdp.ConsumeIntegralInRange<u64>(0, 2) - 1) * kPage;
      break;
    case 4:  // zero or unaligned
      req.len = fdp.ConsumeIntegralInRange<u64>(0, 2) * 0x800;
      break;
    case 5:  // req_start + len overflows
      req.len = (kU64Max & ~kPageMask) - fdp.ConsumeIntegralInRange<u64>(0, 1 << 12) * kPage;
      break;
    case 6:
      req.len = fdp.ConsumeIntegral<u64>() & ~kPageMask;
      break;
    default:
      req.len = fdp.ConsumeIntegral<u64>();
      break;
  }
  switch (fdp.ConsumeIntegralInRange(0, 5)) {
    case 0:
    case 1:
    case 2:
      req.nr_regions = VPD_VFIO_NUM_REGIONS;
      break;
    case 3:  // a device with regions of its own
      req.nr_regions = VPD_VFIO_NUM_REGIONS + fdp.ConsumeIntegralInRange(1, 8);
      break;
    case 4:
      req.nr_regions = fdp.ConsumeIntegralInRange(0, VPD_VFIO_NUM_REGIONS - 1);
      break;
    default:
      req.nr_regions = fdp.ConsumeIntegral<unsigned>();
      break;
  }
  req.shared = PickFlag(fdp, 1);

  struct vpd_bar_map want;
  std::memset(&want, 0, sizeof(want));
  struct vpd_bar_map got;
  std::memset(&got, kPoison, sizeof(got));
  const int w = ref::bar_map(bars.get(), req, &want);
  const int r = vpd_bar_map(bars.get(), &req, &got);
  if (r != w)
    Mismatch("vpd_bar_map ret", static_cast<u64>(r), static_cast<u64>(w), req.vm_pgoff);
  if (w != 0) {
    if (got.bar_offset != kPoison64 || got.range.phys_addr != kPoison64 ||
        got.range.len != kPoison64 || got.pgoff_adjust != kPoison64 ||
        got.bar != 0xa5a5a5a5U)
      Mismatch("vpd_bar_map wrote *out on failure", got.bar, got.bar_offset, got.range.len);
    return;
  }
  if (got.bar != want.bar || got.bar_offset != want.bar_offset)
    Mismatch("vpd_bar_map bar", got.bar, got.bar_offset, want.bar_offset);
  if (got.range.phys_addr != want.range.phys_addr || got.range.len != want.range.len)
    Mismatch("vpd_bar_map range", got.range.phys_addr, got.range.len, want.range.phys_addr);
  if (got.pgoff_adjust != want.pgoff_adjust)
    Mismatch("vpd_bar_map pgoff_adjust", got.pgoff_adjust, want.pgoff_adjust, 0);
  // The buffer it describes is a valid one-range table.
  ref::Buffer unused;
  if (ref::table_init(&got.range, 1, 1, &unused).ret != 0)
    Mismatch("vpd_bar_map range is no table", got.range.phys_addr, got.range.len, 0);
}

// ---------------------------------------------------------------------------
// Export.

vpd_dma_range PickDmaRange(FuzzedDataProvider &fdp, const vpd_bar_desc &bar) {
  vpd_dma_range r{};
  const u64 bar_pages = bar.len / kPage;
  switch (fdp.ConsumeIntegralInRange(0, 7)) {
    case 0:
    case 1:
      r.offset = fdp.ConsumeIntegralInRange<u64>(0, 16) * kPage;
      break;
    case 2:
    case 3:  // inside the BAR
      r.offset = fdp.ConsumeIntegralInRange<u64>(0, bar_pages) * kPage;
      break;
    case 4:  // at the BAR's end
      r.offset = (bar_pages - fdp.ConsumeIntegralInRange<u64>(0, 2)) * kPage;
      break;
    case 5:  // BAR start + offset near or past 2^64
      r.offset = ((0 - bar.phys_addr) & ~kPageMask) - fdp.ConsumeIntegralInRange<u64>(0, 2) * kPage;
      break;
    case 6:  // unaligned
      r.offset = fdp.ConsumeIntegralInRange<u64>(0, 16) * kPage + 0x800;
      break;
    default:
      r.offset = fdp.ConsumeIntegral<u64>() & (fdp.ConsumeBool() ? ~kPageMask : kU64Max);
      break;
  }
  switch (fdp.ConsumeIntegralInRange(0, 7)) {
    case 0:
    case 1:
      r.length = fdp.ConsumeIntegralInRange<u64>(1, 16) * kPage;
      break;
    case 2:  // up to the BAR's end, a page more or less
      r.length = (bar_pages - r.offset / kPage + fdp.ConsumeIntegralInRange<u64>(0, 2) - 1) * kPage;
      break;
    case 3:  // totals at and around 2^63 and 2^64
      r.length = (1ULL << fdp.ConsumeIntegralInRange(62, 63)) -
                 fdp.ConsumeIntegralInRange<u64>(0, 2) * kPage;
      break;
    case 4:  // zero or unaligned
      r.length = fdp.ConsumeIntegralInRange<u64>(0, 2) * 0x800;
      break;
    case 5:
      r.length = bar.len;
      break;
    case 6:
      r.length = fdp.ConsumeIntegral<u64>() & ~kPageMask;
      break;
    default:
      r.length = fdp.ConsumeIntegral<u64>();
      break;
  }
  return r;
}

constexpr unsigned kMaxFuzzedRanges = 16;

void FuzzExport(FuzzedDataProvider &fdp) {
  const std::unique_ptr<vpd_bar_desc[]> bars = PickBars(fdp);
  vpd_export_req req{};
  switch (fdp.ConsumeIntegralInRange(0, 7)) {
    case 0:
      req.region_index = fdp.ConsumeIntegralInRange<unsigned>(VPD_VFIO_ROM_REGION_INDEX, 12);
      break;
    case 1:
      req.region_index = fdp.ConsumeIntegral<unsigned>();
      break;
    default:
      req.region_index = fdp.ConsumeIntegralInRange<unsigned>(0, VPD_VFIO_NUM_BARS - 1);
      break;
  }
  req.open_flags = fdp.ConsumeIntegral<unsigned>();
  req.flags = fdp.ConsumeIntegralInRange(0, 7) == 0 ? fdp.ConsumeIntegral<unsigned>() : 0;
  switch (fdp.ConsumeIntegralInRange(0, 15)) {
    case 0:
      req.nr_ranges = 0;
      break;
    case 1:  // at and around VPD_MAX_RANGES
      req.nr_ranges = VPD_MAX_RANGES - 1 + fdp.ConsumeIntegralInRange(0, 2);
      break;
    case 2:
      req.nr_ranges = fdp.ConsumeIntegral<unsigned>();
      break;
    default:
      req.nr_ranges = fdp.ConsumeIntegralInRange<unsigned>(1, kMaxFuzzedRanges);
      break;
  }
  const vpd_bar_desc &bar =
      req.region_index < VPD_VFIO_NUM_BARS ? bars[req.region_index] : bars[0];

  // The ranges: exactly nr_ranges of them (none past VPD_MAX_RANGES, which
  // the core must not read), heap-allocated for ASan.  Long lists repeat the
  // fuzzed ranges, shifted, with one fuzzed range anywhere.
  const unsigned nr_ranges = req.nr_ranges <= VPD_MAX_RANGES ? req.nr_ranges : 0;
  const unsigned nr_fuzzed = std::min(nr_ranges, kMaxFuzzedRanges);
  std::unique_ptr<vpd_dma_range[]> ranges(new vpd_dma_range[nr_ranges]);
  for (unsigned i = 0; i < nr_fuzzed; i++)
    ranges[i] = PickDmaRange(fdp, bar);
  if (nr_ranges > nr_fuzzed) {
    const u64 shift = fdp.ConsumeIntegralInRange<u64>(0, 2) * nr_fuzzed * kPage;
    for (unsigned i = nr_fuzzed; i < nr_ranges; i++) {
      ranges[i] = ranges[i % nr_fuzzed];
      ranges[i].offset += (i / nr_fuzzed) * shift;
    }
    ranges[fdp.ConsumeIntegralInRange<unsigned>(0, nr_ranges - 1)] = PickDmaRange(fdp, bar);
  }

  // Room for min(capacity, nr_ranges) segments only: the core writes no more.
  unsigned capacity;
  switch (fdp.ConsumeIntegralInRange(0, 7)) {
    case 0:
      capacity = req.nr_ranges - 1;
      break;
    case 1:
      capacity = fdp.ConsumeIntegralInRange<unsigned>(0, 3);
      break;
    case 2:
      capacity = fdp.ConsumeIntegral<unsigned>();
      break;
    default:
      capacity = req.nr_ranges;
      break;
  }
  const size_t room = std::min<u64>(capacity, nr_ranges);
  std::vector<unsigned char> storage(sizeof(vpd_table) + room * sizeof(vpd_seg), kPoison);
  vpd_table *t = reinterpret_cast<vpd_table *>(storage.data());

  const int wh = ref::export_check_header(req, bars.get());
  const int rh = vpd_export_check_header(&req, bars.get());
  if (rh != wh)
    Mismatch("vpd_export_check_header", static_cast<u64>(rh), static_cast<u64>(wh),
             req.nr_ranges);
  const ref::TableResult want = ref::export_build(req, ranges.get(), bars.get(), capacity);
  const int got = vpd_export_build(&req, ranges.get(), bars.get(), t, capacity);
  if (got != want.ret)
    Mismatch("vpd_export_build ret", static_cast<u64>(got), static_cast<u64>(want.ret),
             req.nr_ranges);
  CheckTable(want, t, capacity);
}

// ---------------------------------------------------------------------------
// Config write.

unsigned PickCap(FuzzedDataProvider &fdp) {
  switch (fdp.ConsumeIntegralInRange(0, 9)) {
    case 0:
    case 1:
      return 0;  // absent
    case 2:
    case 3:
    case 4:  // a standard capability: dword-aligned, 0x40..0xfc
      return fdp.ConsumeIntegralInRange(0x10, 0x3f) * 4;
    case 5:
      return fdp.ConsumeIntegral<unsigned char>();
    case 6:  // anywhere in (extended) config space
      return fdp.ConsumeIntegralInRange(0, 4095);
    case 7:  // its register at or past the end of config space
      return 4096 - fdp.ConsumeIntegralInRange(0, 12);
    case 8:  // its register past 2^32
      return ~0U - fdp.ConsumeIntegralInRange(0, 12);
    default:
      return fdp.ConsumeIntegral<unsigned>();
  }
}

void FuzzCfgWrite(FuzzedDataProvider &fdp) {
  vpd_cfg_caps caps{};
  caps.pm_cap = PickCap(fdp);
  caps.exp_cap = PickCap(fdp);
  caps.af_cap = PickCap(fdp);
  const u64 regs[] = {4, caps.pm_cap + 4ULL, caps.exp_cap + 9ULL, caps.af_cap + 5ULL};

  u64 pos;
  switch (fdp.ConsumeIntegralInRange(0, 7)) {
    case 0:
    case 1:
    case 2:  // at or just before a register
      pos = regs[fdp.ConsumeIntegralInRange(0, 3)] - fdp.ConsumeIntegralInRange<u64>(0, 8);
      break;
    case 3:
      pos = fdp.ConsumeIntegralInRange<u64>(0, 255);
      break;
    case 4:
      pos = fdp.ConsumeIntegralInRange<u64>(0, 4200);
      break;
    case 5:  // near the top: pos + count overflows
      pos = kU64Max - fdp.ConsumeIntegralInRange<u64>(0, 16);
      break;
    case 6:  // the largest offset the glue passes
      pos = (1ULL << VPD_VFIO_OFFSET_SHIFT) - fdp.ConsumeIntegralInRange<u64>(1, 16);
      break;
    default:
      pos = fdp.ConsumeIntegral<u64>();
      break;
  }
  u64 count;
  switch (fdp.ConsumeIntegralInRange(0, 9)) {
    case 0:
    case 1:
    case 2:
    case 3:  // what a user access does
      count = 1ULL << fdp.ConsumeIntegralInRange(0, 2);
      break;
    case 4:
      count = fdp.ConsumeIntegralInRange<u64>(0, 64);
      break;
    case 5:
      count = fdp.ConsumeIntegralInRange<u64>(0, 4200);
      break;
    case 6:  // reaching bytes past 4 GiB
      count = (1ULL << 32) + fdp.ConsumeIntegralInRange<u64>(0, 16);
      break;
    case 7:
      count = kU64Max - fdp.ConsumeIntegralInRange<u64>(0, 16);
      break;
    default:
      count = fdp.ConsumeIntegral<u64>();
      break;
  }

  // Peeks: exactly VPD_CFG_MAX_PEEKS on the heap, poisoned.
  std::unique_ptr<vpd_cfg_peek[]> peeks(new vpd_cfg_peek[VPD_CFG_MAX_PEEKS]);
  std::memset(peeks.get(), kPoison, VPD_CFG_MAX_PEEKS * sizeof(vpd_cfg_peek));
  const unsigned n = vpd_cfg_write_peeks(&caps, pos, count, peeks.get());
  const std::vector<ref::CfgPeek> want = ref::cfg_peeks(caps, pos, count);
  if (n != want.size())
    Mismatch("vpd_cfg_write_peeks count", n, want.size(), pos);
  for (unsigned i = 0; i < n; i++) {
    const vpd_cfg_peek &p = peeks[i];
    if (p.buf_offset != want[i].buf_offset || p.mask != want[i].mask ||
        p.revoke_if_clear != (want[i].revoke_if_clear ? 1 : 0))
      Mismatch("vpd_cfg_write_peeks peek", i, p.buf_offset, static_cast<u64>(want[i].buf_offset));
  }
  vpd_cfg_peek poison;
  std::memset(&poison, kPoison, sizeof(poison));
  for (unsigned i = n; i < VPD_CFG_MAX_PEEKS; i++)
    if (std::memcmp(&peeks[i], &poison, sizeof(poison)) != 0)
      Mismatch("vpd_cfg_write_peeks wrote past its count", i, n, pos);

  // A write the fuzzer can spell out: the decision, byte by byte.
  if (count <= 4200) {
    std::vector<unsigned char> bytes = fdp.ConsumeBytes<unsigned char>(count);
    bytes.resize(count, fdp.ConsumeIntegral<unsigned char>());
    bool revokes = false;
    for (unsigned i = 0; i < n; i++) {
      if (peeks[i].buf_offset >= count)
        Mismatch("peek outside the write", i, peeks[i].buf_offset, count);
      const int r = vpd_cfg_peek_revokes(&peeks[i], bytes[peeks[i].buf_offset]);
      if (r != 0 && r != 1)
        Mismatch("vpd_cfg_peek_revokes not 0/1", static_cast<u64>(r), i, 0);
      revokes = revokes || r;
    }
    if (revokes != ref::cfg_write_revokes(caps, pos, bytes.data(), bytes.size()))
      Mismatch("config write revokes", revokes, pos, count);
  }

  // vpd_cfg_peek_revokes() on any peek.
  vpd_cfg_peek p{};
  p.buf_offset = fdp.ConsumeIntegral<unsigned>();
  p.mask = fdp.ConsumeIntegral<unsigned char>();
  p.revoke_if_clear = fdp.ConsumeBool() ? fdp.ConsumeIntegral<unsigned char>() : 1;
  const unsigned char byte = fdp.ConsumeIntegral<unsigned char>();
  const int r = vpd_cfg_peek_revokes(&p, byte);
  if (r != (ref::cfg_peek_revokes(p, byte) ? 1 : 0))
    Mismatch("vpd_cfg_peek_revokes", static_cast<u64>(r), p.mask, byte);
}

// ---------------------------------------------------------------------------

enum Mode { kLookups, kBarMap, kExport, kCfgWrite, kNrModes };
unsigned long long mode_runs[kNrModes];

void PrintModeRuns() {
  std::fprintf(stderr, "fuzz-modes: lookups %llu, bar_map %llu, export %llu, cfg_write %llu\n",
               mode_runs[kLookups], mode_runs[kBarMap], mode_runs[kExport],
               mode_runs[kCfgWrite]);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  std::atexit(PrintModeRuns);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  const Mode mode = static_cast<Mode>(data[0] % kNrModes);
  mode_runs[mode]++;
  FuzzedDataProvider fdp(data + 1, size - 1);
  switch (mode) {
    case kLookups:
      FuzzTableAndLookups(fdp);
      break;
    case kBarMap:
      FuzzBarMap(fdp);
      break;
    case kExport:
      FuzzExport(fdp);
      break;
    default:
      FuzzCfgWrite(fdp);
      break;
  }
  return 0;
}
