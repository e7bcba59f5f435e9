// SPDX-License-Identifier: GPL-2.0
//
// The core's strong types and Result, mostly at compile time: which unit
// combinations exist, that nothing converts implicitly, and that the checked
// arithmetic is constexpr and catches overflow.

#include <gtest/gtest.h>

#include <type_traits>

#include "../../src/core/lookup.hpp"
#include "../../src/core/result.hpp"
#include "../../src/core/table.hpp"
#include "../../src/core/types.hpp"

namespace {

using namespace vpd;

constexpr u64 kMax = ~0ULL;

// --- Distinct types, no implicit conversions --------------------------------

static_assert(!std::is_same_v<BufOffset, PhysAddr>);
static_assert(!std::is_same_v<BufOffset, ByteLen>);
static_assert(!std::is_same_v<Pfn, PageCount>);
static_assert(!std::is_same_v<PgOff, PageCount>);
static_assert(!std::is_convertible_v<BufOffset, PhysAddr>);
static_assert(!std::is_convertible_v<PhysAddr, VirtAddr>);
static_assert(!std::is_convertible_v<VirtAddr, BufOffset>);
static_assert(!std::is_convertible_v<Pfn, PhysAddr>);
static_assert(!std::is_convertible_v<PageCount, ByteLen>);
static_assert(!std::is_convertible_v<ByteLen, PageCount>);
static_assert(!std::is_convertible_v<u64, ByteLen>, "construction from a raw value is explicit");
static_assert(!std::is_convertible_v<ByteLen, u64>, "raw() is the only way out");
static_assert(!std::is_constructible_v<PhysAddr, BufOffset>);
static_assert(!std::is_constructible_v<Pfn, PhysAddr>, "pfn_of() is the conversion");
static_assert(std::is_constructible_v<PhysAddr, u64>);
static_assert(!std::is_constructible_v<Order, unsigned>, "Order::from() validates");
static_assert(sizeof(PhysAddr) == 8 && std::is_trivially_copyable_v<PhysAddr>);
static_assert(std::is_trivially_copyable_v<Maybe<Pfn>>);
static_assert(std::is_trivially_copyable_v<Result<Maybe<Pfn>>>);

// --- Only meaningful arithmetic ---------------------------------------------

static_assert(can_add<BufOffset, ByteLen>::value);
static_assert(can_add<PhysAddr, ByteLen>::value);
static_assert(can_add<VirtAddr, ByteLen>::value);
static_assert(can_add<Pfn, PageCount>::value);
static_assert(!can_add<PhysAddr, PhysAddr>::value);
static_assert(!can_add<PhysAddr, BufOffset>::value);
static_assert(!can_add<BufOffset, BufOffset>::value);
static_assert(!can_add<VirtAddr, BufOffset>::value);
static_assert(!can_add<Pfn, ByteLen>::value);
static_assert(!can_add<ByteLen, PageCount>::value);
static_assert(!can_add<PgOff, PgOff>::value);
static_assert(can_sub<VirtAddr, VirtAddr>::value);
static_assert(can_sub<BufOffset, BufOffset>::value);
static_assert(can_sub<PgOff, PgOff>::value);
static_assert(!can_sub<PhysAddr, BufOffset>::value);
static_assert(!can_sub<ByteLen, BufOffset>::value);
static_assert(!can_sub<Pfn, Pfn>::value);
static_assert(std::is_same_v<add_t<BufOffset, ByteLen>, BufOffset>);
static_assert(std::is_same_v<sub_t<VirtAddr, VirtAddr>, ByteLen>);
static_assert(std::is_same_v<sub_t<PgOff, PgOff>, PageCount>);

// --- Checked arithmetic, at compile time ------------------------------------

static_assert(*checked_add(PhysAddr(0x1000), ByteLen(0x2000)) == PhysAddr(0x3000));
static_assert(!checked_add(PhysAddr(kMax), ByteLen(1)));
static_assert(!checked_add(PhysAddr(kMax - 0xfff), ByteLen(0x1000)), "2^64 exactly overflows");
static_assert(*checked_add(PhysAddr(kMax - 0x1000), ByteLen(0x1000)) == PhysAddr(kMax));
static_assert(*checked_sub(VirtAddr(0x5000), VirtAddr(0x1000)) == ByteLen(0x4000));
static_assert(!checked_sub(VirtAddr(0x1000), VirtAddr(0x1001)));
static_assert(!checked_sub(PgOff(5), PgOff(6)));
static_assert(*bytes_of(PageCount(3)) == ByteLen(0x3000));
static_assert(bytes_of(PageCount((1ULL << 52) - 1)).has_value());
static_assert(!bytes_of(PageCount(1ULL << 52)));
static_assert(pages_in(ByteLen(0x2fff)) == PageCount(2));
static_assert(pfn_of(PhysAddr(0x12345678)) == Pfn(0x12345));
static_assert(is_page_aligned(PhysAddr(0x3000)) && !is_page_aligned(ByteLen(0x3001)));
static_assert(align_down(VirtAddr(0x7f00003fffff), ByteLen(0x200000)) == VirtAddr(0x7f0000200000));
static_assert(*page_align_up(ByteLen(0x801)) == ByteLen(0x1000));
static_assert(*page_align_up(ByteLen(0x1000)) == ByteLen(0x1000));
static_assert(!page_align_up(ByteLen(kMax)));
static_assert(offset_after(ByteLen(7)) == BufOffset(7));
static_assert(min(ByteLen(3), ByteLen(2)) == ByteLen(2));

// --- Order ------------------------------------------------------------------

static_assert(Order::from(0).has_value() && Order::from(18).has_value());
static_assert(!Order::from(19) && !Order::from(~0U));
static_assert(kPmdOrder.bytes() == ByteLen(2ULL << 20));
static_assert(kPudOrder.bytes() == ByteLen(1ULL << 30));
static_assert(kPudOrder.pages() == PageCount(1ULL << 18));
static_assert(Order::from(18)->bytes() == ByteLen(1ULL << 30));
static_assert(is_aligned(Pfn(0x200), kPmdOrder) && !is_aligned(Pfn(0x201), kPmdOrder));
static_assert(is_aligned(Pfn(0x123), Order()));

// --- Result maps 1:1 to -errno ----------------------------------------------

static_assert(to_ret(Errno::kInval) == -VPD_EINVAL);
static_assert(to_ret(Errno::kFault) == -VPD_EFAULT);
static_assert(to_ret(Errno::kOverflow) == -VPD_EOVERFLOW);
static_assert(to_ret(Errno::kTooBig) == -VPD_E2BIG);
static_assert(to_ret(Errno::kNoDev) == -VPD_ENODEV);
static_assert(to_ret(ok()) == 0);
static_assert(to_ret(Status(error(Errno::kPerm))) == -VPD_EPERM);
static_assert(Result<Pfn>(Pfn(3)).is_ok() && *Result<Pfn>(Pfn(3)) == Pfn(3));
static_assert(Result<Pfn>(error(Errno::kNoMem)).error_value() == Errno::kNoMem);

constexpr Result<ByteLen> Twice(ByteLen v) {
  const Maybe<ByteLen> r = checked_add(v, v);
  if (!r)
    return error(Errno::kOverflow);
  return *r;
}
static_assert(*Twice(ByteLen(4)) == ByteLen(8));
static_assert(Twice(ByteLen(1ULL << 63)).error_value() == Errno::kOverflow);

// Result and Maybe must be used: discarding one is a compile-time warning
// (-Werror in the build).  Checked here through the attribute's presence on
// a call whose value is deliberately consumed.
TEST(Types, NodiscardResultsAreConsumed) {
  const Result<ByteLen> r = Twice(ByteLen(1));
  EXPECT_TRUE(r.is_ok());
  EXPECT_EQ(r->raw(), 2u);
}

TEST(Types, MaybeValueOr) {
  EXPECT_EQ(checked_add(BufOffset(kMax), ByteLen(1)).value_or(BufOffset(9)), BufOffset(9));
  EXPECT_EQ(checked_add(BufOffset(1), ByteLen(1)).value_or(BufOffset(9)), BufOffset(2));
}

TEST(Types, GeometryValidation) {
  const vpd_vma_geom ok_geom = {0x10000, 0x20000, 5, 3};
  const Result<Geometry> g = Geometry::from(ok_geom);
  ASSERT_TRUE(g.is_ok());
  EXPECT_EQ(g->offset_of(VirtAddr(0x10000)), BufOffset(0x2000));
  EXPECT_EQ(g->offset_of(VirtAddr(0x1ffff)), BufOffset(0x11fff));
  const vpd_vma_geom bad[] = {
      {0x10000, 0x10000, 0, 0},              // empty
      {0x10001, 0x20000, 0, 0},              // unaligned start
      {0x10000, 0x20001, 0, 0},              // unaligned end
      {0x10000, 0x20000, 2, 3},              // pgoff < pgoff_adjust
      {0x10000, 0x20000, 1ULL << 52, 0},     // offset bytes overflow
      {0x10000, 0x20000, (1ULL << 52) - 0x10, 0},  // VMA end offset overflows
  };
  for (const vpd_vma_geom &b : bad)
    EXPECT_EQ(Geometry::from(b).error_value(), Errno::kInval);
}

TEST(Types, BinarySearchEverySegment) {
  // 1..40 segments of lengths 1..3 pages; every page maps to its segment.
  for (unsigned n = 1; n <= 40; n++) {
    std::vector<vpd_phys_range> ranges(n);
    for (unsigned i = 0; i < n; i++)
      ranges[i] = {0x100000000ULL + i * 0x100000ULL, (1 + i % 3) * 0x1000ULL};
    std::vector<unsigned long long> words((sizeof(vpd_table) + n * sizeof(vpd_seg)) / 8 + 1);
    vpd_table *t = reinterpret_cast<vpd_table *>(words.data());
    ASSERT_EQ(vpd_table_init(t, n, ranges.data(), n), 0);
    ASSERT_EQ(t->nr_segs, n);
    const TableView view(*t);
    for (unsigned i = 0; i < n; i++) {
      for (u64 off = t->segs[i].buf_offset; off < t->segs[i].buf_offset + t->segs[i].len;
           off += 0x800) {
        const Seg s = view.find(BufOffset(off));
        EXPECT_EQ(s.start, BufOffset(t->segs[i].buf_offset)) << "n=" << n << " off=" << off;
      }
    }
  }
}

}  // namespace
