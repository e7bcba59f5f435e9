// SPDX-License-Identifier: GPL-2.0
//
// Wall-clock cost of one order-0 lookup: ours (binary search) vs the linear
// walk, over the same workload.

#include <benchmark/benchmark.h>

#include "linear.h"
#include "workload.hpp"

namespace {

constexpr size_t kAddrs = 1 << 14;  // a power of two

template <int (*Find)(const vpd_table *, const vpd_vma_geom *, unsigned long long, unsigned int,
                      unsigned long long *)>
void BM_find_pfn(benchmark::State &state) {
  vpd_bench::Workload w = vpd_bench::make_workload(static_cast<unsigned>(state.range(0)), kAddrs);
  size_t i = 0;
  for (auto _ : state) {
    unsigned long long pfn = 0;
    const int r = Find(w.table, &w.geom, w.addrs[i++ & (kAddrs - 1)], 0, &pfn);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(pfn);
  }
  state.SetItemsProcessed(state.iterations());
}

void ranges_args(benchmark::internal::Benchmark *b) {
  for (int n : {1, 4, 64, 1024, 4096})
    b->Arg(n);
}

BENCHMARK(BM_find_pfn<vpd_find_pfn>)->Name("ours")->Apply(ranges_args);
BENCHMARK(BM_find_pfn<vpd_linear_find_pfn>)->Name("linear")->Apply(ranges_args);

}  // namespace

BENCHMARK_MAIN();
