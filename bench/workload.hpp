// SPDX-License-Identifier: GPL-2.0
//
// The benchmark's workload: a table of N ranges (random lengths of 1..32
// pages, scattered physically so that none merge) mapped by one VMA, and
// fault addresses spread uniformly over the whole buffer.  Fixed seed.

#ifndef VPD_BENCH_WORKLOAD_HPP
#define VPD_BENCH_WORKLOAD_HPP

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "vfio_pci_dmabuf/core.h"

namespace vpd_bench {

struct Workload {
  std::unique_ptr<unsigned char[]> storage;
  vpd_table *table = nullptr;
  vpd_vma_geom geom{};
  std::vector<unsigned long long> addrs;
};

inline Workload make_workload(unsigned nr_ranges, size_t nr_addrs, uint64_t seed = 0x5eed) {
  std::mt19937_64 rng(seed);
  Workload w;
  w.storage.reset(new unsigned char[sizeof(vpd_table) + nr_ranges * sizeof(vpd_seg)]);
  w.table = reinterpret_cast<vpd_table *>(w.storage.get());

  // Slot i of 64 pages holds range perm[i]: lengths <= 32 pages never touch.
  std::vector<unsigned> perm(nr_ranges);
  for (unsigned i = 0; i < nr_ranges; i++)
    perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<vpd_phys_range> ranges(nr_ranges);
  for (unsigned i = 0; i < nr_ranges; i++) {
    ranges[i].phys_addr = 0x100000000ULL + perm[i] * 64ULL * VPD_PAGE_SIZE;
    ranges[i].len = (1 + rng() % 32) * VPD_PAGE_SIZE;
  }
  if (vpd_table_init(w.table, nr_ranges, ranges.data(), nr_ranges) != 0 ||
      w.table->nr_segs != nr_ranges)
    std::abort();

  w.geom.start_addr = 0x7f0000000000ULL;
  w.geom.end_addr = w.geom.start_addr + w.table->total_len;
  w.geom.pgoff = 0;
  w.geom.pgoff_adjust = 0;
  w.addrs.resize(nr_addrs);
  for (auto &a : w.addrs)
    a = w.geom.start_addr + rng() % w.table->total_len;
  return w;
}

}  // namespace vpd_bench

#endif  // VPD_BENCH_WORKLOAD_HPP
