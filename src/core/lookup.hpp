// SPDX-License-Identifier: GPL-2.0
//
// Fault-time lookups: the PFN of a naturally aligned page of a given order
// (huge_fault), and the run of pages to map around an order-0 fault.

#ifndef VPD_CORE_LOOKUP_HPP
#define VPD_CORE_LOOKUP_HPP

#include "result.hpp"
#include "table.hpp"
#include "types.hpp"

namespace vpd {

// A validated VMA geometry: [start, end) maps buffer offsets
// [base, base + (end - start)).
class Geometry {
 public:
  // -EINVAL unless start < end, both page-aligned, pgoff >= pgoff_adjust and
  // the VMA's buffer offsets (up to the exclusive end) fit in 64 bits.
  [[nodiscard]] static Result<Geometry> from(const vpd_vma_geom &g) noexcept {
    const VirtAddr start(g.start_addr);
    const VirtAddr end(g.end_addr);
    if (!(start < end) || !is_page_aligned(start) || !is_page_aligned(end))
      return error(Errno::kInval);
    const Maybe<PageCount> pages = checked_sub(PgOff(g.pgoff), PgOff(g.pgoff_adjust));
    if (!pages)
      return error(Errno::kInval);
    const Maybe<ByteLen> base = bytes_of(*pages);
    if (!base)
      return error(Errno::kInval);
    Preconditions pre;
    const ByteLen len = pre.value(checked_sub(end, start));  // start < end
    if (!checked_add(offset_after(*base), len) || !pre.held())
      return error(Errno::kInval);
    return Geometry(start, end, offset_after(*base));
  }

  constexpr Geometry() noexcept = default;

  [[nodiscard]] VirtAddr start() const noexcept { return start_; }
  [[nodiscard]] VirtAddr end() const noexcept { return end_; }

  [[nodiscard]] bool contains(VirtAddr a) const noexcept { return start_ <= a && a < end_; }

  // The buffer offset of `a`.  Precondition: start <= a <= end; cannot
  // overflow (checked by from()).
  [[nodiscard]] BufOffset offset_of(VirtAddr a) const noexcept {
    return BufOffset(base_.raw() + (a.raw() - start_.raw()));
  }

 private:
  Geometry(VirtAddr start, VirtAddr end, BufOffset base) noexcept
      : start_(start), end_(end), base_(base) {}

  VirtAddr start_;
  VirtAddr end_;
  BufOffset base_;
};

// The outcome of a find_pfn that is not an error: the PFN, or none when
// the page of that order does not fit (VPD_FALLBACK).
using MaybePfn = Maybe<Pfn>;

// See vpd_find_pfn() in core.h.  Checks in this order: order (-EINVAL),
// geometry (-EINVAL), address inside the VMA and the buffer (-EFAULT), then
// the fallbacks: the aligned page crosses a VMA edge, runs past the buffer,
// spans two segments, or its PFN is misaligned.
[[nodiscard]] inline Result<MaybePfn> find_pfn(const vpd_table &table, const vpd_vma_geom &g,
                                               VirtAddr addr, unsigned order_raw) noexcept {
  const Maybe<Order> order = Order::from(order_raw);
  if (!order)
    return error(Errno::kInval);
  const Result<Geometry> geom = Geometry::from(g);
  if (geom.is_error())
    return geom.take_error();
  if (!geom->contains(addr))
    return error(Errno::kFault);
  const TableView t(table);
  const BufOffset off = geom->offset_of(addr);
  if (!t.contains(off))
    return error(Errno::kFault);

  if (order->is_base())
    return MaybePfn(pfn_of(t.find(off).phys_at(off)));

  const ByteLen size = order->bytes();
  const VirtAddr va = align_down(addr, size);
  if (va < geom->start())
    return MaybePfn(none);
  const Maybe<VirtAddr> va_end = checked_add(va, size);
  if (!va_end || *va_end > geom->end())
    return MaybePfn(none);
  // Inside the VMA, so neither offset overflows; `first` is inside the
  // buffer (at or before `off`).  A page running past the buffer's end also
  // runs past its last segment's end: one check covers both.
  const BufOffset first = geom->offset_of(va);
  const BufOffset last_end = geom->offset_of(*va_end);
  const Seg seg = t.find(first);
  if (last_end > seg.end())
    return MaybePfn(none);
  const Pfn pfn = pfn_of(seg.phys_at(first));
  if (!is_aligned(pfn, *order))
    return MaybePfn(none);
  return MaybePfn(pfn);
}

struct Run {
  VirtAddr start;
  Pfn pfn;
  PageCount pages;
};

// See vpd_fault_around() in core.h.
[[nodiscard]] inline Result<Run> fault_around(const vpd_table &table, const vpd_vma_geom &g,
                                              VirtAddr fault_addr) noexcept {
  const Result<Geometry> geom = Geometry::from(g);
  if (geom.is_error())
    return geom.take_error();
  if (!geom->contains(fault_addr))
    return error(Errno::kFault);
  const TableView t(table);
  const VirtAddr a = page_align_down(fault_addr);
  const BufOffset off = geom->offset_of(a);
  if (!t.contains(off))
    return error(Errno::kFault);
  const Seg seg = t.find(off);

  // Distances from `a` to the edges of the window, the VMA and the segment
  // (the segment lies inside the buffer).  All subtractions are of a smaller
  // value from a larger one (win_lo <= a, start <= a < end, into_window <
  // window), `back` pages lie before `a` in the segment, and back + fwd is
  // at most the window: preconditions, checked.
  Preconditions pre;
  const ByteLen window = kPmdOrder.bytes();
  const VirtAddr win_lo = align_down(a, window);
  const ByteLen into_window = pre.value(checked_sub(a, win_lo));
  const ByteLen back =
      min(min(into_window, pre.value(checked_sub(a, geom->start()))), seg.head_before(off));
  const ByteLen fwd = min(min(pre.value(checked_sub(window, into_window)),
                              pre.value(checked_sub(geom->end(), a))),
                          seg.tail_from(off));

  Run run;
  run.start = pre.value(checked_sub(a, back));
  run.pfn = pre.value(checked_sub(pfn_of(seg.phys_at(off)), pages_in(back)));
  run.pages = pages_in(pre.value(checked_add(back, fwd)));
  if (!pre.held())
    return error(Errno::kFault);
  return run;
}

}  // namespace vpd

#endif  // VPD_CORE_LOOKUP_HPP
