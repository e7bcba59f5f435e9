// SPDX-License-Identifier: GPL-2.0
//
// Checked preconditions (types.hpp): a Maybe that earlier checks guarantee
// is taken through Preconditions, which traps in hosted builds and, in the
// kernel build, reports so that the function returns an error.  The death
// tests show the trap firing, directly and through the C ABI on a table
// that breaks the builder's invariants.

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <vector>

#include "../../src/core/types.hpp"
#include "vfio_pci_dmabuf/core.h"

namespace {

using namespace vpd;

constexpr u64 kMax = ~0ULL;

static_assert(kOnBroken == OnBroken::kTrap, "hosted builds trap");
static_assert(must(Order::from(VPD_PMD_ORDER)) == kPmdOrder);

// Preconditions that hold are free at compile time too.
constexpr u64 SpanOf(u64 lo, u64 hi) {
  Preconditions pre;
  const ByteLen len = pre.value(checked_sub(VirtAddr(hi), VirtAddr(lo)));
  return pre.held() ? len.raw() : 0;
}
static_assert(SpanOf(0x1000, 0x3000) == 0x2000);

// The kernel build's behaviour: no trap, a zero value, held() false.
TEST(Preconditions, ReportModeRecordsAndGoesOn) {
  BasicPreconditions<OnBroken::kReport> pre;
  EXPECT_EQ(pre.value(checked_add(PhysAddr(0x1000), ByteLen(0x1000))), PhysAddr(0x2000));
  EXPECT_TRUE(pre.held());
  EXPECT_EQ(pre.value(checked_sub(ByteLen(0), ByteLen(1))), ByteLen(0));
  EXPECT_FALSE(pre.held());
  // Stays broken.
  EXPECT_EQ(pre.value(checked_add(BufOffset(1), ByteLen(1))), BufOffset(2));
  EXPECT_FALSE(pre.held());
}

TEST(Preconditions, TrapModePassesValuesThrough) {
  Preconditions pre;
  EXPECT_EQ(pre.value(checked_add(BufOffset(kMax - 1), ByteLen(1))), BufOffset(kMax));
  EXPECT_EQ(pre.value(checked_sub(Pfn(5), PageCount(5))), Pfn(0));
  EXPECT_TRUE(pre.held());
}

// Opaque to the optimiser, so that the trap happens at run time.
template <class T>
T Launder(T v) {
  asm volatile("" : "+r"(v));
  return v;
}

// Death tests fork; with the sanitizers' threads the threadsafe style
// (re-executing the binary) is the robust one.
class PreconditionsDeathTest : public testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(PreconditionsDeathTest, EmptyMaybeTraps) {
  EXPECT_DEATH(
      {
        Preconditions pre;
        const ByteLen r = pre.value(checked_sub(ByteLen(Launder(0ULL)), ByteLen(1)));
        std::printf("not reached: %llu\n", r.raw());
      },
      "");
  EXPECT_EXIT(
      {
        Preconditions pre;
        const PhysAddr r = pre.value(checked_add(PhysAddr(Launder(kMax)), ByteLen(1)));
        std::printf("not reached: %llu\n", r.raw());
      },
      testing::KilledBySignal(SIGILL), "");
}

TEST_F(PreconditionsDeathTest, MustTraps) {
  EXPECT_EXIT(
      {
        const Order o = must(Order::from(Launder(VPD_MAX_ORDER + 1U)));
        std::printf("not reached: %u\n", o.raw());
      },
      testing::KilledBySignal(SIGILL), "");
}

// A table the builder never makes: one segment whose physical span runs
// past 2^64 (phys + len wraps).  vpd_fault_around() on its second page
// would compute PFN 0 - 1; the precondition traps instead (in the kernel
// build: -EFAULT, the fault gets SIGBUS).
TEST_F(PreconditionsDeathTest, FaultAroundOnCorruptTableTraps) {
  std::vector<unsigned long long> words((sizeof(vpd_table) + sizeof(vpd_seg)) / 8 + 1);
  vpd_table *t = reinterpret_cast<vpd_table *>(words.data());
  t->nr_segs = 1;
  t->capacity = 1;
  t->total_len = 2 * VPD_PAGE_SIZE;
  t->segs[0] = {kMax - VPD_PAGE_SIZE + 1, 2 * VPD_PAGE_SIZE, 0};
  const vpd_vma_geom g = {0x10000, 0x10000 + 2 * VPD_PAGE_SIZE, 0, 0};
  vpd_run run{};
  // The first page is fine: its run stops at the fault (back == 0).
  ASSERT_EQ(vpd_fault_around(t, &g, 0x10000, &run), 0);
  EXPECT_EQ(run.pfn, (kMax - VPD_PAGE_SIZE + 1) >> VPD_PAGE_SHIFT);
  EXPECT_EXIT(
      {
        const int r = vpd_fault_around(t, &g, 0x11000, &run);
        std::printf("not reached: %d\n", r);
      },
      testing::KilledBySignal(SIGILL), "");
}

}  // namespace
