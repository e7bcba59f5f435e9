// SPDX-License-Identifier: GPL-2.0
/*
 * vpd_find_pfn()'s contract implemented the straightforward way: validate the
 * geometry, then walk the segments from the first one until the one holding
 * the page's first byte.  O(nr_segs).
 */
#include "linear.h"

int vpd_linear_find_pfn(const struct vpd_table *t, const struct vpd_vma_geom *g,
			unsigned long long fault_addr, unsigned int order,
			unsigned long long *pfn)
{
	const unsigned long long page_mask = VPD_PAGE_SIZE - 1;
	unsigned long long start = g->start_addr, end = g->end_addr;
	unsigned long long pages, base, tmp, size, va, first;
	unsigned int i;

	if (order > VPD_MAX_ORDER)
		return -VPD_EINVAL;
	if (start >= end || ((start | end) & page_mask) || g->pgoff < g->pgoff_adjust)
		return -VPD_EINVAL;
	pages = g->pgoff - g->pgoff_adjust;
	if (pages >> (64 - VPD_PAGE_SHIFT))
		return -VPD_EINVAL;
	base = pages << VPD_PAGE_SHIFT;
	if (__builtin_add_overflow(base, end - start, &tmp))
		return -VPD_EINVAL;
	if (fault_addr < start || fault_addr >= end)
		return -VPD_EFAULT;
	if (base + (fault_addr - start) >= t->total_len)
		return -VPD_EFAULT;

	size = VPD_PAGE_SIZE << order;
	va = fault_addr & ~(size - 1);
	if (va < start || __builtin_add_overflow(va, size, &tmp) || tmp > end)
		return VPD_FALLBACK;
	first = base + (va - start);
	if (first + size > t->total_len)
		return VPD_FALLBACK;

	for (i = 0; i < t->nr_segs; i++) {
		const struct vpd_seg *s = &t->segs[i];
		unsigned long long p;

		if (first - s->buf_offset >= s->len)
			continue;
		if (first + size > s->buf_offset + s->len)
			return VPD_FALLBACK;
		p = (s->phys_addr + (first - s->buf_offset)) >> VPD_PAGE_SHIFT;
		if (p & ((1ULL << order) - 1))
			return VPD_FALLBACK;
		*pfn = p;
		return 0;
	}
	return -VPD_EFAULT;	/* not reached: first < total_len */
}
