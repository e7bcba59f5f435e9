// SPDX-License-Identifier: GPL-2.0
//
// The core of vfio-pci-dmabuf: the single C++ translation unit (a unity
// file, see Documentation/core.rst) implementing the C ABI of
// include/vfio_pci_dmabuf/core.h.
//
// Built freestanding for the kernel (VPD_IN_KERNEL) and hosted for the unit
// tests, the fuzzer and the benchmark.  No exceptions, RTTI, allocation,
// global constructors, virtual functions or floating point.

#ifdef VPD_IN_KERNEL
#include "kernel_rt.inc"
#endif

#include "vfio_pci_dmabuf/core.h"

#include "lookup.hpp"
#include "result.hpp"
#include "table.hpp"
#include "types.hpp"
#include "vfio.hpp"

namespace vpd {
namespace {

// The ABI value of a lookup: 0, VPD_FALLBACK or -errno.
template <class T>
int to_lookup_ret(const Result<Maybe<T>> &r, int fallback) noexcept {
  if (r.is_error())
    return to_ret(r.error_value());
  return r->has_value() ? 0 : fallback;
}

}  // namespace
}  // namespace vpd

extern "C" {

int vpd_table_init(struct vpd_table *t, unsigned int capacity,
                   const struct vpd_phys_range *ranges, unsigned int nr) {
  using namespace vpd;
  Result<TableBuilder> b = TableBuilder::start(*t, capacity, nr);
  if (b.is_error())
    return to_ret(b.error_value());
  TableBuilder builder = *b;
  for (unsigned int i = 0; i < nr; i++) {
    const Status s = builder.add(PhysAddr(ranges[i].phys_addr), ByteLen(ranges[i].len));
    if (s.is_error())
      return to_ret(s);
  }
  builder.finish();
  return 0;
}

int vpd_find_pfn(const struct vpd_table *t, const struct vpd_vma_geom *g,
                 unsigned long long fault_addr, unsigned int order, unsigned long long *pfn) {
  using namespace vpd;
  const Result<MaybePfn> r = find_pfn(*t, *g, VirtAddr(fault_addr), order);
  if (r.is_ok() && r->has_value())
    *pfn = (*r)->raw();
  return to_lookup_ret(r, VPD_FALLBACK);
}

int vpd_fault_around(const struct vpd_table *t, const struct vpd_vma_geom *g,
                     unsigned long long fault_addr, struct vpd_run *run) {
  using namespace vpd;
  const Result<Run> r = fault_around(*t, *g, VirtAddr(fault_addr));
  if (r.is_error())
    return to_ret(r.error_value());
  run->start_addr = r->start.raw();
  run->pfn = r->pfn.raw();
  run->nr_pages = r->pages.raw();
  return 0;
}

int vpd_bar_map(const struct vpd_bar_desc *bars, const struct vpd_bar_mmap_req *req,
                struct vpd_bar_map *out) {
  using namespace vpd;
  const Result<MaybeBarMap> r = bar_map(bars, *req);
  if (r.is_ok() && r->has_value())
    *out = **r;
  return to_lookup_ret(r, VPD_DELEGATE);
}

int vpd_export_check_header(const struct vpd_export_req *req, const struct vpd_bar_desc *bars) {
  return vpd::to_ret(vpd::export_check_header(*req, bars));
}

int vpd_export_build(const struct vpd_export_req *req, const struct vpd_dma_range *ranges,
                     const struct vpd_bar_desc *bars, struct vpd_table *t,
                     unsigned int capacity) {
  return vpd::to_ret(vpd::export_build(*req, ranges, bars, *t, capacity));
}

unsigned int vpd_cfg_write_peeks(const struct vpd_cfg_caps *caps, unsigned long long pos,
                                 unsigned long long count, struct vpd_cfg_peek *peeks) {
  vpd_cfg_peek out[VPD_CFG_MAX_PEEKS];
  const unsigned n = vpd::cfg_write_peeks(*caps, pos, count, out);
  for (unsigned i = 0; i < n; i++)
    peeks[i] = out[i];
  return n;
}

int vpd_cfg_peek_revokes(const struct vpd_cfg_peek *p, unsigned char byte) {
  return vpd::cfg_peek_revokes(*p, byte) ? 1 : 0;
}

}  // extern "C"
