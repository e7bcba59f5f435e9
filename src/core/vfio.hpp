// SPDX-License-Identifier: GPL-2.0
//
// vfio-pci semantics: checking a BAR mmap as vfio_pci_core_mmap() does, and
// validating a VFIO_DEVICE_FEATURE_DMA_BUF export as upstream does.

#ifndef VPD_CORE_VFIO_HPP
#define VPD_CORE_VFIO_HPP

#include "result.hpp"
#include "table.hpp"
#include "types.hpp"

namespace vpd {

inline constexpr unsigned kRegionPgoffShift = VPD_VFIO_OFFSET_SHIFT - VPD_PAGE_SHIFT;
inline constexpr u64 kRegionPgoffMask = (1ULL << kRegionPgoffShift) - 1;

// The outcome of bar_map that is not an error: the mapping, or none for a
// device-specific region (VPD_DELEGATE).
// (`struct` is needed: the function vpd_bar_map() hides the type's name.)
using BarMap = struct ::vpd_bar_map;
using MaybeBarMap = Maybe<BarMap>;

// See vpd_bar_map() in core.h.  The checks follow vfio_pci_core_mmap():
//   index >= nr_regions                        -EINVAL
//   len == 0 or not page-aligned               -EINVAL (the VMA is empty/odd)
//   !shared                                    -EINVAL
//   index >= VPD_VFIO_NUM_REGIONS              DELEGATE
//   index >= ROM                               -EINVAL
//   !mmap_ok                                   -EINVAL
//   req_start + len overflows or exceeds
//   PAGE_ALIGN(bar len)                        -EINVAL
// then ours: MSI-X overlap when refused, a BAR address that is not
// page-aligned or whose mapping would overflow, -EINVAL.
[[nodiscard]] inline Result<MaybeBarMap> bar_map(const vpd_bar_desc *bars,
                                                 const vpd_bar_mmap_req &req) noexcept {
  const u64 index = req.vm_pgoff >> kRegionPgoffShift;
  if (index >= req.nr_regions)
    return error(Errno::kInval);
  const ByteLen len(req.len);
  if (len == ByteLen(0) || !is_page_aligned(len))
    return error(Errno::kInval);
  if (!req.shared)
    return error(Errno::kInval);
  if (index >= VPD_VFIO_NUM_REGIONS)
    return MaybeBarMap(none);
  if (index >= VPD_VFIO_ROM_REGION_INDEX)
    return error(Errno::kInval);
  const vpd_bar_desc &bar = bars[index];
  if (!bar.mmap_ok)
    return error(Errno::kInval);

  // pgoff < 2^28, so this cannot overflow.
  Preconditions pre;
  const BufOffset req_start =
      offset_after(pre.value(bytes_of(PageCount(req.vm_pgoff & kRegionPgoffMask))));
  if (!pre.held())
    return error(Errno::kInval);
  const Maybe<BufOffset> req_end = checked_add(req_start, len);
  // PAGE_ALIGN(len) overflowing means there is no such BAR.
  const Maybe<ByteLen> bar_len = page_align_up(ByteLen(bar.len));
  if (!req_end || !bar_len || *req_end > offset_after(*bar_len))
    return error(Errno::kInval);

  if (bar.msix_refuse && bar.msix_len != 0) {
    // [msix_offset, msix_offset + msix_len) meets [req_start, req_end)?
    const BufOffset msix_start(bar.msix_offset);
    const Maybe<BufOffset> msix_end = checked_add(msix_start, ByteLen(bar.msix_len));
    const bool ends_after_start = !msix_end || *msix_end > req_start;
    if (ends_after_start && msix_start < *req_end)
      return error(Errno::kInval);
  }

  const PhysAddr bar_phys(bar.phys_addr);
  if (!is_page_aligned(bar_phys))
    return error(Errno::kInval);
  const Maybe<PhysAddr> phys = checked_add(bar_phys, length_before(req_start));
  if (!phys || !checked_add(*phys, len))
    return error(Errno::kInval);

  BarMap out{};
  out.bar = static_cast<unsigned>(index);
  out.bar_offset = req_start.raw();
  out.range.phys_addr = phys->raw();
  out.range.len = len.raw();
  out.pgoff_adjust = req.vm_pgoff;
  return MaybeBarMap(out);
}

// See vpd_export_check_header() in core.h.
[[nodiscard]] inline Status export_check_header(const vpd_export_req &req,
                                                const vpd_bar_desc *bars) noexcept {
  if (req.flags != 0 || req.nr_ranges == 0)
    return error(Errno::kInval);
  if (req.nr_ranges > VPD_MAX_RANGES)
    return error(Errno::kTooBig);
  if (req.region_index >= VPD_VFIO_ROM_REGION_INDEX || bars[req.region_index].len == 0)
    return error(Errno::kNoDev);
  return ok();
}

// The largest total length upstream accepts: dma_iova_try_alloc() reserves
// bit 63 (DMA_IOVA_USE_SWIOTLB), so validate_dmabuf_input() rejects it.
inline constexpr u64 kExportLengthLimitBit = 1ULL << 63;

// See vpd_export_build() in core.h.  Two passes, as upstream:
// validate_dmabuf_input() (every range non-empty and page-aligned, total
// length without overflow and below 2^63: -EINVAL), then
// vfio_pci_core_fill_phys_vec() (BAR start + offset + length overflows:
// -EOVERFLOW; ends beyond the BAR: -EINVAL); then the table is built
// (merging physically contiguous neighbours).
[[nodiscard]] inline Status export_build(const vpd_export_req &req, const vpd_dma_range *ranges,
                                         const vpd_bar_desc *bars, vpd_table &t,
                                         unsigned capacity) noexcept {
  t.capacity = capacity;
  t.nr_segs = 0;
  t.total_len = 0;
  const Status hdr = export_check_header(req, bars);
  if (hdr.is_error())
    return hdr;

  ByteLen total(0);
  for (unsigned i = 0; i < req.nr_ranges; i++) {
    const BufOffset offset(ranges[i].offset);
    const ByteLen len(ranges[i].length);
    if (len == ByteLen(0) || !is_page_aligned(offset) || !is_page_aligned(len))
      return error(Errno::kInval);
    const Maybe<ByteLen> sum = checked_add(total, len);
    if (!sum)
      return error(Errno::kInval);
    total = *sum;
  }
  if (total.raw() & kExportLengthLimitBit)
    return error(Errno::kInval);

  const vpd_bar_desc &bar = bars[req.region_index];
  const PhysAddr bar_phys(bar.phys_addr);
  const ByteLen bar_len(bar.len);
  // bar_phys + offset + len is checked first, so neither offset + len nor
  // (below) bar_phys + offset can overflow: preconditions, checked.
  Preconditions pre;
  for (unsigned i = 0; i < req.nr_ranges; i++) {
    const BufOffset offset(ranges[i].offset);
    const ByteLen len(ranges[i].length);
    const Maybe<PhysAddr> phys = checked_add(bar_phys, length_before(offset));
    if (!phys || !checked_add(*phys, len))
      return error(Errno::kOverflow);
    if (pre.value(checked_add(offset, len)) > offset_after(bar_len))
      return error(Errno::kInval);
  }
  if (!pre.held())
    return error(Errno::kOverflow);

  Result<TableBuilder> b = TableBuilder::start(t, capacity, req.nr_ranges);
  if (b.is_error())
    return b.take_error();
  TableBuilder builder = *b;
  for (unsigned i = 0; i < req.nr_ranges; i++) {
    const Status s =
        builder.add(pre.value(checked_add(bar_phys, length_before(BufOffset(ranges[i].offset)))),
                    ByteLen(ranges[i].length));
    if (s.is_error())
      return s;
  }
  // Before finish(): on a broken precondition the table stays empty.
  if (!pre.held())
    return error(Errno::kOverflow);
  builder.finish();
  return ok();
}

// Config space registers whose writes may revoke BAR access (see
// vpd_cfg_write_peeks() in core.h): where the deciding byte lies relative to
// its register, and which bits of it matter.
inline constexpr unsigned kCfgCommand = 0x04;        // PCI_COMMAND
inline constexpr unsigned char kCommandMemory = 0x02;  // PCI_COMMAND_MEMORY
inline constexpr unsigned kPmCtrl = 0x04;            // PCI_PM_CTRL (PMCSR)
inline constexpr unsigned char kPmStateMask = 0x03;  // PCI_PM_CTRL_STATE_MASK
inline constexpr unsigned kExpDevCtlHigh = 0x09;     // PCI_EXP_DEVCTL + 1
inline constexpr unsigned char kExpFlrHigh = 0x80;   // PCI_EXP_DEVCTL_BCR_FLR >> 8
inline constexpr unsigned kAfCtrl = 0x05;            // PCI_AF_CTRL
inline constexpr unsigned char kAfFlr = 0x01;        // PCI_AF_CTRL_FLR
// PCI_CFG_SPACE_EXP_SIZE: no config write reaches a byte at or past it.
inline constexpr u64 kCfgSpaceSize = 4096;

// See vpd_cfg_write_peeks() in core.h.  Returns the number of peeks.
[[nodiscard]] inline unsigned cfg_write_peeks(const vpd_cfg_caps &caps, u64 pos, u64 count,
                                              vpd_cfg_peek (&out)[VPD_CFG_MAX_PEEKS]) noexcept {
  struct Reg {
    u64 offset;
    unsigned char mask;
    unsigned char revoke_if_clear;
  };
  // In increasing offset: command, then the capabilities sorted below.
  Reg regs[VPD_CFG_MAX_PEEKS] = {};
  unsigned n = 0;
  regs[n++] = Reg{kCfgCommand, kCommandMemory, 1};
  if (caps.pm_cap)
    regs[n++] = Reg{u64{caps.pm_cap} + kPmCtrl, kPmStateMask, 0};
  if (caps.exp_cap)
    regs[n++] = Reg{u64{caps.exp_cap} + kExpDevCtlHigh, kExpFlrHigh, 0};
  if (caps.af_cap)
    regs[n++] = Reg{u64{caps.af_cap} + kAfCtrl, kAfFlr, 0};
  // Insertion sort: capability offsets come in any order.
  for (unsigned i = 1; i < n; i++)
    for (unsigned j = i; j > 0 && regs[j].offset < regs[j - 1].offset; j--) {
      const Reg tmp = regs[j];
      regs[j] = regs[j - 1];
      regs[j - 1] = tmp;
    }

  unsigned found = 0;
  for (unsigned i = 0; i < n; i++) {
    // A register outside config space (a capability offset no device can
    // have) is never written.  Skipping it also bounds every peek's
    // buf_offset below kCfgSpaceSize, so the unsigned field is exact for
    // any pos and count.
    if (regs[i].offset >= kCfgSpaceSize)
      continue;
    // The byte at regs[i].offset is written when pos <= offset < pos + count
    // (written without overflow: count may be anything).
    if (regs[i].offset < pos || regs[i].offset - pos >= count)
      continue;
    out[found++] = vpd_cfg_peek{static_cast<unsigned>(regs[i].offset - pos), regs[i].mask,
                                regs[i].revoke_if_clear};
  }
  return found;
}

[[nodiscard]] constexpr bool cfg_peek_revokes(const vpd_cfg_peek &p, unsigned char byte) noexcept {
  const bool set = (byte & p.mask) != 0;
  return p.revoke_if_clear ? !set : set;
}

}  // namespace vpd

#endif  // VPD_CORE_VFIO_HPP
