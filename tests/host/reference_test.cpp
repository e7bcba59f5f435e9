// SPDX-License-Identifier: GPL-2.0
//
// The fuzzer's reference model (tests/fuzz/reference.hpp) against the
// hand-written case tables of tests/cases/: the model, the cases and the
// core are three independent statements of one contract, the fuzzer
// compares the model with the core, this compares the model with the cases.

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "../fuzz/reference.hpp"
#include "vfio_pci_dmabuf/core.h"
#include "../cases/cfg.h"
#include "../cases/fault_around.h"
#include "../cases/find_pfn.h"
#include "../cases/table_init.h"
#include "../cases/vfio.h"

namespace {

void ExpectTable(const ref::TableResult &got, int ret, unsigned nr_segs, unsigned long long total,
                 const vpd_seg *segs) {
  ASSERT_EQ(got.ret, ret);
  if (ret != 0)
    return;
  ASSERT_EQ(got.segs.size(), nr_segs);
  EXPECT_EQ(got.total, total);
  for (unsigned i = 0; i < nr_segs; i++) {
    SCOPED_TRACE("segment " + std::to_string(i));
    EXPECT_EQ(got.segs[i].phys_addr, segs[i].phys_addr);
    EXPECT_EQ(got.segs[i].len, segs[i].len);
    EXPECT_EQ(got.segs[i].buf_offset, segs[i].buf_offset);
  }
}

// The buffer a lookup case runs on (nr == 0: the empty one of a failed init).
ref::Buffer LookupBuffer(const vpd_phys_range *ranges, unsigned nr) {
  ref::Buffer buf;
  if (nr != 0) {
    const ref::TableResult r = ref::table_init(ranges, nr, nr, &buf);
    EXPECT_EQ(r.ret, 0);
  }
  return buf;
}

TEST(Reference, TableInitCases) {
  for (const vpd_table_init_case &c : vpd_table_init_cases) {
    SCOPED_TRACE(c.name);
    ref::Buffer buf;
    ExpectTable(ref::table_init(c.ranges, c.nr, c.capacity, &buf), c.ret, c.nr_segs, c.total_len,
                c.segs);
  }
}

TEST(Reference, FindPfnCases) {
  for (const vpd_find_pfn_case &c : vpd_find_pfn_cases) {
    SCOPED_TRACE(c.name);
    const ref::Buffer buf = LookupBuffer(c.ranges, c.nr);
    unsigned long long pfn = 0;
    ASSERT_EQ(ref::find_pfn(buf, c.geom, c.addr, c.order, &pfn), c.ret);
    if (c.ret == 0) {
      EXPECT_EQ(pfn, c.pfn);
    }
  }
}

TEST(Reference, FaultAroundCases) {
  for (const vpd_fault_around_case &c : vpd_fault_around_cases) {
    SCOPED_TRACE(c.name);
    const ref::Buffer buf = LookupBuffer(c.ranges, c.nr);
    vpd_run run{};
    ASSERT_EQ(ref::fault_around(buf, c.geom, c.addr, &run), c.ret);
    if (c.ret == 0) {
      EXPECT_EQ(run.start_addr, c.run.start_addr);
      EXPECT_EQ(run.pfn, c.run.pfn);
      EXPECT_EQ(run.nr_pages, c.run.nr_pages);
    }
  }
}

TEST(Reference, BarMapCases) {
  for (const vpd_bar_map_case &c : vpd_bar_map_cases) {
    SCOPED_TRACE(c.name);
    struct vpd_bar_map out;
    std::memset(&out, 0, sizeof(out));
    ASSERT_EQ(ref::bar_map(c.bars, c.req, &out), c.ret);
    if (c.ret == 0) {
      EXPECT_EQ(out.bar, c.out.bar);
      EXPECT_EQ(out.bar_offset, c.out.bar_offset);
      EXPECT_EQ(out.range.phys_addr, c.out.range.phys_addr);
      EXPECT_EQ(out.range.len, c.out.range.len);
      EXPECT_EQ(out.pgoff_adjust, c.out.pgoff_adjust);
    }
  }
}

TEST(Reference, ExportHeaderCases) {
  for (const vpd_export_header_case &c : vpd_export_header_cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ref::export_check_header(c.req, c.bars), c.ret);
  }
}

TEST(Reference, ExportBuildCases) {
  for (const vpd_export_build_case &c : vpd_export_build_cases) {
    SCOPED_TRACE(c.name);
    ExpectTable(ref::export_build(c.req, c.ranges, c.bars, c.capacity), c.ret, c.nr_segs,
                c.total_len, c.segs);
  }
}

TEST(Reference, CfgWriteCases) {
  for (const vpd_cfg_write_case &c : vpd_cfg_write_cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ref::cfg_write_revokes(c.caps, c.pos, c.bytes, c.count), c.revokes != 0);
    // The peeks decide the same.
    bool revokes = false;
    for (const ref::CfgPeek &p : ref::cfg_peeks(c.caps, c.pos, c.count)) {
      ASSERT_LT(p.buf_offset, c.count);
      const vpd_cfg_peek peek = {static_cast<unsigned>(p.buf_offset), p.mask,
                                 static_cast<unsigned char>(p.revoke_if_clear)};
      revokes = revokes || ref::cfg_peek_revokes(peek, c.bytes[peek.buf_offset]);
    }
    EXPECT_EQ(revokes, c.revokes != 0);
  }
}

}  // namespace
