// SPDX-License-Identifier: GPL-2.0
//
// The config-write revoke predicate (vpd_cfg_write_peeks /
// vpd_cfg_peek_revokes): which bytes of a config write decide, and what
// they decide, checked against a byte-by-byte model over every write
// window of the first 256 bytes.

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "vfio_pci_dmabuf/core.h"

namespace {

// The device of the tests: PM at 0x40, PCIe at 0x70, AF at 0xc0.
constexpr vpd_cfg_caps kCaps = {0x40, 0x70, 0xc0};

// Model: whether writing `val` over [pos, pos + len) may revoke.
bool model_revokes(const vpd_cfg_caps &caps, unsigned pos, const std::vector<uint8_t> &val) {
  bool revoke = false;
  for (unsigned i = 0; i < val.size(); i++) {
    const unsigned off = pos + i;
    if (off == 0x04 && !(val[i] & 0x02))
      revoke = true;
    if (caps.pm_cap && off == caps.pm_cap + 4 && (val[i] & 0x03))
      revoke = true;
    if (caps.exp_cap && off == caps.exp_cap + 9 && (val[i] & 0x80))
      revoke = true;
    if (caps.af_cap && off == caps.af_cap + 5 && (val[i] & 0x01))
      revoke = true;
  }
  return revoke;
}

bool core_revokes(const vpd_cfg_caps &caps, unsigned pos, const std::vector<uint8_t> &val) {
  vpd_cfg_peek peeks[VPD_CFG_MAX_PEEKS];
  const unsigned n = vpd_cfg_write_peeks(&caps, pos, val.size(), peeks);
  EXPECT_LE(n, unsigned{VPD_CFG_MAX_PEEKS});
  bool revoke = false;
  for (unsigned i = 0; i < n; i++) {
    EXPECT_LT(peeks[i].buf_offset, val.size());
    if (i) {
      EXPECT_LT(peeks[i - 1].buf_offset, peeks[i].buf_offset);
    }
    if (vpd_cfg_peek_revokes(&peeks[i], val[peeks[i].buf_offset]))
      revoke = true;
  }
  return revoke;
}

TEST(CfgRevoke, EveryWindowMatchesTheModel) {
  const vpd_cfg_caps cap_sets[] = {kCaps, {0, 0, 0}, {0xc0, 0x40, 0}, {0x50, 0, 0x48}};
  for (const vpd_cfg_caps &caps : cap_sets)
    for (unsigned len : {1u, 2u, 4u, 8u, 64u})
      for (unsigned pos = 0; pos + len <= 256; pos++)
        for (uint8_t fill : {0x00, 0xff, 0x02, 0x80, 0x01, 0x03, 0xfd}) {
          std::vector<uint8_t> val(len, fill);
          ASSERT_EQ(model_revokes(caps, pos, val), core_revokes(caps, pos, val))
              << "pos " << pos << " len " << len << " fill " << int(fill);
        }
}

TEST(CfgRevoke, CommandRegister) {
  // 16-bit write of the command register: MEM cleared revokes, MEM set
  // (bus master toggles, INTx disable) does not.
  EXPECT_TRUE(core_revokes(kCaps, 4, {0x04, 0x04}));
  EXPECT_FALSE(core_revokes(kCaps, 4, {0x06, 0x04}));
  // Writing only the high byte never touches MEM.
  EXPECT_FALSE(core_revokes(kCaps, 5, {0x00}));
  // The 32-bit write of command + status.
  EXPECT_TRUE(core_revokes(kCaps, 4, {0x00, 0x00, 0xff, 0xff}));
}

TEST(CfgRevoke, CapabilityRegisters) {
  EXPECT_TRUE(core_revokes(kCaps, 0x44, {0x03, 0x00}));   // PMCSR: D3hot
  EXPECT_FALSE(core_revokes(kCaps, 0x44, {0x00, 0x01}));  // PMCSR: D0, PME_En
  EXPECT_TRUE(core_revokes(kCaps, 0x78, {0x00, 0x80}));   // DevCtl: Initiate FLR
  EXPECT_FALSE(core_revokes(kCaps, 0x78, {0x0f, 0x7f}));  // DevCtl: the rest
  EXPECT_TRUE(core_revokes(kCaps, 0xc5, {0x01}));         // AF: Initiate FLR
  EXPECT_FALSE(core_revokes(kCaps, 0xc4, {0xff}));        // AF capabilities byte
}

TEST(CfgRevoke, HugeCountsDoNotOverflow) {
  vpd_cfg_peek peeks[VPD_CFG_MAX_PEEKS];
  EXPECT_EQ(4u, vpd_cfg_write_peeks(&kCaps, 0, ~0ULL, peeks));
  EXPECT_EQ(0u, vpd_cfg_write_peeks(&kCaps, ~0ULL - 1, ~0ULL, peeks));
  EXPECT_EQ(0u, vpd_cfg_write_peeks(&kCaps, 0, 0, peeks));
}

// A register past the 4 KiB of config space is never written, whatever the
// capability offsets say: no peek, and so no buf_offset beyond 4 KiB (a
// register near 2^32 once gave buf_offset 1 for the byte at 2^32 + 1).
TEST(CfgRevoke, RegistersPastConfigSpaceAreIgnored) {
  vpd_cfg_peek peeks[VPD_CFG_MAX_PEEKS];
  const vpd_cfg_caps near_4g = {0xfffffffdU, 0xfffffff8U, 0xfffffffcU};
  ASSERT_EQ(1u, vpd_cfg_write_peeks(&near_4g, 0, ~0ULL, peeks));
  EXPECT_EQ(peeks[0].buf_offset, 4u);  // the command register only
  EXPECT_EQ(0u, vpd_cfg_write_peeks(&near_4g, 1ULL << 32, ~0ULL, peeks));
  // Registers at 0xfff (PM), 0x1000 (PCIe: past the end) and 0xfff (AF).
  const vpd_cfg_caps at_end = {0xffb, 0xff7, 0xffa};
  ASSERT_EQ(2u, vpd_cfg_write_peeks(&at_end, 0xff0, 0x100, peeks));
  EXPECT_EQ(peeks[0].buf_offset, 0xfu);
  EXPECT_EQ(peeks[0].mask, 0x03);
  EXPECT_EQ(peeks[1].buf_offset, 0xfu);
  EXPECT_EQ(peeks[1].mask, 0x01);
}

}  // namespace
