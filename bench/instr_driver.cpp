// SPDX-License-Identifier: GPL-2.0
//
// Runs `lookups` order-0 lookups of one implementation over the workload of
// `ranges` ranges.  Meant to run under
//   valgrind --tool=callgrind --toggle-collect=<the implementation's symbol>
// so that only the instructions executed inside the lookup function are
// counted (table setup, address generation and the loop are not).
//
// usage: instr_driver ours|linear RANGES LOOKUPS

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "linear.h"
#include "workload.hpp"

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ours|linear RANGES LOOKUPS\n", argv[0]);
    return 2;
  }
  const bool ours = std::strcmp(argv[1], "ours") == 0;
  if (!ours && std::strcmp(argv[1], "linear") != 0)
    return 2;
  const unsigned ranges = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 0));
  const size_t lookups = std::strtoul(argv[3], nullptr, 0);
  vpd_bench::Workload w = vpd_bench::make_workload(ranges, lookups);

  unsigned long long sum = 0;
  for (size_t i = 0; i < lookups; i++) {
    unsigned long long pfn = 0;
    const int r = ours ? vpd_find_pfn(w.table, &w.geom, w.addrs[i], 0, &pfn)
                       : vpd_linear_find_pfn(w.table, &w.geom, w.addrs[i], 0, &pfn);
    if (r != 0)
      std::abort();
    sum += pfn;
  }
  std::printf("%llu\n", sum);
  return 0;
}
