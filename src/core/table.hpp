// SPDX-License-Identifier: GPL-2.0
//
// The range table of a buffer ("phys_vec"): building it (validation, merging
// of physically contiguous neighbours, prefix sums) and finding the segment
// that holds a buffer offset (binary search).

#ifndef VPD_CORE_TABLE_HPP
#define VPD_CORE_TABLE_HPP

#include "result.hpp"
#include "types.hpp"

namespace vpd {

// One segment seen through the strong types: `len` bytes at `phys`, at
// buffer offsets [start, start + len).
struct Seg {
  PhysAddr phys;
  ByteLen len;
  BufOffset start;

  [[nodiscard]] static constexpr Seg of(const vpd_seg &s) noexcept {
    return Seg{PhysAddr(s.phys_addr), ByteLen(s.len), BufOffset(s.buf_offset)};
  }

  // Table invariant: start + len and phys + len do not overflow.
  [[nodiscard]] constexpr BufOffset end() const noexcept { return BufOffset(start.raw() + len.raw()); }
  [[nodiscard]] constexpr PhysAddr phys_end() const noexcept { return PhysAddr(phys.raw() + len.raw()); }

  // Bytes of the segment at and after `off`.  Precondition: start <= off < end().
  [[nodiscard]] constexpr ByteLen tail_from(BufOffset off) const noexcept {
    return ByteLen(end().raw() - off.raw());
  }
  // Bytes of the segment before `off`.  Precondition: start <= off.
  [[nodiscard]] constexpr ByteLen head_before(BufOffset off) const noexcept {
    return ByteLen(off.raw() - start.raw());
  }
  // The physical address of buffer offset `off`.  Precondition: start <= off < end().
  [[nodiscard]] constexpr PhysAddr phys_at(BufOffset off) const noexcept {
    return PhysAddr(phys.raw() + head_before(off).raw());
  }
};

// Fills a caller-allocated vpd_table from a sequence of ranges.
//
// Invariants of a finished table, relied on by the lookups:
//   nr_segs >= 1, segs[0].buf_offset == 0,
//   segs[i].buf_offset == sum of the lengths before it (strictly increasing),
//   every phys_addr and len page-aligned, len > 0, phys_addr + len <= 2^64 - 1,
//   total_len == sum of all lengths <= 2^64 - 1,
//   no segment starts physically where its predecessor ends (merged).
class TableBuilder {
 public:
  // Starts an empty table for `nr` ranges; -E2BIG if they may not fit.
  [[nodiscard]] static Result<TableBuilder> start(vpd_table &t, unsigned capacity,
                                                  unsigned nr) noexcept {
    t.capacity = capacity;
    t.nr_segs = 0;
    t.total_len = 0;
    if (nr == 0)
      return error(Errno::kInval);
    if (nr > capacity)
      return error(Errno::kTooBig);
    return TableBuilder(&t);
  }

  constexpr TableBuilder() noexcept = default;

  // Appends one range; on error the table is left empty.
  [[nodiscard]] Status add(PhysAddr phys, ByteLen len) noexcept {
    if (len == ByteLen(0) || !is_page_aligned(phys) || !is_page_aligned(len))
      return fail(Errno::kInval);
    if (!checked_add(phys, len))
      return fail(Errno::kOverflow);
    const Maybe<ByteLen> total = checked_add(total_, len);
    if (!total)
      return fail(Errno::kOverflow);

    if (n_ > 0) {
      vpd_seg &prev = t_->segs[n_ - 1];
      if (Seg::of(prev).phys_end() == phys) {
        // Cannot overflow: bounded by the new total.
        prev.len += len.raw();
        total_ = *total;
        return ok();
      }
    }
    vpd_seg &s = t_->segs[n_++];
    s.phys_addr = phys.raw();
    s.len = len.raw();
    s.buf_offset = offset_after(total_).raw();
    total_ = *total;
    return ok();
  }

  // Publishes the segments (all add()s succeeded).
  void finish() noexcept {
    t_->nr_segs = n_;
    t_->total_len = total_.raw();
  }

 private:
  explicit TableBuilder(vpd_table *t) noexcept : t_(t) {}

  Status fail(Errno e) noexcept {
    t_->nr_segs = 0;
    t_->total_len = 0;
    return error(e);
  }

  vpd_table *t_ = nullptr;
  unsigned n_ = 0;
  ByteLen total_{0};
};

// Read-only view of a finished table.
class TableView {
 public:
  explicit TableView(const vpd_table &t) noexcept
      : segs_(t.segs), n_(t.nr_segs), total_(t.total_len) {}

  [[nodiscard]] ByteLen total() const noexcept { return total_; }
  [[nodiscard]] unsigned size() const noexcept { return n_; }

  // True if `off` is a byte of the buffer.
  [[nodiscard]] bool contains(BufOffset off) const noexcept { return off < offset_after(total_); }

  // The segment holding `off`.  Precondition: contains(off) (so n_ >= 1).
  //
  // Branch-free binary search for the last segment starting at or before
  // `off`: ceil(log2(n)) iterations of compare + conditional move.  With one
  // segment the loop does not run.
  [[nodiscard]] Seg find(BufOffset off) const noexcept {
    const vpd_seg *base = segs_;
    unsigned n = n_;
    while (n > 1) {
      const unsigned half = n / 2;
      base = (BufOffset(base[half].buf_offset) <= off) ? base + half : base;
      n -= half;
    }
    return Seg::of(*base);
  }

 private:
  const vpd_seg *segs_;
  unsigned n_;
  ByteLen total_;
};

}  // namespace vpd

#endif  // VPD_CORE_TABLE_HPP
