// SPDX-License-Identifier: GPL-2.0
//
// Runs the case tables of tests/cases/ (shared with the KUnit suite) against
// the core's C ABI.

#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "vfio_pci_dmabuf/core.h"
#include "../cases/cfg.h"
#include "../cases/fault_around.h"
#include "../cases/find_pfn.h"
#include "../cases/table_init.h"
#include "../cases/vfio.h"

namespace {

constexpr unsigned char kPoison = 0xa5;
constexpr unsigned long long kPoison64 = 0xa5a5a5a5a5a5a5a5ULL;

// A caller-allocated table of `capacity` segments, poisoned.
class OwnedTable {
 public:
  explicit OwnedTable(unsigned capacity)
      : words_((sizeof(vpd_table) + capacity * sizeof(vpd_seg)) / 8 + 1) {
    std::memset(words_.data(), kPoison, words_.size() * 8);
  }
  vpd_table *get() { return reinterpret_cast<vpd_table *>(words_.data()); }

 private:
  std::vector<unsigned long long> words_;
};

template <class Case>
std::string CaseName(const testing::TestParamInfo<Case> &info) {
  std::string s = info.param.name;
  for (char &c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return s;
}

// The table a lookup case runs on (nr == 0: the empty table left by a
// failed vpd_table_init()).
void BuildLookupTable(OwnedTable &owned, const vpd_phys_range *ranges, unsigned nr) {
  vpd_table *t = owned.get();
  if (nr == 0) {
    ASSERT_EQ(vpd_table_init(t, 1, ranges, 0), -VPD_EINVAL);
    ASSERT_EQ(t->nr_segs, 0u);
    ASSERT_EQ(t->total_len, 0ull);
    return;
  }
  ASSERT_EQ(vpd_table_init(t, nr, ranges, nr), 0);
}

void ExpectSegs(const vpd_table *t, unsigned nr_segs, unsigned long long total,
                const vpd_seg *segs) {
  ASSERT_EQ(t->nr_segs, nr_segs);
  EXPECT_EQ(t->total_len, total);
  ASSERT_LE(nr_segs, static_cast<unsigned>(VPDT_MAX_SEGS));
  for (unsigned i = 0; i < nr_segs; i++) {
    SCOPED_TRACE("segment " + std::to_string(i));
    EXPECT_EQ(t->segs[i].phys_addr, segs[i].phys_addr);
    EXPECT_EQ(t->segs[i].len, segs[i].len);
    EXPECT_EQ(t->segs[i].buf_offset, segs[i].buf_offset);
  }
}

// ---------------------------------------------------------------------------

class TableInit : public testing::TestWithParam<vpd_table_init_case> {};

TEST_P(TableInit, Case) {
  const vpd_table_init_case &c = GetParam();
  OwnedTable owned(c.capacity);
  vpd_table *t = owned.get();
  ASSERT_EQ(vpd_table_init(t, c.capacity, c.ranges, c.nr), c.ret);
  EXPECT_EQ(t->capacity, c.capacity);
  if (c.ret != 0) {
    EXPECT_EQ(t->nr_segs, 0u);
    EXPECT_EQ(t->total_len, 0ull);
    return;
  }
  ExpectSegs(t, c.nr_segs, c.total_len, c.segs);
}

INSTANTIATE_TEST_SUITE_P(Cases, TableInit, testing::ValuesIn(vpd_table_init_cases),
                         CaseName<vpd_table_init_case>);

// ---------------------------------------------------------------------------

class FindPfn : public testing::TestWithParam<vpd_find_pfn_case> {};

TEST_P(FindPfn, Case) {
  const vpd_find_pfn_case &c = GetParam();
  OwnedTable owned(c.nr ? c.nr : 1);
  BuildLookupTable(owned, c.ranges, c.nr);
  unsigned long long pfn = kPoison64;
  ASSERT_EQ(vpd_find_pfn(owned.get(), &c.geom, c.addr, c.order, &pfn), c.ret);
  if (c.ret != 0) {
    EXPECT_EQ(pfn, kPoison64) << "*pfn written on failure";
    return;
  }
  EXPECT_EQ(pfn, c.pfn);
  // The order-0 page at the huge page's start has the same PFN.
  if (c.order > 0) {
    const unsigned long long size = VPD_PAGE_SIZE << c.order;
    unsigned long long pfn0 = 0;
    ASSERT_EQ(vpd_find_pfn(owned.get(), &c.geom, c.addr & ~(size - 1), 0, &pfn0), 0);
    EXPECT_EQ(pfn0, c.pfn);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, FindPfn, testing::ValuesIn(vpd_find_pfn_cases),
                         CaseName<vpd_find_pfn_case>);

// ---------------------------------------------------------------------------

class FaultAround : public testing::TestWithParam<vpd_fault_around_case> {};

TEST_P(FaultAround, Case) {
  const vpd_fault_around_case &c = GetParam();
  OwnedTable owned(c.nr ? c.nr : 1);
  BuildLookupTable(owned, c.ranges, c.nr);
  vpd_run run;
  std::memset(&run, kPoison, sizeof(run));
  ASSERT_EQ(vpd_fault_around(owned.get(), &c.geom, c.addr, &run), c.ret);
  if (c.ret != 0) {
    EXPECT_EQ(run.start_addr, kPoison64) << "*run written on failure";
    EXPECT_EQ(run.pfn, kPoison64);
    EXPECT_EQ(run.nr_pages, kPoison64);
    // Same errors as vpd_find_pfn().
    unsigned long long pfn = 0;
    EXPECT_EQ(vpd_find_pfn(owned.get(), &c.geom, c.addr, 0, &pfn), c.ret);
    return;
  }
  EXPECT_EQ(run.start_addr, c.run.start_addr);
  EXPECT_EQ(run.pfn, c.run.pfn);
  EXPECT_EQ(run.nr_pages, c.run.nr_pages);
  // Consistent with the order-0 lookup at the fault.
  unsigned long long pfn = 0;
  ASSERT_EQ(vpd_find_pfn(owned.get(), &c.geom, c.addr, 0, &pfn), 0);
  EXPECT_EQ(pfn, run.pfn + ((c.addr & ~(VPD_PAGE_SIZE - 1)) - run.start_addr) / VPD_PAGE_SIZE);
}

INSTANTIATE_TEST_SUITE_P(Cases, FaultAround, testing::ValuesIn(vpd_fault_around_cases),
                         CaseName<vpd_fault_around_case>);

// ---------------------------------------------------------------------------

class BarMap : public testing::TestWithParam<vpd_bar_map_case> {};

TEST_P(BarMap, Case) {
  const vpd_bar_map_case &c = GetParam();
  struct vpd_bar_map out;
  std::memset(&out, kPoison, sizeof(out));
  ASSERT_EQ(vpd_bar_map(c.bars, &c.req, &out), c.ret);
  if (c.ret != 0) {
    EXPECT_EQ(out.bar_offset, kPoison64) << "*out written on failure";
    return;
  }
  EXPECT_EQ(out.bar, c.out.bar);
  EXPECT_EQ(out.bar_offset, c.out.bar_offset);
  EXPECT_EQ(out.range.phys_addr, c.out.range.phys_addr);
  EXPECT_EQ(out.range.len, c.out.range.len);
  EXPECT_EQ(out.pgoff_adjust, c.out.pgoff_adjust);
  // The one-range buffer it describes is a valid table, and vm_start maps
  // its first byte.
  OwnedTable owned(1);
  ASSERT_EQ(vpd_table_init(owned.get(), 1, &out.range, 1), 0);
  const vpd_vma_geom g = {0x7f0000000000ULL, 0x7f0000000000ULL + c.req.len, c.req.vm_pgoff,
                          out.pgoff_adjust};
  unsigned long long pfn = 0;
  ASSERT_EQ(vpd_find_pfn(owned.get(), &g, g.start_addr, 0, &pfn), 0);
  EXPECT_EQ(pfn, out.range.phys_addr >> VPD_PAGE_SHIFT);
}

INSTANTIATE_TEST_SUITE_P(Cases, BarMap, testing::ValuesIn(vpd_bar_map_cases),
                         CaseName<vpd_bar_map_case>);

// ---------------------------------------------------------------------------

class ExportHeader : public testing::TestWithParam<vpd_export_header_case> {};

TEST_P(ExportHeader, Case) {
  const vpd_export_header_case &c = GetParam();
  EXPECT_EQ(vpd_export_check_header(&c.req, c.bars), c.ret);
}

INSTANTIATE_TEST_SUITE_P(Cases, ExportHeader, testing::ValuesIn(vpd_export_header_cases),
                         CaseName<vpd_export_header_case>);

// ---------------------------------------------------------------------------

class ExportBuild : public testing::TestWithParam<vpd_export_build_case> {};

TEST_P(ExportBuild, Case) {
  const vpd_export_build_case &c = GetParam();
  OwnedTable owned(c.capacity);
  vpd_table *t = owned.get();
  ASSERT_EQ(vpd_export_build(&c.req, c.ranges, c.bars, t, c.capacity), c.ret);
  EXPECT_EQ(t->capacity, c.capacity);
  if (c.ret != 0) {
    EXPECT_EQ(t->nr_segs, 0u);
    EXPECT_EQ(t->total_len, 0ull);
    return;
  }
  EXPECT_EQ(vpd_export_check_header(&c.req, c.bars), 0);
  ExpectSegs(t, c.nr_segs, c.total_len, c.segs);
}

INSTANTIATE_TEST_SUITE_P(Cases, ExportBuild, testing::ValuesIn(vpd_export_build_cases),
                         CaseName<vpd_export_build_case>);

}  // namespace

// ---------------------------------------------------------------------------

class CfgWrite : public testing::TestWithParam<vpd_cfg_write_case> {};

TEST_P(CfgWrite, Case) {
  const vpd_cfg_write_case &c = GetParam();
  vpd_cfg_peek peeks[VPD_CFG_MAX_PEEKS];
  const unsigned n = vpd_cfg_write_peeks(&c.caps, c.pos, c.count, peeks);
  ASSERT_LE(n, unsigned{VPD_CFG_MAX_PEEKS});
  int revokes = 0;
  for (unsigned i = 0; i < n; i++) {
    ASSERT_LT(peeks[i].buf_offset, c.count);
    revokes |= vpd_cfg_peek_revokes(&peeks[i], c.bytes[peeks[i].buf_offset]);
  }
  EXPECT_EQ(revokes, c.revokes);
}

INSTANTIATE_TEST_SUITE_P(Cases, CfgWrite, testing::ValuesIn(vpd_cfg_write_cases),
                         CaseName<vpd_cfg_write_case>);
