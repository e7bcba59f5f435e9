/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A linear-walk implementation of vpd_find_pfn()'s contract (the shape of
 * the upstream lookup), for the benchmark and as a second oracle for the
 * fuzzer.  Not part of the module.
 */
#ifndef VPD_BENCH_LINEAR_H
#define VPD_BENCH_LINEAR_H

#include "vfio_pci_dmabuf/core.h"

#ifdef __cplusplus
extern "C" {
#endif

int vpd_linear_find_pfn(const struct vpd_table *t, const struct vpd_vma_geom *g,
			unsigned long long fault_addr, unsigned int order,
			unsigned long long *pfn);

#ifdef __cplusplus
}
#endif

#endif /* VPD_BENCH_LINEAR_H */
