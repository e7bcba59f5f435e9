// SPDX-License-Identifier: GPL-2.0
/*
 * Bad inputs and their errors, side by side with vfio-pci: one table of
 * cases, each an operation on a BAR mapping (or an exported DMABUF, or the
 * device fd) with the result expected from our driver and from vfio-pci,
 * per kernel where the kernels legitimately differ.  The same table is in
 * Documentation/uapi.rst, "Bad inputs and their errors".
 *
 * Results: 0 (the call succeeded and what it did checked out), an errno,
 * SIG(n) (the access raised signal n), N/A (the driver does not offer the
 * operation: the row is not run), "not run" (the kernel WARNs on it with
 * this driver: recorded in uapi.rst).  A row whose call gave the expected
 * result but left the mapping wrong reports DATA (content), STATE
 * (entries, counts) or NOREVOKE (an access succeeded while the device's
 * memory was off); a failed precondition (the control of the row) reports
 * CTRL.  Rows that need madvise(2) are skipped on kernels built without it
 * (the debug kernels: CONFIG_ADVISE_SYSCALLS is off).
 *
 * get_user_pages() of every kind runs on three geometries: a 4 KiB
 * mapping, a 2 MiB-aligned 2 MiB mapping (one PMD where the kernel has huge
 * PFN maps, 6.12+) and a 1 GiB-aligned 1 GiB mapping of the 1 GiB BAR (one
 * PUD; ours only, vfio-pci has no such device here).  The mapping is
 * populated first, its entry level read back from the page tables where
 * debugfs shows them, and every refusal must leave the entry in place (no
 * fault on the next touch).  The syscalls reach GUP-fast
 * (get/pin_user_pages_fast: O_DIRECT, vmsplice, futex, io_uring) or only the
 * slow walk (process_vm_readv/writev, /proc/pid/mem, MADV_POPULATE_*).
 */
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "vpd_export.h"
#include "kselftest_harness.h"

#define SZ_4K	0x1000UL
#define SZ_1M	0x100000UL
#define SZ_2M	0x200000UL
#define SZ_4M	0x400000UL
#define SZ_64M	0x4000000UL
#define SZ_1G	0x40000000UL
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#endif

/* --- results --------------------------------------------------------------- */

#define SIG(n)		(1000 + (n))
#define R_NA		(-1)	/* not offered by the driver: not run */
#define R_CTRL		2000	/* a precondition of the row failed */
#define R_DATA		2001	/* expected result, wrong content afterwards */
#define R_STATE		2002	/* expected result, wrong entries/counts afterwards */
#define R_NOREVOKE	2003	/* an access succeeded while the device's memory was off */
#define R_NOTRUN	(-2)	/* not run: the kernel WARNs (see uapi.rst) */

static const char *res_str(int r, char *buf, size_t len)
{
	if (r == 0)
		snprintf(buf, len, "0");
	else if (r == R_NA)
		snprintf(buf, len, "N/A");
	else if (r == R_CTRL)
		snprintf(buf, len, "CTRL");
	else if (r == R_DATA)
		snprintf(buf, len, "DATA");
	else if (r == R_STATE)
		snprintf(buf, len, "STATE");
	else if (r == R_NOREVOKE)
		snprintf(buf, len, "NOREVOKE");
	else if (r == R_NOTRUN)
		snprintf(buf, len, "not run");
	else if (r > 1000 && r < 1100)
		snprintf(buf, len, "SIG%s", sigabbrev_np(r - 1000) ?: "?");
	else
		snprintf(buf, len, "%s", strerrorname_np(r) ?: "E?");
	return buf;
}

/* The errno of a failed call, 0 if it succeeded. */
#define ERR(call)	((call) < 0 ? errno : 0)
#define MERR(p)		((p) == MAP_FAILED ? errno : 0)

/* --- context ----------------------------------------------------------------- */

struct bctx {
	struct vpd_dev dev;
	struct vfio_region_info bar;	/* BAR2 */
	int ours;
	int kver;
	int has_madvise;		/* debug kernels: CONFIG_ADVISE_SYSCALLS off */
	const char *twin_role;		/* the other device of the pair */
	/* GUP rows: the populated mapping under test, and the address used */
	uint8_t *gmap;
	size_t glen;
	uint8_t *gaddr;
};

static uint8_t *bar_map(struct bctx *c, uint64_t off, size_t len, size_t align,
			size_t skew, int prot)
{
	return vpd_mmap_at(c->dev.fd, c->bar.offset + off, len, align, skew, prot, MAP_SHARED);
}

/* Fill BAR [off, off + len) through a temporary mapping with pattern @seed. */
static int bar_fill(struct bctx *c, uint64_t off, size_t len, uint64_t seed)
{
	uint8_t *p = bar_map(c, off, len, SZ_4K, 0, PROT_READ | PROT_WRITE);

	if (p == MAP_FAILED)
		return -1;
	vpd_fill((uint64_t *)p, len, seed);
	munmap(p, len);
	return 0;
}

/* Whether [p, p + len) holds pattern @seed from word @first on. */
static int holds(const uint8_t *p, size_t len, uint64_t seed, uint64_t first)
{
	for (size_t i = 0; i < len / 8; i += 61)
		if (((const volatile uint64_t *)p)[i] != vpd_pattern(seed, first + i))
			return 0;
	return ((const volatile uint64_t *)p)[len / 8 - 1] ==
	       vpd_pattern(seed, first + len / 8 - 1);
}

static int read_sig(void *p)
{
	uint64_t v;

	return vpd_touch((volatile uint64_t *)p, 0, &v);
}

static int write_sig(void *p, uint64_t v)
{
	return vpd_touch((volatile uint64_t *)p, 1, &v);
}

/* Export BAR2 [off, off + len) with @open_flags: the fd or -errno. */
static int export_one(struct bctx *c, uint64_t off, uint64_t len, uint32_t open_flags)
{
	struct vfio_region_dma_range r = { .offset = off, .length = len };

	return vpd_export_raw(c->dev.fd, VFIO_DEVICE_FEATURE_GET, 2, open_flags, 0, 1, &r, 1);
}

/* --- mmap -------------------------------------------------------------------- */

static int r_mmap_unaligned_offset(struct bctx *c, long arg)
{
	void *p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, c->dev.fd,
		       c->bar.offset + 8);
	int e = MERR(p);

	if (!e)
		munmap(p, SZ_4K);
	return e;
}

static int r_mmap_len0(struct bctx *c, long arg)
{
	void *p = mmap(NULL, 0, PROT_READ | PROT_WRITE, MAP_SHARED, c->dev.fd, c->bar.offset);

	return MERR(p);
}

/* A page offset so large that offset + length wraps (raw syscall: no libc checks). */
static int r_mmap_pgoff_wraps(struct bctx *c, long arg)
{
	long p = syscall(SYS_mmap, NULL, 2 * SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED,
			 c->dev.fd, 0xfffffffffffff000UL);

	if (p == -1)
		return errno;
	munmap((void *)p, 2 * SZ_4K);
	return 0;
}

/* mmap with extra @arg flags (MAP_SHARED_VALIDATE | MAP_SYNC, MAP_GROWSDOWN, ...). */
static int r_mmap_flags(struct bctx *c, long arg)
{
	void *p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, arg, c->dev.fd, c->bar.offset);
	int e = MERR(p);

	if (!e)
		munmap(p, SZ_2M);
	return e;
}

static int r_mmap_exec(struct bctx *c, long arg)
{
	void *p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED,
		       c->dev.fd, c->bar.offset);
	int e = MERR(p);

	if (!e)
		munmap(p, SZ_2M);
	return e;
}

/* MAP_POPULATE cannot populate a PFN map: the first touch still faults. */
static int r_mmap_populate(struct bctx *c, long arg)
{
	uint8_t *p = vpd_mmap_at(c->dev.fd, c->bar.offset, SZ_2M, SZ_2M, 0,
				 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE);
	long f;

	if (p == MAP_FAILED)
		return errno;
	f = vpd_touch_all(p, SZ_4K);
	munmap(p, SZ_2M);
	return f == 1 ? 0 : R_STATE;
}

static int r_mmap_fixed_noreplace(struct bctx *c, long arg)
{
	uint8_t *a, *p;
	int e;

	if (bar_fill(c, 0, SZ_2M, 0x4e01))
		return R_CTRL;
	a = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	if (a == MAP_FAILED)
		return R_CTRL;
	p = mmap(a, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE,
		 c->dev.fd, c->bar.offset + SZ_4M);
	e = MERR(p);
	if (!e)
		e = R_STATE;
	else if (!holds(a, SZ_2M, 0x4e01, 0))
		e = R_DATA;
	munmap(a, SZ_2M);
	return e;
}

/* MAP_FIXED of another BAR offset over a live, populated mapping. */
static int r_mmap_fixed_replace(struct bctx *c, long arg)
{
	uint8_t *a, *p;
	int e;

	if (bar_fill(c, 0, SZ_2M, 0xf1) || bar_fill(c, SZ_4M, SZ_2M, 0xf2))
		return R_CTRL;
	a = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	if (a == MAP_FAILED || !holds(a, SZ_2M, 0xf1, 0))
		return R_CTRL;
	p = mmap(a, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, c->dev.fd,
		 c->bar.offset + SZ_4M);
	e = MERR(p);
	if (!e && (p != a || !holds(a, SZ_2M, 0xf2, 0)))
		e = R_DATA;
	munmap(a, SZ_2M);
	return e;
}

/*
 * Anonymous MAP_FIXED over the middle 2 MiB of a populated 6 MiB mapping:
 * the outer parts keep their content and are still revoked (memory decode
 * off raises SIGBUS there, not in the anonymous middle).
 */
static int r_mmap_fixed_anon_middle(struct bctx *c, long arg)
{
	uint8_t *a, *p;
	int e = 0;

	if (bar_fill(c, 0, 3 * SZ_2M, 0xa0))
		return R_CTRL;
	a = bar_map(c, 0, 3 * SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	if (a == MAP_FAILED)
		return R_CTRL;
	vpd_touch_all(a, 3 * SZ_2M);
	p = mmap(a + SZ_2M, SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	e = MERR(p);
	if (e)
		goto out;
	if (!holds(a, SZ_2M, 0xa0, 0) || !holds(a + 2 * SZ_2M, SZ_2M, 0xa0, 2 * SZ_2M / 8) ||
	    ((volatile uint64_t *)(a + SZ_2M))[5] != 0) {
		e = R_DATA;
		goto out;
	}
	if (vpd_set_mem_decode(&c->dev, 0))
		return R_CTRL;
	if (read_sig(a) != SIGBUS || read_sig(a + 3 * SZ_2M - 8) != SIGBUS)
		e = R_NOREVOKE;
	else if (read_sig(a + SZ_2M) != 0)
		e = R_STATE;
	if (vpd_set_mem_decode(&c->dev, 1))
		e = R_CTRL;
out:
	munmap(a, 3 * SZ_2M);
	return e;
}

/* --- mprotect ------------------------------------------------------------------ */

static int r_write_read_only(struct bctx *c, long arg)
{
	uint8_t *p = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ);
	int s;

	if (p == MAP_FAILED)
		return R_CTRL;
	s = write_sig(p + 64, 1);
	munmap(p, SZ_2M);
	return s ? SIG(s) : 0;
}

static int r_mprotect_exec(struct bctx *c, long arg)
{
	uint8_t *p = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	int e;

	if (p == MAP_FAILED)
		return R_CTRL;
	e = ERR(mprotect(p, SZ_2M, PROT_READ | PROT_WRITE | PROT_EXEC));
	munmap(p, SZ_2M);
	return e;
}

/* PROT_NONE: an access raises SIGSEGV; read-write again: the data is intact. */
static int r_mprotect_none(struct bctx *c, long arg)
{
	uint8_t *p;
	int s;

	if (bar_fill(c, 0, SZ_2M, 0x90))
		return R_CTRL;
	p = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return R_CTRL;
	vpd_touch_all(p, SZ_2M);
	if (mprotect(p, SZ_2M, PROT_NONE)) {
		s = errno;
		munmap(p, SZ_2M);
		return s;
	}
	s = read_sig(p + SZ_1M);
	if (mprotect(p, SZ_2M, PROT_READ | PROT_WRITE) || !holds(p, SZ_2M, 0x90, 0))
		s = -R_DATA;
	munmap(p, SZ_2M);
	return s < 0 ? R_DATA : s ? SIG(s) : 0;
}

/*
 * Read-only second half of a populated (PMD on 6.12+) 2 MiB mapping: the
 * VMA splits inside the huge entry; both halves read right, the first is
 * still writable, a write to the second raises SIGSEGV.
 */
static int r_mprotect_half_pmd(struct bctx *c, long arg)
{
	uint8_t *p;
	int e;

	if (bar_fill(c, 0, SZ_2M, 0x91))
		return R_CTRL;
	p = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return R_CTRL;
	vpd_touch_all(p, SZ_2M);
	e = ERR(mprotect(p + SZ_1M, SZ_1M, PROT_READ));
	if (e)
		goto out;
	if (!holds(p, SZ_2M, 0x91, 0))
		e = R_DATA;
	else if (write_sig(p + 8, vpd_pattern(0x91, 1)) != 0 ||
		 write_sig(p + SZ_1M + 8, 0) != SIGSEGV)
		e = R_STATE;
out:
	munmap(p, SZ_2M);
	return e;
}

/* PROT_WRITE on the mapping of an export opened O_RDONLY (ours: exports map). */
static int r_mprotect_write_ro_export(struct bctx *c, long arg)
{
	int fd = export_one(c, 0, SZ_2M, O_RDONLY | O_CLOEXEC), e;
	void *p;

	if (fd < 0)
		return R_CTRL;
	p = mmap(NULL, SZ_2M, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return R_CTRL;
	}
	e = ERR(mprotect(p, SZ_2M, PROT_READ | PROT_WRITE));
	munmap(p, SZ_2M);
	close(fd);
	return e;
}

/* --- mremap -------------------------------------------------------------------- */

static int r_mremap_grow(struct bctx *c, long arg)
{
	uint8_t *p = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	void *q;
	int e;

	if (p == MAP_FAILED)
		return R_CTRL;
	q = mremap(p, SZ_2M, 2 * SZ_2M, arg);
	e = MERR(q);
	munmap(e ? p : q, e ? SZ_2M : 2 * SZ_2M);
	return e;
}

static int r_mremap_dontunmap(struct bctx *c, long arg)
{
	uint8_t *p = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	void *q;
	int e;

	if (p == MAP_FAILED)
		return R_CTRL;
	q = mremap(p, SZ_2M, SZ_2M, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	e = MERR(q);
	if (!e)
		munmap(q, SZ_2M);
	munmap(p, SZ_2M);
	return e;
}

/*
 * Move a populated 2 MiB mapping to a free address @arg bytes past a 2 MiB
 * boundary: the content follows, and a revocation (memory decode off)
 * reaches the moved mapping.
 */
static int r_mremap_move(struct bctx *c, long arg)
{
	uint8_t *p, *res, *dst;
	void *q;
	int e = 0;

	if (bar_fill(c, 0, SZ_2M, 0x3e))
		return R_CTRL;
	p = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return R_CTRL;
	vpd_touch_all(p, SZ_2M);
	res = mmap(NULL, 3 * SZ_2M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		munmap(p, SZ_2M);
		return R_CTRL;
	}
	dst = (uint8_t *)(((uintptr_t)res + SZ_2M - 1) & ~(SZ_2M - 1)) + arg;
	q = mremap(p, SZ_2M, SZ_2M, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	e = MERR(q);
	if (e) {
		munmap(p, SZ_2M);
		goto out;
	}
	if (q != dst || !holds(dst, SZ_2M, 0x3e, 0)) {
		e = R_DATA;
		goto out;
	}
	if (vpd_set_mem_decode(&c->dev, 0))
		return R_CTRL;
	if (read_sig(dst) != SIGBUS || read_sig(dst + SZ_2M - 8) != SIGBUS)
		e = R_NOREVOKE;
	if (vpd_set_mem_decode(&c->dev, 1))
		e = R_CTRL;
	if (!e && !holds(dst, SZ_2M, 0x3e, 0))
		e = R_DATA;
out:
	munmap(res, 3 * SZ_2M);
	return e;
}

static int r_mremap_shrink(struct bctx *c, long arg)
{
	uint8_t *p;
	void *q;
	int e;

	if (bar_fill(c, 0, SZ_4M, 0x5b))
		return R_CTRL;
	p = bar_map(c, 0, SZ_4M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return R_CTRL;
	vpd_touch_all(p, SZ_4M);
	q = mremap(p, SZ_4M, SZ_2M, 0);
	e = MERR(q);
	if (e) {
		munmap(p, SZ_4M);
		return e;
	}
	if (q != p || !holds(p, SZ_2M, 0x5b, 0))
		e = R_DATA;
	else if (read_sig(p + SZ_2M) != SIGSEGV)
		e = R_STATE;
	munmap(p, SZ_2M);
	return e;
}

/* --- madvise ------------------------------------------------------------------- */

/* madvise(@arg) on a populated mapping; the mapping keeps its content. */
static int r_madvise(struct bctx *c, long arg)
{
	uint8_t *p;
	int e;

	if (bar_fill(c, 0, SZ_2M, 0xad))
		return R_CTRL;
	p = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return R_CTRL;
	vpd_touch_all(p, SZ_2M);
	e = ERR(madvise(p, SZ_2M, arg));
	if (read_sig(p) != 0 || !holds(p, SZ_2M, 0xad, 0))
		e = R_DATA;
	munmap(p, SZ_2M);
	return e;
}

/* --- fork ---------------------------------------------------------------------- */

/* A child of a populated (PMD on 6.12+) mapping reads and writes it. */
static int r_fork_access(struct bctx *c, long arg)
{
	uint8_t *p;
	int status, e = 0;
	pid_t pid;

	if (bar_fill(c, 0, SZ_2M, 0xf0))
		return R_CTRL;
	p = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	if (p == MAP_FAILED)
		return R_CTRL;
	vpd_touch_all(p, SZ_2M);
	pid = fork();
	if (pid < 0) {
		munmap(p, SZ_2M);
		return R_CTRL;
	}
	if (pid == 0) {
		int s = read_sig(p);

		if (s)
			_exit(100 + s);
		if (!holds(p, SZ_2M, 0xf0, 0))
			_exit(2);
		((volatile uint64_t *)p)[9] = 0xc41d;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status))
		e = R_STATE;
	else if (WEXITSTATUS(status) > 100)
		e = SIG(WEXITSTATUS(status) - 100);
	else if (WEXITSTATUS(status))
		e = R_DATA;
	else if (((volatile uint64_t *)p)[9] != 0xc41d)
		e = R_DATA;
	munmap(p, SZ_2M);
	return e;
}

/* MADV_DONTFORK: the child has no mapping there (SIGSEGV). */
static int r_fork_dontfork(struct bctx *c, long arg)
{
	uint8_t *p = bar_map(c, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE);
	int status, e;
	pid_t pid;

	if (p == MAP_FAILED)
		return R_CTRL;
	vpd_touch_all(p, SZ_2M);
	e = ERR(madvise(p, SZ_2M, MADV_DONTFORK));
	if (e) {
		munmap(p, SZ_2M);
		return e;
	}
	pid = fork();
	if (pid < 0) {
		munmap(p, SZ_2M);
		return R_CTRL;
	}
	if (pid == 0)
		_exit(100 + read_sig(p));
	waitpid(pid, &status, 0);
	munmap(p, SZ_2M);
	if (!WIFEXITED(status) || WEXITSTATUS(status) < 100)
		return R_STATE;
	return WEXITSTATUS(status) == 100 ? 0 : SIG(WEXITSTATUS(status) - 100);
}

/* --- get_user_pages() ------------------------------------------------------------ */

enum gup_kind {
	GUP_ODIRECT_WRITE, GUP_ODIRECT_READ, GUP_PVM_READ, GUP_PVM_WRITE, GUP_VMSPLICE,
	GUP_FUTEX, GUP_FUTEX_PRIVATE, GUP_IO_URING, GUP_PROC_MEM, GUP_POPULATE_READ,
	GUP_POPULATE_WRITE,
};

static int gup_odirect(uint8_t *addr, int write)
{
	void *buf;
	int fd, e;

	fd = open("/dev/ram0", O_RDWR | O_DIRECT);
	if (fd < 0)
		return R_CTRL;
	/* The same I/O from ordinary memory works. */
	if (posix_memalign(&buf, SZ_4K, SZ_4K) ||
	    pwrite(fd, buf, SZ_4K, 0) != (ssize_t)SZ_4K) {
		close(fd);
		return R_CTRL;
	}
	free(buf);
	e = write ? ERR(pwrite(fd, addr, SZ_4K, 0)) : ERR(pread(fd, addr, SZ_4K, 0));
	close(fd);
	return e;
}

static int gup_io_uring(uint8_t *addr)
{
	struct io_uring_params params = { 0 };
	struct iovec iov = { .iov_len = SZ_4K };
	static uint8_t anon[SZ_4K] __attribute__((aligned(4096)));
	int fd, e;

	fd = syscall(__NR_io_uring_setup, 4, &params);
	if (fd < 0)
		return R_CTRL;
	/* Ordinary memory registers. */
	iov.iov_base = anon;
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1) ||
	    syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0)) {
		close(fd);
		return R_CTRL;
	}
	iov.iov_base = addr;
	e = ERR(syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1));
	close(fd);
	return e;
}

static int r_gup(struct bctx *c, long kind)
{
	uint8_t *a = c->gaddr, buf[64] = { 0 };
	struct iovec local = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct iovec remote = { .iov_base = a, .iov_len = sizeof(buf) };
	int e = R_CTRL, fd, pipefd[2];
	uint32_t v;
	long f;

	switch (kind) {
	case GUP_ODIRECT_WRITE:
	case GUP_ODIRECT_READ:
		e = gup_odirect(a, kind == GUP_ODIRECT_WRITE);
		break;
	case GUP_PVM_READ:
		e = ERR(process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
		break;
	case GUP_PVM_WRITE:
		e = ERR(process_vm_writev(getpid(), &local, 1, &remote, 1, 0));
		break;
	case GUP_VMSPLICE:
		if (pipe(pipefd))
			return R_CTRL;
		local.iov_base = a;
		local.iov_len = SZ_4K;
		e = ERR(vmsplice(pipefd[1], &local, 1, 0));
		close(pipefd[0]);
		close(pipefd[1]);
		break;
	case GUP_FUTEX:
	case GUP_FUTEX_PRIVATE:
		/* A wrong expected value: EAGAIN once the futex is keyed. */
		v = *(volatile uint32_t *)a;
		e = ERR(syscall(SYS_futex, (uint32_t *)a,
				kind == GUP_FUTEX ? FUTEX_WAIT : FUTEX_WAIT_PRIVATE,
				v + 1, NULL, NULL, 0));
		break;
	case GUP_IO_URING:
		e = gup_io_uring(a);
		break;
	case GUP_PROC_MEM:
		fd = open("/proc/self/mem", O_RDONLY);
		if (fd < 0)
			return R_CTRL;
		e = ERR(pread(fd, buf, sizeof(buf), (off_t)(uintptr_t)a));
		close(fd);
		break;
	case GUP_POPULATE_READ:
	case GUP_POPULATE_WRITE:
		e = ERR(madvise(a, SZ_4K, kind == GUP_POPULATE_READ ? MADV_POPULATE_READ
								  : MADV_POPULATE_WRITE));
		break;
	}
	/* The refusal left the entry alone: touching the whole mapping again takes no fault. */
	f = vpd_touch_all(c->gmap, SZ_4K) + vpd_touch_all(c->gmap + c->glen - SZ_4K, SZ_4K);
	if (f && !(e == R_CTRL))
		return R_STATE;
	return e;
}

/* --- type1 VFIO_IOMMU_MAP_DMA of BAR mappings (P2P) --------------------------------- */

#define IOVA_BASE	0x100000000ULL

/* MAP_DMA [va, va + len) at IOVA_BASE; on success unmap, which must report @len. */
static int map_dma(int container, void *va, size_t len, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = flags, .vaddr = (uintptr_t)va,
		.iova = IOVA_BASE, .size = len,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = IOVA_BASE, .size = len,
	};

	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		return errno;
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) || unmap.size != len)
		return R_STATE;
	return 0;
}

#define DMA_RW	(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

enum { T1_PMD, T1_4K, T1_RO_READ, T1_RO_WRITE, T1_PAST_END, T1_DECODE_OFF };

static int r_type1(struct bctx *c, long kind)
{
	size_t len = kind == T1_4K ? SZ_4K : SZ_2M;
	int prot = kind == T1_RO_READ || kind == T1_RO_WRITE ? PROT_READ : PROT_READ | PROT_WRITE;
	uint8_t *p, *res = NULL;
	int e;

	if (kind == T1_PAST_END) {
		/* 2 MiB of BAR followed by 2 MiB of nothing. */
		res = mmap(NULL, 3 * SZ_2M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (res == MAP_FAILED)
			return R_CTRL;
		p = (uint8_t *)(((uintptr_t)res + SZ_2M - 1) & ~(SZ_2M - 1));
		munmap(res, 3 * SZ_2M);
		p = mmap(p, SZ_2M, prot, MAP_SHARED | MAP_FIXED_NOREPLACE, c->dev.fd,
			 c->bar.offset);
	} else {
		p = bar_map(c, 0, len, SZ_2M, kind == T1_4K ? SZ_4K : 0, prot);
	}
	if (p == MAP_FAILED)
		return R_CTRL;
	vpd_touch_all(p, len);
	if (kind == T1_DECODE_OFF && vpd_set_mem_decode(&c->dev, 0))
		return R_CTRL;
	e = map_dma(c->dev.container, p, kind == T1_PAST_END ? SZ_4M : len,
		    kind == T1_RO_READ ? VFIO_DMA_MAP_FLAG_READ : DMA_RW);
	if (kind == T1_DECODE_OFF && vpd_set_mem_decode(&c->dev, 1))
		e = R_CTRL;
	munmap(p, len);
	return e;
}

/* The other device's BAR (ours maps vfio-pci's and the other way round). */
static int r_type1_other(struct bctx *c, long arg)
{
	const char *bdf = vpd_role_bdf(c->twin_role);
	struct vfio_region_info bar;
	struct vpd_dev o;
	uint8_t *p;
	int e;

	if (!bdf || vpd_open(&o, bdf) || vpd_region_info(&o, 2, &bar)) {
		vpd_close(&o);
		return R_CTRL;
	}
	p = vpd_mmap_at(o.fd, bar.offset, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	if (p == MAP_FAILED) {
		vpd_close(&o);
		return R_CTRL;
	}
	vpd_touch_all(p, SZ_2M);
	e = map_dma(c->dev.container, p, SZ_2M, DMA_RW);
	munmap(p, SZ_2M);
	vpd_close(&o);
	return e;
}

/* The mapping of an exported DMABUF. */
static int r_type1_export(struct bctx *c, long arg)
{
	int fd = export_one(c, SZ_2M, SZ_2M, O_RDWR | O_CLOEXEC), e;
	uint8_t *p;

	if (fd < 0)
		return R_CTRL;
	p = vpd_mmap_at(fd, 0, SZ_2M, SZ_2M, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	if (p == MAP_FAILED) {
		close(fd);
		return R_CTRL;
	}
	vpd_touch_all(p, SZ_2M);
	e = map_dma(c->dev.container, p, SZ_2M, DMA_RW);
	munmap(p, SZ_2M);
	close(fd);
	return e;
}

/* 4 MiB in the middle of the PUD-mapped 1 GiB mapping (c->gmap). */
static int r_type1_pud(struct bctx *c, long arg)
{
	return map_dma(c->dev.container, c->gmap + SZ_1G / 2, SZ_4M, DMA_RW);
}

/* --- exported DMABUFs -------------------------------------------------------------- */

/* mmap of an export opened with @arg; the mapping must work. */
static int r_export_mmap(struct bctx *c, long arg)
{
	int fd = export_one(c, 0, SZ_2M, arg), e;
	uint8_t *p;

	if (fd < 0)
		return fd == -ENOTTY ? ENOTTY : R_CTRL;
	p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	e = MERR(p);
	if (!e) {
		if (read_sig(p + SZ_1M) || write_sig(p + SZ_1M, 1))
			e = R_STATE;
		munmap(p, SZ_2M);
	}
	close(fd);
	return e;
}

/* Reopening the DMABUF through /proc/self/fd. */
static int r_export_reopen(struct bctx *c, long arg)
{
	int fd = export_one(c, 0, SZ_2M, O_RDWR | O_CLOEXEC), fd2;
	char path[64];

	if (fd < 0)
		return fd == -ENOTTY ? ENOTTY : R_CTRL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, O_RDWR);
	close(fd);
	if (fd2 < 0)
		return errno;
	close(fd2);
	return 0;
}

/*
 * The request's memory ends early: the feature header (@arg 0) or the
 * ranges (@arg 1) lie on a page that cannot be read.
 */
static int r_export_unreadable(struct bctx *c, long arg)
{
	size_t hdr = sizeof(struct vfio_device_feature);
	size_t have = hdr + (arg ? sizeof(struct vfio_device_feature_dma_buf) : 0);
	struct vfio_device_feature *f;
	struct vfio_device_feature_dma_buf db = { .region_index = 2, .open_flags = O_RDWR,
						  .nr_ranges = 1 };
	uint8_t *pg;
	int e;

	pg = mmap(NULL, 2 * SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED || mprotect(pg + SZ_4K, SZ_4K, PROT_NONE))
		return R_CTRL;
	f = (struct vfio_device_feature *)(pg + SZ_4K - have);
	f->argsz = hdr + sizeof(db) + sizeof(struct vfio_region_dma_range);
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	if (arg)
		memcpy(f->data, &db, sizeof(db));
	e = ioctl(c->dev.fd, VFIO_DEVICE_FEATURE, f);
	if (e >= 0) {
		close(e);
		e = 0;
	} else {
		e = errno;
	}
	munmap(pg, 2 * SZ_4K);
	return e;
}

/* --- REVOKE and MEMATTR ------------------------------------------------------------ */

/* VFIO_DEVICE_FEATURE with @flags and @len bytes of @data, argsz @argsz: 0 or errno. */
static int feature_raw(struct bctx *c, uint32_t flags, const void *data, size_t len,
		       size_t argsz)
{
	uint8_t buf[sizeof(struct vfio_device_feature) + 16] __attribute__((aligned(8))) = { 0 };
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;

	f->argsz = argsz;
	f->flags = flags;
	memcpy(f->data, data, len);
	return ERR(ioctl(c->dev.fd, VFIO_DEVICE_FEATURE, f));
}

enum { FR_SHORT, FR_GET, FR_PROBE_GET, FR_DEVFD, FR_TWICE, FR_UNKNOWN };

/* @arg: FR_* for REVOKE (bit 8 clear) or MEMATTR (bit 8 set). */
static int r_feature(struct bctx *c, long arg)
{
	int memattr = arg & 0x100, kind = arg & 0xff;
	uint32_t feat = memattr ? VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR
				: VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE;
	struct vfio_device_feature_dma_buf_memattr ma = { .memattr = VFIO_DMA_BUF_MEMATTR_WC };
	size_t len = memattr ? sizeof(ma) : sizeof(struct vfio_device_feature_dma_buf_revoke);
	size_t argsz = sizeof(struct vfio_device_feature) + len;
	uint32_t flags = VFIO_DEVICE_FEATURE_SET | feat;
	int buf = -1, e;

	/* A valid DMABUF where the driver exports, else an eventfd. */
	if (kind != FR_DEVFD) {
		buf = export_one(c, 0, SZ_2M, O_RDWR | O_CLOEXEC);
		if (buf < 0)
			buf = eventfd(0, EFD_CLOEXEC);
		if (buf < 0)
			return R_CTRL;
	}
	ma.dmabuf_fd = kind == FR_DEVFD ? c->dev.fd : buf;
	switch (kind) {
	case FR_SHORT:
		argsz -= 2;
		break;
	case FR_GET:
		flags = VFIO_DEVICE_FEATURE_GET | feat;
		break;
	case FR_PROBE_GET:
		flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET | feat;
		break;
	case FR_TWICE:
		/* Revoked for good first (on a driver that has the feature). */
		if (c->ours && vpd_revoke(c->dev.fd, buf)) {
			close(buf);
			return R_CTRL;
		}
		break;
	case FR_UNKNOWN:
		ma.memattr = 2;
		break;
	}
	/* Both structures start with the fd. */
	e = feature_raw(c, flags, &ma, len, argsz);
	if (buf >= 0)
		close(buf);
	return e;
}

/* --- the table ----------------------------------------------------------------------- */

enum group {
	G_MMAP, G_MPROTECT, G_MREMAP, G_MADVISE, G_FORK, G_GUP, G_TYPE1, G_TYPE1_PUD,
	G_EXPORT, G_REVOKE, G_MEMATTR,
};

struct bad_row {
	enum group group;
	const char *what;
	int (*run)(struct bctx *c, long arg);
	long arg;
	int ours, stock;		/* expected results */
	int since;			/* from this kernel (major * 1000 + minor) on: */
	int ours_since, stock_since;	/* ... these instead */
};

#define V6_12		6012	/* vfio-pci zaps through the device inode */
#define V6_19		6019	/* vfio-pci exports DMABUFs */
/*
 * The pseudo filesystems (anon_inodefs, which holds the vfio device file of
 * the group API) are noexec in 7.3, not in 6.12: no PROT_EXEC mapping.
 */
#define AFTER_6_12	6013

static const struct bad_row rows[] = {
	/* mmap of the BAR region (more in dmabuf_mmap_test twin.mmap_errnos) */
	{ G_MMAP, "file offset not page-aligned", r_mmap_unaligned_offset, 0, EINVAL, EINVAL },
	{ G_MMAP, "length 0", r_mmap_len0, 0, EINVAL, EINVAL },
	{ G_MMAP, "page offset + length wraps", r_mmap_pgoff_wraps, 0, EOVERFLOW, EOVERFLOW },
	{ G_MMAP, "MAP_SHARED_VALIDATE | MAP_SYNC", r_mmap_flags,
	  MAP_SHARED_VALIDATE | MAP_SYNC, EOPNOTSUPP, EOPNOTSUPP },
	{ G_MMAP, "MAP_SHARED | MAP_GROWSDOWN", r_mmap_flags, MAP_SHARED | MAP_GROWSDOWN,
	  EINVAL, EINVAL },
	{ G_MMAP, "PROT_EXEC", r_mmap_exec, 0, 0, 0, AFTER_6_12, EPERM, EPERM },
	{ G_MMAP, "MAP_POPULATE (populates nothing: first touch faults)", r_mmap_populate, 0,
	  0, 0 },
	{ G_MMAP, "MAP_FIXED_NOREPLACE over a live mapping", r_mmap_fixed_noreplace, 0,
	  EEXIST, EEXIST },
	{ G_MMAP, "MAP_FIXED over a live mapping, other BAR offset", r_mmap_fixed_replace, 0,
	  0, 0 },
	{ G_MMAP, "anonymous MAP_FIXED over the middle of a live mapping",
	  r_mmap_fixed_anon_middle, 0, 0, 0 },

	/* mprotect, and access against the protection */
	{ G_MPROTECT, "write through a PROT_READ mapping", r_write_read_only, 0,
	  SIG(SIGSEGV), SIG(SIGSEGV) },
	{ G_MPROTECT, "mprotect PROT_EXEC", r_mprotect_exec, 0, 0, 0, AFTER_6_12, EACCES, EACCES },
	{ G_MPROTECT, "mprotect PROT_NONE, then read", r_mprotect_none, 0,
	  SIG(SIGSEGV), SIG(SIGSEGV) },
	{ G_MPROTECT, "mprotect half of a PMD-mapped range read-only", r_mprotect_half_pmd, 0,
	  0, 0 },
	{ G_MPROTECT, "mprotect PROT_WRITE, export opened O_RDONLY", r_mprotect_write_ro_export,
	  0, EACCES, R_NA },

	/* mremap */
	{ G_MREMAP, "grow in place", r_mremap_grow, 0, EFAULT, EFAULT },
	{ G_MREMAP, "grow, MREMAP_MAYMOVE", r_mremap_grow, MREMAP_MAYMOVE, EFAULT, EFAULT },
	{ G_MREMAP, "MREMAP_DONTUNMAP", r_mremap_dontunmap, 0, EINVAL, EINVAL },
	/*
	 * vfio-pci 6.1 zaps a new VMA in its open(), which mremap calls before
	 * moving the entries: x86 PAT's untrack_pfn() WARNs (no entry to
	 * look the memtype up from), and the moved mapping is on no list the
	 * zap walks (NOREVOKE, measured once).  Not run there.
	 */
	{ G_MREMAP, "move to a 2 MiB-aligned address (revoke follows)", r_mremap_move, 0,
	  0, R_NOTRUN, V6_12, 0, 0 },
	{ G_MREMAP, "move to a 4 KiB-offset address (revoke follows)", r_mremap_move, SZ_4K,
	  0, R_NOTRUN, V6_12, 0, 0 },
	{ G_MREMAP, "shrink (the tail is gone)", r_mremap_shrink, 0, 0, 0 },

	/* madvise */
	{ G_MADVISE, "MADV_DONTNEED", r_madvise, MADV_DONTNEED, EINVAL, EINVAL },
	{ G_MADVISE, "MADV_FREE", r_madvise, MADV_FREE, EINVAL, EINVAL },
	{ G_MADVISE, "MADV_WIPEONFORK", r_madvise, MADV_WIPEONFORK, EINVAL, EINVAL },
	{ G_MADVISE, "MADV_DODUMP", r_madvise, MADV_DODUMP, EINVAL, EINVAL },
	{ G_MADVISE, "MADV_COLD", r_madvise, MADV_COLD, EINVAL, EINVAL },
	{ G_MADVISE, "MADV_PAGEOUT", r_madvise, MADV_PAGEOUT, EINVAL, EINVAL },
	{ G_MADVISE, "MADV_REMOVE", r_madvise, MADV_REMOVE, ENODEV, ENODEV },
	{ G_MADVISE, "MADV_COLLAPSE", r_madvise, MADV_COLLAPSE, EINVAL, EINVAL },
	{ G_MADVISE, "MADV_GUARD_INSTALL", r_madvise, MADV_GUARD_INSTALL, EINVAL, EINVAL },
	{ G_MADVISE, "MADV_MERGEABLE (ignored)", r_madvise, MADV_MERGEABLE, 0, 0 },
	{ G_MADVISE, "MADV_HUGEPAGE", r_madvise, MADV_HUGEPAGE, 0, 0 },

	/* fork */
	{ G_FORK, "fork, child reads and writes a PMD-mapped range", r_fork_access, 0, 0, 0 },
	{ G_FORK, "MADV_DONTFORK, fork, child reads", r_fork_dontfork, 0,
	  SIG(SIGSEGV), SIG(SIGSEGV) },

	/* get_user_pages(), on the geometry of the test (gup_4k, gup_pmd, gup_pud) */
	{ G_GUP, "O_DIRECT write(2) from the mapping (GUP-fast)", r_gup, GUP_ODIRECT_WRITE,
	  EFAULT, EFAULT },
	{ G_GUP, "O_DIRECT read(2) into the mapping (GUP-fast)", r_gup, GUP_ODIRECT_READ,
	  EFAULT, EFAULT },
	{ G_GUP, "process_vm_readv (remote GUP)", r_gup, GUP_PVM_READ, EFAULT, EFAULT },
	{ G_GUP, "process_vm_writev (remote GUP)", r_gup, GUP_PVM_WRITE, EFAULT, EFAULT },
	{ G_GUP, "vmsplice (GUP-fast)", r_gup, GUP_VMSPLICE, EFAULT, EFAULT },
	{ G_GUP, "shared futex FUTEX_WAIT (GUP-fast)", r_gup, GUP_FUTEX, EFAULT, EFAULT },
	{ G_GUP, "private futex (no GUP: keyed by address)", r_gup, GUP_FUTEX_PRIVATE,
	  EAGAIN, EAGAIN },
	{ G_GUP, "io_uring IORING_REGISTER_BUFFERS (pin, long-term)", r_gup, GUP_IO_URING,
	  EFAULT, EFAULT },
	{ G_GUP, "pread(2) of /proc/self/mem (remote GUP)", r_gup, GUP_PROC_MEM, EIO, EIO },
	{ G_GUP, "MADV_POPULATE_READ (GUP)", r_gup, GUP_POPULATE_READ, EINVAL, EINVAL },
	{ G_GUP, "MADV_POPULATE_WRITE (GUP)", r_gup, GUP_POPULATE_WRITE, EINVAL, EINVAL },

	/* type1 VFIO_IOMMU_MAP_DMA of BAR mappings */
	{ G_TYPE1, "own BAR, 2 MiB (PMD) mapping", r_type1, T1_PMD, 0, 0 },
	{ G_TYPE1, "own BAR, 4 KiB mapping", r_type1, T1_4K, 0, 0 },
	{ G_TYPE1, "PROT_READ mapping, DMA read-only", r_type1, T1_RO_READ, 0, 0 },
	{ G_TYPE1, "PROT_READ mapping, DMA read-write", r_type1, T1_RO_WRITE, EFAULT, EFAULT },
	{ G_TYPE1, "range running past the mapping", r_type1, T1_PAST_END, EFAULT, EFAULT },
	{ G_TYPE1, "memory decode off (mapping revoked)", r_type1, T1_DECODE_OFF,
	  EFAULT, EFAULT },
	{ G_TYPE1, "the other device's BAR", r_type1_other, 0, 0, 0 },
	{ G_TYPE1, "mapping of an exported DMABUF", r_type1_export, 0, 0, R_NA },
	{ G_TYPE1_PUD, "4 MiB inside a PUD-mapped 1 GiB mapping", r_type1_pud, 0, 0, R_NA },

	/* exported DMABUFs (more in export_test: twin.export_errnos, export_mmap_errnos) */
	{ G_EXPORT, "mmap of an export (vfio-pci's cannot be mapped)", r_export_mmap,
	  O_RDWR | O_CLOEXEC, 0, R_NA, V6_19, 0, EINVAL },
	{ G_EXPORT, "mmap of an export opened O_WRONLY", r_export_mmap, O_WRONLY | O_CLOEXEC,
	  EACCES, R_NA, V6_19, EACCES, EACCES },
	{ G_EXPORT, "reopen through /proc/self/fd", r_export_reopen, 0, ENXIO, R_NA, V6_19,
	  ENXIO, ENXIO },
	{ G_EXPORT, "feature payload unreadable", r_export_unreadable, 0, EFAULT, ENOTTY,
	  V6_19, EFAULT, EFAULT },
	{ G_EXPORT, "ranges unreadable", r_export_unreadable, 1, EFAULT, ENOTTY, V6_19,
	  EFAULT, EFAULT },

	/* REVOKE (more in export_test: revoke_errnos); vfio-pci has no such feature */
	{ G_REVOKE, "argsz below the structure", r_feature, FR_SHORT, EINVAL, ENOTTY },
	{ G_REVOKE, "GET", r_feature, FR_GET, EINVAL, ENOTTY },
	{ G_REVOKE, "PROBE | GET", r_feature, FR_PROBE_GET, EINVAL, ENOTTY },
	{ G_REVOKE, "dmabuf_fd is the vfio device fd", r_feature, FR_DEVFD, EINVAL, ENOTTY },
	{ G_REVOKE, "already revoked for good", r_feature, FR_TWICE, EBADFD, ENOTTY },

	/* MEMATTR (more in export_test: memattr_errnos) */
	{ G_MEMATTR, "argsz below the structure", r_feature, 0x100 | FR_SHORT, EINVAL, ENOTTY },
	{ G_MEMATTR, "GET", r_feature, 0x100 | FR_GET, EINVAL, ENOTTY },
	{ G_MEMATTR, "PROBE | GET", r_feature, 0x100 | FR_PROBE_GET, EINVAL, ENOTTY },
	{ G_MEMATTR, "dmabuf_fd is the vfio device fd", r_feature, 0x100 | FR_DEVFD,
	  EINVAL, ENOTTY },
	{ G_MEMATTR, "DMABUF revoked for good", r_feature, 0x100 | FR_TWICE, EBADFD, ENOTTY },
	{ G_MEMATTR, "unknown memattr 2", r_feature, 0x100 | FR_UNKNOWN, ENOENT, ENOTTY },
};

/* Rows that need madvise(2), which some kernels are built without. */
static int needs_madvise(const struct bad_row *t)
{
	return t->run == r_madvise || t->run == r_fork_dontfork ||
	       (t->run == r_gup && (t->arg == GUP_POPULATE_READ || t->arg == GUP_POPULATE_WRITE));
}

static void run_group(struct __test_metadata *_metadata, struct bctx *c, enum group g,
		      const char *tag)
{
	char got_s[32], want_s[32];
	int n = 0, skipped = 0;

	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		const struct bad_row *t = &rows[i];
		int want = c->ours ? t->ours : t->stock, got;

		if (t->group != g)
			continue;
		if (t->since && c->kver >= t->since)
			want = c->ours ? t->ours_since : t->stock_since;
		if (!c->has_madvise && needs_madvise(t)) {
			ksft_print_msg("BADIN %s %s | %s: skipped, no madvise(2) in this kernel\n",
				       c->ours ? "ours" : "stock", tag, t->what);
			skipped++;
			continue;
		}
		n++;
		if (want == R_NA || want == R_NOTRUN) {
			ksft_print_msg("BADIN %s %s | %s: %s\n", c->ours ? "ours" : "stock",
				       tag, t->what, res_str(want, want_s, sizeof(want_s)));
			continue;
		}
		got = t->run(c, t->arg);
		ksft_print_msg("BADIN %s %s | %s: %s%s%s\n", c->ours ? "ours" : "stock", tag,
			       t->what, res_str(got, got_s, sizeof(got_s)),
			       got == want ? "" : " want ",
			       got == want ? "" : res_str(want, want_s, sizeof(want_s)));
		EXPECT_EQ(want, got) TH_LOG("%s: %s: got %s, want %s", tag, t->what, got_s,
					    res_str(want, want_s, sizeof(want_s)));
	}
	if (!n && skipped)
		SKIP(return, "every row needs madvise(2), which this kernel lacks");
	EXPECT_GT(n, 0);
}

/* --- fixtures -------------------------------------------------------------------------- */

static uint8_t probe_page[SZ_4K] __attribute__((aligned(4096)));

static void ctx_open(struct __test_metadata *_metadata, struct bctx *c, const char *role,
		     const char *driver, int ours)
{
	const char *bdf = vpd_role_bdf(role);
	char drv[64];

	memset(c, 0, sizeof(*c));
	c->dev.container = c->dev.group = c->dev.fd = -1;
	c->ours = ours;
	c->kver = vpd_kernel_version();
	c->has_madvise = !(madvise(probe_page, SZ_4K, MADV_NORMAL) && errno == ENOSYS);
	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vpd_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ(driver, drv);
	ASSERT_EQ(0, vpd_open(&c->dev, bdf));
	ASSERT_EQ(0, vpd_region_info(&c->dev, VFIO_PCI_BAR2_REGION_INDEX, &c->bar));
	ASSERT_TRUE(c->bar.flags & VFIO_REGION_INFO_FLAG_MMAP);
}

FIXTURE(twin) {
	struct bctx c;
};

FIXTURE_VARIANT(twin) {
	const char *role, *twin_role, *driver;
	int ours;
};

FIXTURE_VARIANT_ADD(twin, ours) {
	.role = "VPD_DEV_OURS", .twin_role = "VPD_DEV_STOCK", .driver = "vfio-pci-dmabuf",
	.ours = 1,
};

FIXTURE_VARIANT_ADD(twin, stock) {
	.role = "VPD_DEV_STOCK", .twin_role = "VPD_DEV_OURS", .driver = "vfio-pci",
	.ours = 0,
};

FIXTURE_SETUP(twin)
{
	ctx_open(_metadata, &self->c, variant->role, variant->driver, variant->ours);
	ASSERT_EQ(SZ_64M, self->c.bar.size);
	self->c.twin_role = variant->twin_role;
}

FIXTURE_TEARDOWN(twin)
{
	vpd_close(&self->c.dev);
}

TEST_F(twin, mmap)
{
	run_group(_metadata, &self->c, G_MMAP, "mmap");
}

TEST_F(twin, mprotect)
{
	run_group(_metadata, &self->c, G_MPROTECT, "mprotect");
}

TEST_F(twin, mremap)
{
	run_group(_metadata, &self->c, G_MREMAP, "mremap");
}

TEST_F(twin, madvise)
{
	run_group(_metadata, &self->c, G_MADVISE, "madvise");
}

TEST_F(twin, fork)
{
	run_group(_metadata, &self->c, G_FORK, "fork");
}

/*
 * Map @len of BAR2 at an @align-aligned VA (+ @skew), touch the first page
 * (one fault), check that touching the last page takes none (one entry, or on
 * 6.1 the whole VMA mapped at the first fault), and where debugfs shows page
 * tables that the entry has level @level (6.12+; "pte" before).
 */
static void gup_setup(struct __test_metadata *_metadata, struct bctx *c, size_t len,
		      size_t align, size_t skew, const char *level)
{
	struct vpd_pt_entry e;
	long f;
	int ret;

	c->gmap = bar_map(c, 0, len, align, skew, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, c->gmap);
	c->glen = len;
	c->gaddr = c->gmap + len / 2;
	f = vpd_touch_all(c->gmap, SZ_4K);
	EXPECT_EQ(1, f);
	f = vpd_touch_all(c->gmap + len - SZ_4K, SZ_4K) + vpd_touch_all(c->gaddr, SZ_4K);
	EXPECT_EQ(0, f) TH_LOG("the mapping is not one entry");
	ret = vpd_ptdump_lookup((unsigned long)c->gaddr, &e);
	if (ret == 0) {
		EXPECT_STREQ(vpd_huge_pfnmap() > 0 ? level : "pte", e.level);
		EXPECT_LE(e.start, (unsigned long)c->gmap);
	} else {
		ksft_print_msg("no page-table dump (%s): entry level not checked\n",
			       strerror(-ret));
	}
}

TEST_F(twin, gup_4k)
{
	gup_setup(_metadata, &self->c, SZ_4K, SZ_2M, SZ_4K, "pte");
	run_group(_metadata, &self->c, G_GUP, "gup_4k");
	munmap(self->c.gmap, self->c.glen);
}

TEST_F_TIMEOUT(twin, gup_pmd, 120)
{
	gup_setup(_metadata, &self->c, SZ_2M, SZ_2M, 0, "pmd");
	run_group(_metadata, &self->c, G_GUP, "gup_pmd");
	munmap(self->c.gmap, self->c.glen);
}

TEST_F(twin, type1)
{
	run_group(_metadata, &self->c, G_TYPE1, "type1");
}

TEST_F(twin, export)
{
	run_group(_metadata, &self->c, G_EXPORT, "export");
}

TEST_F(twin, revoke)
{
	run_group(_metadata, &self->c, G_REVOKE, "revoke");
}

TEST_F(twin, memattr)
{
	run_group(_metadata, &self->c, G_MEMATTR, "memattr");
}

/* The 1 GiB BAR, PUD-mapped: ours only (vfio-pci has no such device in the VM). */
FIXTURE(big) {
	struct bctx c;
};

FIXTURE_SETUP(big)
{
	ctx_open(_metadata, &self->c, "VPD_DEV_BIG", "vfio-pci-dmabuf", 1);
	ASSERT_EQ(SZ_1G, self->c.bar.size);
	gup_setup(_metadata, &self->c, SZ_1G, SZ_1G, 0, "pud");
}

FIXTURE_TEARDOWN(big)
{
	if (self->c.gmap && self->c.gmap != MAP_FAILED)
		munmap(self->c.gmap, self->c.glen);
	vpd_close(&self->c.dev);
}

TEST_F_TIMEOUT(big, gup_pud, 120)
{
	run_group(_metadata, &self->c, G_GUP, "gup_pud");
}

TEST_F_TIMEOUT(big, type1_pud, 120)
{
	run_group(_metadata, &self->c, G_TYPE1_PUD, "type1_pud");
}

TEST_HARNESS_MAIN
