// SPDX-License-Identifier: GPL-2.0
/*
 * What the driver is doing, as a user sees it: the per-device counters in
 * debugfs (/sys/kernel/debug/vfio-pci-dmabuf/<PCI address>/stats) and the
 * tracepoints (events/vfio_pci_dmabuf/ in tracefs).  Each check compares
 * the counters before and after an operation whose effect is known exactly.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "vpd_vfio.h"
#include "vpd_export.h"

#define SZ_1M (1UL << 20)
#define SZ_2M (2UL << 20)
#define SZ_4M (4UL << 20)
#define SZ_64M (64UL << 20)

enum {
	S_PTE, S_PMD, S_PUD, S_FALLBACK, S_SIGBUS, S_BAR_MMAPS, S_LIVE_BAR,
	S_LIVE_BAR_BUFS, S_EXPORTS, S_EXPORT_MMAPS, S_WINDOWS, S_REVOKED, S_RESTORED, S_GONE,
	S_LIVE_EXPORTS, S_NR
};

static const char *const stat_names[S_NR] = {
	"faults_pte", "faults_pmd", "faults_pud", "fallbacks", "sigbus",
	"bar_mmaps", "live_bar_mmaps", "live_bar_dmabufs", "exports", "export_mmaps",
	"revoke_windows", "exports_revoked", "exports_restored",
	"exports_revoked_for_good", "live_exports",
};

struct stats {
	long long v[S_NR];
};

/* Read every counter of @bdf; -1 on error, or when one is missing or extra. */
static int read_stats(const char *bdf, struct stats *s)
{
	char path[PATH_MAX], name[64];
	long long val;
	int seen = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/vfio-pci-dmabuf/%s/stats", bdf);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &val) == 2) {
		for (i = 0; i < S_NR; i++)
			if (!strcmp(name, stat_names[i]))
				break;
		if (i == S_NR) {
			fclose(f);
			return -1;
		}
		s->v[i] = val;
		seen++;
	}
	fclose(f);
	return seen == S_NR ? 0 : -1;
}

/* after - before, for every counter. */
static struct stats delta(const struct stats *before, const struct stats *after)
{
	struct stats d;

	for (int i = 0; i < S_NR; i++)
		d.v[i] = after->v[i] - before->v[i];
	return d;
}

FIXTURE(stats) {
	struct vpd_dev dev;
	const char *bdf;
	struct vfio_region_info bar2;
	int huge;
};

FIXTURE_SETUP(stats)
{
	self->bdf = vpd_role_bdf("VPD_DEV_OURS");
	ASSERT_NE(NULL, self->bdf);
	ASSERT_EQ(0, vpd_open(&self->dev, self->bdf));
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &self->bar2));
	self->huge = vpd_huge_pfnmap();
	ASSERT_LE(0, self->huge) TH_LOG("the module does not report its huge PFN mappings");
}

FIXTURE_TEARDOWN(stats)
{
	vpd_set_mem_decode(&self->dev, 1);
	vpd_close(&self->dev);
}

/*
 * A 64 MiB BAR mapping at a 2 MiB-aligned VA: faults counted by the entry
 * size that served them, a SIGBUS while memory decode is off, a refault,
 * and the mapping counted live until munmap.
 */
TEST_F(stats, bar_faults_and_sigbus)
{
	struct stats s0, s1, s2, s3, s4, d;
	uint64_t v = 0;
	uint8_t *map;

	ASSERT_EQ(0, read_stats(self->bdf, &s0));
	map = vpd_mmap_at(self->dev.fd, self->bar2.offset, SZ_64M, SZ_2M, 0,
			  PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, read_stats(self->bdf, &s1));
	d = delta(&s0, &s1);
	EXPECT_EQ(1, d.v[S_BAR_MMAPS]);
	EXPECT_EQ(1, d.v[S_LIVE_BAR]);

	EXPECT_LT(0, vpd_touch_all(map, SZ_64M));
	ASSERT_EQ(0, read_stats(self->bdf, &s2));
	d = delta(&s1, &s2);
	ksft_print_msg("touch 64 MiB: pte %lld pmd %lld pud %lld fallbacks %lld\n",
		       d.v[S_PTE], d.v[S_PMD], d.v[S_PUD], d.v[S_FALLBACK]);
	if (self->huge) {
		/* One PMD per 2 MiB window, nothing else. */
		EXPECT_EQ(32, d.v[S_PMD]);
		EXPECT_EQ(0, d.v[S_PTE]);
	} else {
		/* No huge PFN maps: the first fault maps the whole VMA. */
		EXPECT_EQ(1, d.v[S_PTE]);
		EXPECT_EQ(0, d.v[S_PMD]);
	}
	EXPECT_EQ(0, d.v[S_PUD]);
	EXPECT_EQ(0, d.v[S_SIGBUS]);

	/* Memory decode off: one access, one refused fault. */
	ASSERT_EQ(0, vpd_set_mem_decode(&self->dev, 0));
	EXPECT_EQ(SIGBUS, vpd_touch((volatile uint64_t *)map, 0, &v));
	ASSERT_EQ(0, read_stats(self->bdf, &s3));
	d = delta(&s2, &s3);
	EXPECT_EQ(1, d.v[S_SIGBUS]);

	/* Back on: the same access maps one window again. */
	ASSERT_EQ(0, vpd_set_mem_decode(&self->dev, 1));
	EXPECT_EQ(0, vpd_touch((volatile uint64_t *)map, 0, &v));
	ASSERT_EQ(0, read_stats(self->bdf, &s4));
	d = delta(&s3, &s4);
	EXPECT_EQ(1, d.v[self->huge ? S_PMD : S_PTE]);
	EXPECT_EQ(0, d.v[S_SIGBUS]);

	munmap(map, SZ_64M);
	ASSERT_EQ(0, read_stats(self->bdf, &s4));
	EXPECT_EQ(s0.v[S_LIVE_BAR], s4.v[S_LIVE_BAR]);
}

/*
 * Every mapping of a BAR shares the BAR's one DMABUF, which the open device
 * holds until it is closed: two mmaps, a split and a fork's copy are four
 * live mappings of one DMABUF; the mappings see the same BAR bytes at the
 * same BAR offsets; the DMABUF outlives them until the device is closed.
 */
TEST_F(stats, bar_mappings_share_one_dmabuf)
{
	struct stats s0, s1, s2, s3;
	uint64_t v = 0, w = 0;
	uint8_t *a, *b;
	int status;
	pid_t pid;

	ASSERT_EQ(0, read_stats(self->bdf, &s0));
	/* Just opened: no BAR DMABUF yet, no mapping. */
	EXPECT_EQ(0, s0.v[S_LIVE_BAR_BUFS]);
	EXPECT_EQ(0, s0.v[S_LIVE_BAR]);

	/* a: BAR2 [0, 4 MiB); b: BAR2 [2 MiB, 4 MiB). */
	a = vpd_mmap_at(self->dev.fd, self->bar2.offset, SZ_4M, SZ_2M, 0,
			PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, a);
	b = vpd_mmap_at(self->dev.fd, self->bar2.offset + SZ_2M, SZ_2M, SZ_2M, 0,
			PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, b);
	ASSERT_EQ(0, read_stats(self->bdf, &s1));
	EXPECT_EQ(2, s1.v[S_LIVE_BAR]);
	EXPECT_EQ(1, s1.v[S_LIVE_BAR_BUFS]);

	/* The same BAR offset through both mappings. */
	v = 0x5a5ac3c3d00dfeedULL;
	EXPECT_EQ(0, vpd_touch((volatile uint64_t *)(a + SZ_2M + 8), 1, &v));
	EXPECT_EQ(0, vpd_touch((volatile uint64_t *)(b + 8), 0, &w));
	EXPECT_EQ(v, w);

	/* A hole in a's middle splits it in two. */
	ASSERT_EQ(0, munmap(a + SZ_1M, 4096));
	ASSERT_EQ(0, read_stats(self->bdf, &s2));
	EXPECT_EQ(3, s2.v[S_LIVE_BAR]);
	EXPECT_EQ(1, s2.v[S_LIVE_BAR_BUFS]);

	/* A fork's child has copies of all three, and reads the same bytes. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct stats c;

		if (read_stats(self->bdf, &c) || c.v[S_LIVE_BAR] != 6 ||
		    c.v[S_LIVE_BAR_BUFS] != 1)
			_exit(1);
		_exit(vpd_touch((volatile uint64_t *)(b + 8), 0, &v) || v != w ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("child status 0x%x", status);
	EXPECT_EQ(0, WEXITSTATUS(status));

	munmap(a, SZ_4M);
	munmap(b, SZ_2M);
	ASSERT_EQ(0, read_stats(self->bdf, &s3));
	EXPECT_EQ(0, s3.v[S_LIVE_BAR]);
	/* No mapping left; the open device still holds the BAR's DMABUF. */
	EXPECT_EQ(1, s3.v[S_LIVE_BAR_BUFS]);

	/* Closed: the device dropped it. */
	vpd_close(&self->dev);
	ASSERT_EQ(0, read_stats(self->bdf, &s3));
	EXPECT_EQ(0, s3.v[S_LIVE_BAR_BUFS]);
}

/*
 * An exported DMABUF through its life: export, mmap, a revocation window
 * (memory decode off, then on), the permanent revocation, the close.
 */
TEST_F(stats, export_life)
{
	struct vfio_region_dma_range r = { .offset = 0, .length = SZ_2M };
	struct stats s0, s1, s2, s3, s4, s5, d;
	uint8_t *map;
	int fd;

	ASSERT_EQ(0, read_stats(self->bdf, &s0));
	EXPECT_EQ(0, s0.v[S_LIVE_EXPORTS]);
	fd = vpd_export(self->dev.fd, VFIO_PCI_BAR2_REGION_INDEX, &r, 1);
	ASSERT_LE(0, fd);
	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_LT(0, vpd_touch_all(map, SZ_2M));
	ASSERT_EQ(0, read_stats(self->bdf, &s1));
	d = delta(&s0, &s1);
	EXPECT_EQ(1, d.v[S_EXPORTS]);
	EXPECT_EQ(1, d.v[S_EXPORT_MMAPS]);
	EXPECT_EQ(1, s1.v[S_LIVE_EXPORTS]);
	/* A 2 MiB mapping at whatever VA: one PMD, or 4 KiB runs. */
	EXPECT_LE(1, d.v[S_PTE] + d.v[S_PMD]);

	/* The config write that clears decode opens one window. */
	ASSERT_EQ(0, vpd_set_mem_decode(&self->dev, 0));
	ASSERT_EQ(0, read_stats(self->bdf, &s2));
	d = delta(&s1, &s2);
	EXPECT_EQ(1, d.v[S_WINDOWS]);
	EXPECT_EQ(1, d.v[S_REVOKED]);
	EXPECT_EQ(0, d.v[S_RESTORED]);

	/* Decode back on: the export comes back, with no window. */
	ASSERT_EQ(0, vpd_set_mem_decode(&self->dev, 1));
	ASSERT_EQ(0, read_stats(self->bdf, &s3));
	d = delta(&s2, &s3);
	EXPECT_EQ(0, d.v[S_WINDOWS]);
	EXPECT_EQ(1, d.v[S_RESTORED]);

	ASSERT_EQ(0, vpd_revoke(self->dev.fd, fd));
	ASSERT_EQ(0, read_stats(self->bdf, &s4));
	d = delta(&s3, &s4);
	EXPECT_EQ(1, d.v[S_GONE]);
	EXPECT_EQ(1, d.v[S_REVOKED]);
	/* Revoked for good: off the device's list. */
	EXPECT_EQ(0, s4.v[S_LIVE_EXPORTS]);

	munmap(map, SZ_2M);
	close(fd);
	ASSERT_EQ(0, read_stats(self->bdf, &s5));
	EXPECT_EQ(0, s5.v[S_LIVE_EXPORTS]);
}

/* Where tracefs is, mounting it if needed; NULL when the kernel has none. */
static const char *tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[PATH_MAX];

	for (unsigned int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
	}
	if (!mount("tracefs", dirs[0], "tracefs", 0, NULL))
		return dirs[0];
	return NULL;
}

static int trace_write(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return vpd_write_file(path, val);
}

/* Empty the trace buffer (opening "trace" with O_TRUNC does). */
static int trace_clear(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/trace", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Whether the trace buffer holds a line containing every one of @needles. */
static int trace_has(const char *dir, const char *const *needles, unsigned int n)
{
	char path[PATH_MAX], line[512];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned int i;

		for (i = 0; i < n; i++)
			if (!strstr(line, needles[i]))
				break;
		found = i == n;
		if (found)
			ksft_print_msg("trace: %s", line);
	}
	fclose(f);
	return found;
}

/*
 * The tracepoints: an mmap, a fault served with the expected order, a
 * refused fault while decode is off.  Skipped only on a kernel built
 * without tracing (every kernel the harness runs has it).
 */
TEST_F(stats, tracepoints)
{
	char order[32], release[64], events[PATH_MAX];
	const char *dir = tracefs();
	uint64_t v = 0;
	uint8_t *map;

	if (!dir)
		SKIP(return, "kernel built without tracing (no tracefs)");
	snprintf(events, sizeof(events), "%s/events/vfio_pci_dmabuf", dir);
	ASSERT_EQ(0, access(events, F_OK)) TH_LOG("tracefs without our events");

	ASSERT_EQ(0, trace_clear(dir));
	ASSERT_EQ(0, trace_write(dir, "events/vfio_pci_dmabuf/enable", "1"));
	map = vpd_mmap_at(self->dev.fd, self->bar2.offset, SZ_2M, SZ_2M, 0,
			  PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, vpd_touch((volatile uint64_t *)map, 0, &v));
	ASSERT_EQ(0, vpd_set_mem_decode(&self->dev, 0));
	EXPECT_EQ(SIGBUS, vpd_touch((volatile uint64_t *)map, 0, &v));
	ASSERT_EQ(0, vpd_set_mem_decode(&self->dev, 1));
	munmap(map, SZ_2M);
	/* The BAR's DMABUF is released once the device is closed. */
	vpd_close(&self->dev);
	ASSERT_EQ(0, trace_write(dir, "events/vfio_pci_dmabuf/enable", "0"));

	snprintf(release, sizeof(release), "bar BAR 2 size 0x%llx",
		 (unsigned long long)self->bar2.size);
	snprintf(order, sizeof(order), "order %d result 0x100", self->huge ? 9 : 0);
	{
		const char *mmap_ev[] = { "vpd_mmap:", self->bdf, "bar BAR 2", "len 0x200000" };
		const char *fault_ev[] = { "vpd_fault:", self->bdf, order };
		const char *sigbus_ev[] = { "vpd_fault:", self->bdf, "result 0x2" };
		const char *release_ev[] = { "vpd_release:", release };

		EXPECT_TRUE(trace_has(dir, mmap_ev, 4));
		EXPECT_TRUE(trace_has(dir, fault_ev, 3));
		EXPECT_TRUE(trace_has(dir, sigbus_ev, 3));
		EXPECT_TRUE(trace_has(dir, release_ev, 2));
	}
}

TEST_HARNESS_MAIN
