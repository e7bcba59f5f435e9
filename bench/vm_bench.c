// SPDX-License-Identifier: GPL-2.0
/*
 * The driver against stock vfio-pci on identical devices, inside the test VM
 * (scripts/vmtest --bench).  Every measurement runs on both drivers, in
 * alternating order (ours first on even repetitions, stock first on odd
 * ones), VPD_BENCH_REPS times (default 7).  Each sample is one line
 *
 *   VPD-BENCH-JSON {"bench": ..., "param": ..., "driver": "ours"|"stock",
 *                   "rep": N, <values>}
 *
 * on stdout; bench/report.py turns them into medians, ranges and ratios.
 * Nothing here passes or fails on a time: a sample is a number, and the
 * run fails only when an operation fails (VPD-BENCH-ERROR, exit 1).
 * VPD_BENCH_ONLY (e.g. "touch:cycle") runs only the benchmarks it names.
 *
 * Devices (roles set by the harness in bench mode):
 *   VPD_DEV_OURS / VPD_DEV_STOCK          64 MiB ivshmem twins
 *   VPD_DEV_BIG / VPD_DEV_BIG_STOCK       1 GiB ivshmem twins
 *   VPD_DEV_NVME / VPD_DEV_NVME_STOCK     NVMe twins (FLR for the reset)
 *
 * Benchmarks:
 *   touch   P1/P2: map 64 MiB / 1 GiB at an aligned and an unaligned VA,
 *           touch every page: faults, time of the first access, time of
 *           the whole touch
 *   lock    the longest a PCI_COMMAND write (which takes the device's
 *           memory_lock for writing) waits while another thread touches a
 *           fresh 1 GiB mapping: how long a fault holds memory_lock
 *   cycle   P3: mmap + touch every page + munmap of 4 KiB, 2 MiB, 64 MiB
 *           (and each of the three phases on its own)
 *   revoke  P4: memory decode off + on, with 1, 16, 256 live 2 MiB mappings
 *           (best of 3 cycles per repetition; then touching them again)
 *   reset   P4: VFIO_DEVICE_RESET (FLR) with 1, 16, 256 live mappings
 *   kmem    P7: kernel memory per live mapping, over 256 mappings: the
 *           bytes the slab allocator's events show allocated and not
 *           freed (where the kernel has them), and the growth of Slab and
 *           PageTables in /proc/meminfo
 *   bw      read and write bandwidth through a populated 64 MiB mapping
 *           (best of 12 alternating passes per repetition)
 *   export  ours only: export a slice + mmap + touch + munmap + close
 *   profile where the time of a 1 GiB first touch and of 4 KiB cycles goes,
 *           per function (ftrace's function profiler, where the kernel has
 *           it): "# profile" lines, not samples
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <time.h>

#include "vpd_vfio.h"
#include "vpd_export.h"

#define SZ_4K	0x1000UL
#define SZ_2M	0x200000UL
#define SZ_64M	0x4000000UL
#define SZ_1G	0x40000000UL
#define MAX_MAPS 256

enum { OURS, STOCK, NR_DRV };
static const char *const drv_name[NR_DRV] = { "ours", "stock" };

struct target {
	struct vpd_dev dev;
	struct vfio_region_info bar2;
};

/* Twins: [kind][driver] */
enum { T_64M, T_1G, T_NVME, NR_T };
static const char *const roles[NR_T][NR_DRV] = {
	{ "VPD_DEV_OURS", "VPD_DEV_STOCK" },
	{ "VPD_DEV_BIG", "VPD_DEV_BIG_STOCK" },
	{ "VPD_DEV_NVME", "VPD_DEV_NVME_STOCK" },
};
static struct target tg[NR_T][NR_DRV];
static int reps = 7;

static void die(const char *fmt, ...)
{
	va_list ap;

	printf("VPD-BENCH-ERROR ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (errno %d: %s)\n", errno, strerror(errno));
	fflush(stdout);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One sample: @fmt gives the values (JSON members, no braces). */
static void emit(const char *bench, const char *param, int drv, int rep,
		 const char *fmt, ...)
{
	va_list ap;

	printf("VPD-BENCH-JSON {\"bench\": \"%s\", \"param\": \"%s\", \"driver\": \"%s\", \"rep\": %d, ",
	       bench, param, drv_name[drv], rep);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("}\n");
	fflush(stdout);
}

/* The driver of repetition @rep's @i-th turn (0, 1): ABAB, then BABA. */
static int turn(int rep, int i)
{
	return (rep & 1) ? !i : i;
}

static void open_targets(void)
{
	for (int k = 0; k < NR_T; k++)
		for (int d = 0; d < NR_DRV; d++) {
			const char *bdf = vpd_role_bdf(roles[k][d]);
			int ret;

			if (!bdf)
				die("role %s is not set", roles[k][d]);
			ret = vpd_open(&tg[k][d].dev, bdf);
			if (ret) {
				errno = -ret;
				die("open %s (%s)", roles[k][d], bdf);
			}
			if (vpd_region_info(&tg[k][d].dev, VFIO_PCI_BAR2_REGION_INDEX,
					    &tg[k][d].bar2))
				die("BAR2 info of %s", roles[k][d]);
		}
	if (tg[T_64M][OURS].bar2.size != tg[T_64M][STOCK].bar2.size ||
	    tg[T_1G][OURS].bar2.size != tg[T_1G][STOCK].bar2.size ||
	    tg[T_NVME][OURS].bar2.size != tg[T_NVME][STOCK].bar2.size)
		die("twins differ in BAR2 size");
}

static void *map_at(struct target *t, uint64_t off, size_t len, size_t align, size_t skew)
{
	void *p = vpd_mmap_at(t->dev.fd, t->bar2.offset + off, len, align, skew,
			      PROT_READ | PROT_WRITE, MAP_SHARED);

	if (p == MAP_FAILED)
		die("mmap %zu bytes of %s", len, t->dev.bdf);
	return p;
}

/* --- P1/P2: touch a whole mapping ----------------------------------------- */

static void bench_touch(void)
{
	static const struct {
		const char *param;
		int kind;
		size_t len, align, skew;
	} cases[] = {
		{ "64m-aligned", T_64M, SZ_64M, SZ_2M, 0 },
		{ "64m-unaligned", T_64M, SZ_64M, SZ_2M, SZ_4K },
		{ "1g-aligned", T_1G, SZ_1G, SZ_1G, 0 },
		{ "1g-unaligned", T_1G, SZ_1G - SZ_2M, SZ_1G, SZ_4K },
	};

	for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int rep = 0; rep < reps; rep++)
			for (int i = 0; i < 2; i++) {
				int d = turn(rep, i);
				struct target *t = &tg[cases[c].kind][d];
				volatile uint8_t *p = map_at(t, 0, cases[c].len,
							     cases[c].align, cases[c].skew);
				uint64_t t0, t1, t2;
				long f0, faults;

				f0 = vpd_minflt();
				t0 = now_ns();
				(void)*(volatile uint64_t *)p;
				t1 = now_ns();
				vpd_touch_all(p, cases[c].len);
				faults = vpd_minflt() - f0;
				t2 = now_ns();
				munmap((void *)p, cases[c].len);
				emit("touch", cases[c].param, d, rep,
				     "\"faults\": %ld, \"first_ns\": %llu, \"ns\": %llu",
				     faults, (unsigned long long)(t1 - t0),
				     (unsigned long long)(t2 - t0));
			}
}

/* --- memory_lock hold time during a first touch --------------------------- */

struct lock_probe {
	struct vpd_dev *dev;
	uint16_t cmd;
	volatile int stop;
	volatile int started;
	uint64_t max_ns;
	volatile uint64_t writes;
};

static void *lock_probe_thread(void *arg)
{
	struct lock_probe *lp = arg;

	lp->started = 1;
	while (!lp->stop) {
		uint64_t t0 = now_ns(), dt;

		if (vpd_cfg_write16(lp->dev, PCI_COMMAND, lp->cmd))
			die("PCI_COMMAND write");
		dt = now_ns() - t0;
		if (dt > lp->max_ns)
			lp->max_ns = dt;
		lp->writes++;
	}
	return NULL;
}

/*
 * The longest PCI_COMMAND write (same value, memory decode stays on) while
 * the main thread maps 1 GiB at a 1 GiB-aligned VA and reads its first word,
 * or (@touch 0) sleeps as long: the baseline.
 */
static void bench_lock(void)
{
	for (int rep = 0; rep < reps; rep++)
		for (int i = 0; i < 2; i++) {
			int d = turn(rep, i);
			struct target *t = &tg[T_1G][d];

			for (int touch = 0; touch < 2; touch++) {
				struct lock_probe lp = { .dev = &t->dev };
				volatile uint8_t *p = map_at(t, 0, SZ_1G, SZ_1G, 0);
				pthread_t th;
				uint64_t t0, t1;

				if (vpd_cfg_read16(&t->dev, PCI_COMMAND, &lp.cmd))
					die("PCI_COMMAND read");
				if (pthread_create(&th, NULL, lock_probe_thread, &lp))
					die("pthread_create");
				while (!lp.started || lp.writes < 3)
					sched_yield();
				t0 = now_ns();
				if (touch)
					(void)*(volatile uint64_t *)p;
				else
					usleep(1000);
				t1 = now_ns();
				/* Let the writer see the fault's end too. */
				{
					uint64_t w = lp.writes;

					while (lp.writes < w + 3)
						sched_yield();
				}
				lp.stop = 1;
				pthread_join(th, NULL);
				munmap((void *)p, SZ_1G);
				emit("lock", touch ? "1g-first-touch" : "baseline", d, rep,
				     "\"max_write_ns\": %llu, \"writes\": %llu, \"touch_ns\": %llu",
				     (unsigned long long)lp.max_ns,
				     (unsigned long long)lp.writes,
				     (unsigned long long)(t1 - t0));
			}
		}
}

/* --- P3: mmap + touch + munmap cycles --------------------------------------- */

static void bench_cycle(void)
{
	static const struct {
		const char *param;
		size_t len;
		int n;
	} cases[] = {
		{ "4k", SZ_4K, 256 },
		{ "2m", SZ_2M, 64 },
		{ "64m", SZ_64M, 4 },
	};

	for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int rep = 0; rep < reps; rep++)
			for (int i = 0; i < 2; i++) {
				int d = turn(rep, i);
				struct target *t = &tg[T_64M][d];
				long f0 = vpd_minflt();
				uint64_t t0 = now_ns(), t_map = 0, t_touch = 0, t_unmap = 0;

				for (int n = 0; n < cases[c].n; n++) {
					uint64_t a = now_ns(), b, e;
					volatile uint8_t *p = mmap(NULL, cases[c].len,
								   PROT_READ | PROT_WRITE,
								   MAP_SHARED, t->dev.fd,
								   t->bar2.offset);
					uint64_t sum = 0;

					if (p == MAP_FAILED)
						die("mmap %s", cases[c].param);
					b = now_ns();
					for (size_t off = 0; off < cases[c].len; off += SZ_4K)
						sum += *(volatile uint64_t *)(p + off);
					(void)sum;
					e = now_ns();
					munmap((void *)p, cases[c].len);
					t_map += b - a;
					t_touch += e - b;
					t_unmap += now_ns() - e;
				}
				emit("cycle", cases[c].param, d, rep,
				     "\"faults\": %.2f, \"ns\": %.0f, \"mmap_ns\": %.0f, "
				     "\"touch_ns\": %.0f, \"munmap_ns\": %.0f",
				     (double)(vpd_minflt() - f0) / cases[c].n,
				     (double)(now_ns() - t0) / cases[c].n,
				     (double)t_map / cases[c].n, (double)t_touch / cases[c].n,
				     (double)t_unmap / cases[c].n);
			}
}

/* --- P4: revoke + restore with N live mappings ------------------------------ */

struct maps {
	volatile uint8_t *p[MAX_MAPS];
	int n;
};

/* @n live 2 MiB mappings of @t's BAR2 (2 MiB-aligned VAs), every page touched. */
static void maps_open(struct maps *m, struct target *t, int n)
{
	uint64_t slots = t->bar2.size / SZ_2M;

	m->n = n;
	for (int i = 0; i < n; i++)
		m->p[i] = map_at(t, (i % slots) * SZ_2M, SZ_2M, SZ_2M, 0);
}

static long maps_touch(struct maps *m)
{
	long f = 0;

	for (int i = 0; i < m->n; i++)
		f += vpd_touch_all(m->p[i], SZ_2M);
	return f;
}

static void maps_close(struct maps *m)
{
	for (int i = 0; i < m->n; i++)
		munmap((void *)m->p[i], SZ_2M);
	m->n = 0;
}

static void bench_revoke(void)
{
	static const int counts[] = { 1, 16, 256 };

	for (unsigned int c = 0; c < 3; c++) {
		char param[16];

		snprintf(param, sizeof(param), "%d", counts[c]);
		for (int rep = 0; rep < reps; rep++)
			for (int i = 0; i < 2; i++) {
				int d = turn(rep, i);
				struct target *t = &tg[T_64M][d];
				struct maps m;
				uint64_t best[3] = { 0 };
				long refaults = 0;

				maps_open(&m, t, counts[c]);
				maps_touch(&m);
				/* Best of 3 cycles: host noise only ever adds. */
				for (int k = 0; k < 3; k++) {
					uint64_t t0, t1, t2, t3;
					long f;

					t0 = now_ns();
					if (vpd_set_mem_decode(&t->dev, 0))
						die("memory decode off");
					t1 = now_ns();
					if (vpd_set_mem_decode(&t->dev, 1))
						die("memory decode on");
					t2 = now_ns();
					f = maps_touch(&m);
					t3 = now_ns();
					if (!k || t2 - t0 < best[0] + best[1]) {
						best[0] = t1 - t0;
						best[1] = t2 - t1;
					}
					if (!k || t3 - t2 < best[2])
						best[2] = t3 - t2;
					refaults = f;
				}
				maps_close(&m);
				emit("revoke", param, d, rep,
				     "\"off_ns\": %llu, \"on_ns\": %llu, \"ns\": %llu, \"refault_ns\": %llu, \"refaults\": %ld",
				     (unsigned long long)best[0], (unsigned long long)best[1],
				     (unsigned long long)(best[0] + best[1]),
				     (unsigned long long)best[2], refaults);
			}
		for (int rep = 0; rep < reps; rep++)
			for (int i = 0; i < 2; i++) {
				int d = turn(rep, i);
				struct target *t = &tg[T_NVME][d];
				struct maps m;
				uint64_t t0, t1;

				maps_open(&m, t, counts[c]);
				maps_touch(&m);
				t0 = now_ns();
				if (ioctl(t->dev.fd, VFIO_DEVICE_RESET))
					die("VFIO_DEVICE_RESET");
				t1 = now_ns();
				maps_close(&m);
				emit("reset", param, d, rep, "\"ns\": %llu",
				     (unsigned long long)(t1 - t0));
			}
	}
}

/* --- P7: kernel memory per live mapping -------------------------------------- */

/* A /proc/meminfo value in kB, or die. */
static long meminfo_kb(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = atol(line + kl + 1);
			break;
		}
	fclose(f);
	if (v < 0)
		die("no %s in /proc/meminfo", key);
	return v;
}

#define TRACING "/sys/kernel/tracing"

static int tracing_write(const char *file, const char *val, int append)
{
	char path[PATH_MAX];
	int fd, ok;

	snprintf(path, sizeof(path), TRACING "/%s", file);
	fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -EINVAL;
}

/* Mount tracefs where the init did not (the test VM mounts debugfs only). */
static void tracing_mount(void)
{
	(void)!system("mount -t tracefs tracefs " TRACING " 2>/dev/null");
}

/*
 * The slab allocator's own events, where the kernel has them (kmem:
 * kmalloc, kmem_cache_alloc in this process; kfree, kmem_cache_free from
 * anywhere): the bytes allocated while they ran and not freed again, i.e.
 * what stays allocated, exactly, unlike Slab in /proc/meminfo, which moves
 * by whole slabs.  Pointers print hashed, consistently: alloc and free
 * still pair up.
 */
#define KMEM_SLOTS 65536

static struct kmem_obj {
	unsigned long long ptr;		/* 0: empty */
	unsigned long bytes;
} kmem_objs[KMEM_SLOTS];

static const char *const kmem_events[] = {
	"kmalloc", "kmem_cache_alloc", "kfree", "kmem_cache_free",
};

/* Enable (1) or disable (0) the events; 0 on success, -1 without them. */
static int kmem_events_set(int on)
{
	char path[96], pid[32];

	if (on && access(TRACING "/current_tracer", W_OK))
		tracing_mount();
	if (access(TRACING "/events/kmem/kmalloc/enable", W_OK))
		return -1;
	snprintf(pid, sizeof(pid), "common_pid == %d", getpid());
	for (unsigned int i = 0; i < sizeof(kmem_events) / sizeof(kmem_events[0]); i++) {
		snprintf(path, sizeof(path), "events/kmem/%s/filter", kmem_events[i]);
		/* Allocations by this process only; frees from any context. */
		if (on && i < 2 && tracing_write(path, pid, 0))
			return -1;
		snprintf(path, sizeof(path), "events/kmem/%s/enable", kmem_events[i]);
		if (tracing_write(path, on ? "1" : "0", 0))
			return -1;
	}
	return tracing_write("tracing_on", on ? "1" : "0", 0);
}

static struct kmem_obj *kmem_slot(unsigned long long ptr)
{
	unsigned long h = (unsigned long)((ptr * 0x9e3779b97f4a7c15ULL) >> 48) % KMEM_SLOTS;

	for (unsigned long n = 0; n < KMEM_SLOTS; n++, h = (h + 1) % KMEM_SLOTS)
		if (!kmem_objs[h].ptr || kmem_objs[h].ptr == ptr)
			return &kmem_objs[h];
	die("kmem: more than %d live objects", KMEM_SLOTS);
	return NULL;
}

/*
 * Bytes the events in the trace buffer left allocated; clears the buffer.
 * Freed slots stay as tombstones (bytes 0), so probing stays correct.
 */
static double kmem_events_net(void)
{
	char line[1024];
	double net = 0;
	FILE *f = fopen(TRACING "/trace", "r");

	if (!f)
		die("%s/trace", TRACING);
	memset(kmem_objs, 0, sizeof(kmem_objs));
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " ptr="), *b;
		unsigned long long ptr;
		struct kmem_obj *o;

		if (strstr(line, "LOST"))
			die("kmem: trace events were lost");
		if (!p)
			continue;
		ptr = strtoull(p + 5, NULL, 16);
		if (!ptr)
			continue;
		o = kmem_slot(ptr);
		o->ptr = ptr;
		if (strstr(line, " kmalloc: ") || strstr(line, " kmem_cache_alloc: ")) {
			b = strstr(line, " bytes_alloc=");
			o->bytes = b ? strtoul(b + 13, NULL, 10) : 0;
		} else {
			o->bytes = 0;
		}
	}
	fclose(f);
	for (unsigned long i = 0; i < KMEM_SLOTS; i++)
		net += kmem_objs[i].bytes;
	tracing_write("trace", "", 0);
	return net;
}

static void bench_kmem(void)
{
	cpu_set_t one, all;

	/* On one CPU: the slab's per-CPU caches then move the figure least. */
	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	for (int rep = 0; rep < reps; rep++)
		for (int i = 0; i < 2; i++) {
			int d = turn(rep, i);
			struct target *t = &tg[T_64M][d];
			long s0, s1, pt0, pt1;
			char exact[64] = "";	/* the kmem events' count, where the kernel has them */
			double alloc = 0;
			struct maps m;
			int events;

			/* Settle the per-CPU caches the last round left. */
			usleep(20000);
			tracing_write("trace", "", 0);
			events = !kmem_events_set(1);
			s0 = meminfo_kb("Slab");
			pt0 = meminfo_kb("PageTables");
			maps_open(&m, t, MAX_MAPS);
			maps_touch(&m);
			s1 = meminfo_kb("Slab");
			pt1 = meminfo_kb("PageTables");
			if (events) {
				kmem_events_set(0);
				alloc = kmem_events_net();
			}
			maps_close(&m);
			if (events)
				snprintf(exact, sizeof(exact), ", \"alloc_bytes_per_mapping\": %.1f",
					 alloc / MAX_MAPS);
			emit("kmem", "256", d, rep,
			     "\"slab_bytes_per_mapping\": %.1f, \"pagetable_bytes_per_mapping\": %.1f%s",
			     (s1 - s0) * 1024.0 / MAX_MAPS, (pt1 - pt0) * 1024.0 / MAX_MAPS, exact);
		}
	sched_setaffinity(0, sizeof(all), &all);
}

/* --- bandwidth --------------------------------------------------------------- */

/* One pass over 64 MiB at @p: MB/s. */
static double bw_pass(volatile uint64_t *p, int write)
{
	uint64_t t0 = now_ns(), sum = 0;

	if (write)
		for (size_t w = 0; w < SZ_64M / 8; w++)
			p[w] = w;
	else
		for (size_t w = 0; w < SZ_64M / 8; w++)
			sum += p[w];
	if (sum == 1)
		printf("# %llu\n", (unsigned long long)sum);
	return 64.0 * 1e9 / (now_ns() - t0);
}

/*
 * Both drivers' 64 MiB mappings populated side by side; each repetition
 * alternates passes (ours, stock, stock, ours, ...) and keeps each
 * driver's best pass: a throughput is best seen undisturbed, and the host
 * running other work only ever slows a pass down.
 */
static void bench_bw(void)
{
	volatile uint64_t *p[NR_DRV];
	const int rounds = 12;

	for (int d = 0; d < NR_DRV; d++) {
		p[d] = map_at(&tg[T_64M][d], 0, SZ_64M, SZ_2M, 0);
		vpd_touch_all((volatile uint8_t *)p[d], SZ_64M);
	}
	for (int rep = 0; rep < reps; rep++) {
		double best[NR_DRV][2] = { { 0 } };

		for (int r = 0; r < rounds; r++)
			for (int i = 0; i < 2; i++) {
				int d = turn(rep + r, i);

				for (int w = 0; w < 2; w++) {
					double v = bw_pass(p[d], w);

					if (v > best[d][w])
						best[d][w] = v;
				}
			}
		for (int i = 0; i < 2; i++) {
			int d = turn(rep, i);

			emit("bw", "64m", d, rep,
			     "\"write_mbs\": %.1f, \"read_mbs\": %.1f, \"mbs\": %.1f",
			     best[d][1], best[d][0], 2 / (1 / best[d][1] + 1 / best[d][0]));
		}
	}
	for (int d = 0; d < NR_DRV; d++)
		munmap((void *)p[d], SZ_64M);
}

/* --- exported DMABUFs (ours) -------------------------------------------------- */

static void bench_export(void)
{
	static const struct {
		const char *param;
		size_t len;
		int n;
	} cases[] = {
		{ "2m", SZ_2M, 32 },
		{ "64m", SZ_64M, 4 },
	};
	struct target *t = &tg[T_64M][OURS];

	if (vpd_feature_probe(t->dev.fd, VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_DMA_BUF)) {
		printf("# export: feature not offered, skipped\n");
		return;
	}
	for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int rep = 0; rep < reps; rep++) {
			struct vfio_region_dma_range r = { .offset = 0, .length = cases[c].len };
			long f0 = vpd_minflt();
			uint64_t t0 = now_ns();

			for (int n = 0; n < cases[c].n; n++) {
				int fd = vpd_export(t->dev.fd, VFIO_PCI_BAR2_REGION_INDEX, &r, 1);
				volatile uint8_t *p;
				uint64_t sum = 0;

				if (fd < 0) {
					errno = -fd;
					die("export %s", cases[c].param);
				}
				p = mmap(NULL, cases[c].len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
				if (p == MAP_FAILED)
					die("mmap of an exported DMABUF");
				for (size_t off = 0; off < cases[c].len; off += SZ_4K)
					sum += *(volatile uint64_t *)(p + off);
				(void)sum;
				munmap((void *)p, cases[c].len);
				close(fd);
			}
			emit("export", cases[c].param, OURS, rep,
			     "\"faults\": %.2f, \"ns\": %.0f",
			     (double)(vpd_minflt() - f0) / cases[c].n,
			     (double)(now_ns() - t0) / cases[c].n);
		}
}

/* --- where the time goes (ftrace's function profiler) ------------------------ */

struct prof_fn {
	char name[64];
	unsigned long hits;
	double us;
};

static int prof_cmp(const void *a, const void *b)
{
	const struct prof_fn *x = a, *y = b;

	return x->us < y->us ? 1 : x->us > y->us ? -1 : 0;
}

/*
 * Sum the durations function_graph printed per function ("1.234 us | f();"
 * for a leaf, "1.234 us | } /\* f *\/" at the end of one with traced callees,
 * funcgraph-tail on) and print them, largest total first.
 */
static void prof_dump(const char *what, int drv)
{
	static struct prof_fn fns[128];
	char line[512];
	int nr = 0;
	unsigned long lines = 0, lost = 0;
	FILE *f = fopen(TRACING "/trace", "r");

	if (!f)
		die("%s/trace", TRACING);
	while (fgets(line, sizeof(line), f)) {
		char *us = strstr(line, " us "), *bar, *name, *e, *q;
		struct prof_fn fn = { .hits = 1 };
		int i;

		if (strstr(line, "LOST"))
			lost++;
		if (!us || !(bar = strchr(us, '|')))
			continue;
		/* The number before " us", after any "+", "!", "#" marker. */
		for (q = us; q > line && (q[-1] == '.' || (q[-1] >= '0' && q[-1] <= '9')); q--)
			;
		fn.us = atof(q);
		name = bar + 1;
		while (*name == ' ')
			name++;
		if (!strncmp(name, "} /* ", 5)) {
			name += 5;
			e = strstr(name, " */");
		} else {
			e = strstr(name, "();");
		}
		if (!e || e - name >= (long)sizeof(fn.name))
			continue;
		memcpy(fn.name, name, e - name);
		fn.name[e - name] = '\0';
		lines++;
		for (i = 0; i < nr && strcmp(fns[i].name, fn.name); i++)
			;
		if (i == nr) {
			if (nr == 128)
				continue;
			fns[nr++] = fn;
		} else {
			fns[i].hits++;
			fns[i].us += fn.us;
		}
	}
	fclose(f);
	qsort(fns, nr, sizeof(fns[0]), prof_cmp);
	printf("# profile %s %s: %lu calls timed%s\n", drv_name[drv], what, lines,
	       lost ? " (events were lost: totals are low)" : "");
	for (int i = 0; i < nr && i < 20; i++)
		printf("# profile %s %s: %-28s %7lu calls %11.0f us %9.2f us/call\n",
		       drv_name[drv], what, fns[i].name, fns[i].hits, fns[i].us,
		       fns[i].us / fns[i].hits);
	tracing_write("trace", "", 0);
}

/*
 * Where the time of a first touch of a 64 MiB mapping, of 64 4 KiB and 16
 * 2 MiB (2 MiB-aligned) mmap + touch + munmap cycles and of memory decode
 * off + on with 256 live
 * mappings goes, per function of the mmap, fault and
 * munmap paths of both drivers: ftrace's function_graph tracer on those
 * functions only, durations including callees.  Tracing slows every
 * traced call down: the shares matter, not the totals.  Only where the
 * kernel has function_graph (stock 6.1, the perf kernels since
 * 2026-12-01).
 */
static void bench_profile(void)
{
	static const char *const fns[] = {
		"vpd_*", "vfio_pci_core_mmap", "vfio_pci_mmap_fault", "vmf_insert_pfn_prot",
		"track_pfn_insert", "track_pfn_remap", "lookup_memtype", "remap_pfn_range",
		"__get_locked_pte", "dma_buf_export", "dma_buf_release", "alloc_file_pseudo",
		"vma_set_file", "kvasprintf", "do_mmap", "mmap_region", "__do_munmap",
		"do_vmi_munmap", "do_mas_munmap", "unmap_vmas", "__fput", "unmap_mapping_range",
		"handle_mm_fault", "zap_vma_ptes", "zap_page_range*", "vfio_pci_zap_*",
		"vfio_pci_config_rw", "vfio_basic_config_write", "vfio_pci_core_write",
		"vfio_pci_mmap_*", "vfio_pci_vmf_insert_pfn", "vmf_insert_pfn_pmd*",
		"vmf_insert_pfn_pud*", "insert_pfn_pmd", "__handle_mm_fault",
		"apply_to_page_range", "pfnmap_setup_cachemode",
	};
	char avail[32] = "";
	FILE *f;

	if (access(TRACING "/current_tracer", W_OK))
		tracing_mount();
	f = fopen(TRACING "/available_tracers", "r");
	if (!f || !fgets(avail, sizeof(avail), f) || !strstr(avail, "function_graph")) {
		printf("# profile: no function_graph tracer on this kernel, skipped\n");
		if (f)
			fclose(f);
		return;
	}
	fclose(f);
	tracing_write("tracing_on", "0", 0);
	tracing_write("current_tracer", "nop", 0);
	tracing_write("buffer_size_kb", "32768", 0);
	tracing_write("set_ftrace_filter", "", 0);
	for (unsigned int i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		tracing_write("set_ftrace_filter", fns[i], 1);
	tracing_write("set_ftrace_pid", "", 0);
	{
		char pid[32];

		snprintf(pid, sizeof(pid), "%d", getpid());
		tracing_write("set_ftrace_pid", pid, 0);
	}
	tracing_write("current_tracer", "function_graph", 0);
	tracing_write("options/funcgraph-tail", "1", 0);
	tracing_write("trace", "", 0);
	for (int d = 0; d < NR_DRV; d++) {
		struct target *t = &tg[T_64M][d];
		volatile uint8_t *p = map_at(t, 0, SZ_64M, SZ_2M, 0);

		tracing_write("tracing_on", "1", 0);
		(void)*(volatile uint64_t *)p;
		tracing_write("tracing_on", "0", 0);
		munmap((void *)p, SZ_64M);
		prof_dump("64m-first-touch", d);

		tracing_write("tracing_on", "1", 0);
		for (int n = 0; n < 64; n++) {
			p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED,
				 t->dev.fd, t->bar2.offset);
			if (p == MAP_FAILED)
				die("mmap 4k");
			(void)*(volatile uint64_t *)p;
			munmap((void *)p, SZ_4K);
		}
		tracing_write("tracing_on", "0", 0);
		prof_dump("64x-4k-cycle", d);

		/* One PMD fault each where the kernel has huge PFN maps. */
		tracing_write("tracing_on", "1", 0);
		for (int n = 0; n < 16; n++) {
			p = map_at(t, 0, SZ_2M, SZ_2M, 0);
			(void)*(volatile uint64_t *)p;
			munmap((void *)p, SZ_2M);
		}
		tracing_write("tracing_on", "0", 0);
		prof_dump("16x-2m-aligned-cycle", d);

		{
			struct maps m;

			maps_open(&m, t, MAX_MAPS);
			maps_touch(&m);
			tracing_write("tracing_on", "1", 0);
			if (vpd_set_mem_decode(&t->dev, 0) || vpd_set_mem_decode(&t->dev, 1))
				die("memory decode off/on");
			tracing_write("tracing_on", "0", 0);
			maps_close(&m);
			prof_dump("256-maps-decode-off-on", d);
		}
	}
	tracing_write("current_tracer", "nop", 0);
	tracing_write("set_ftrace_filter", "", 0);
	tracing_write("set_ftrace_pid", "", 0);
	tracing_write("buffer_size_kb", "1408", 0);
}

int main(void)
{
	const char *r = getenv("VPD_BENCH_REPS");
	/* VPD_BENCH_ONLY: run only the benchmarks it names (e.g. "touch:cycle"). */
	const char *only = getenv("VPD_BENCH_ONLY");
	static const struct {
		const char *name;
		void (*fn)(void);
	} benches[] = {
		{ "touch", bench_touch }, { "lock", bench_lock },
		{ "cycle", bench_cycle }, { "revoke", bench_revoke },
		{ "kmem", bench_kmem }, { "bw", bench_bw },
		{ "export", bench_export }, { "profile", bench_profile },
	};

	if (r && atoi(r) > 0)
		reps = atoi(r);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * vpd_touch_all()'s first call takes its own first faults (its dry
	 * run's page, its text): here, not inside the first measurement.
	 */
	(void)vpd_touch_all(NULL, 0);
	open_targets();
	printf("VPD-BENCH-INFO {\"reps\": %d, \"huge_pfnmap\": %d}\n", reps, vpd_huge_pfnmap());
	for (unsigned int b = 0; b < sizeof(benches) / sizeof(benches[0]); b++) {
		uint64_t t0 = now_ns();

		if (only && *only && !strstr(only, benches[b].name))
			continue;
		benches[b].fn();
		printf("# %s took %.1f s\n", benches[b].name, (now_ns() - t0) / 1e9);
	}
	for (int k = 0; k < NR_T; k++)
		for (int d = 0; d < NR_DRV; d++)
			vpd_close(&tg[k][d].dev);
	return 0;
}
