// SPDX-License-Identifier: GPL-2.0
/*
 * Upstream's VFIO selftests as a real client of the driver.
 *
 * scripts/vmtest builds the VFIO selftests of the newest supported kernel's
 * source tree (tools/testing/selftests/vfio) and packs them into the VM
 * under /upstream-vfio (VPD_UPSTREAM_VFIO_DIR).  Each test here runs one
 * upstream binary twice, against a device bound to vfio-pci-dmabuf and
 * against its identical twin bound to vfio-pci, and requires the same result
 * set, test by test: the same passes, fails and skips.  The fixture names
 * the twins: "nvme" (VPD_DEV_NVME / VPD_DEV_NVME_STOCK: MSI-X, FLR, a
 * 64 MiB controller memory buffer in BAR2) runs every binary but
 * vfio_pci_driver_test, "ivshmem" (VPD_DEV_OURS / VPD_DEV_STOCK) only
 * vfio_iommufd_setup_test, and "igb" (VPD_DEV_IGB / VPD_DEV_IGB_STOCK, only
 * under scripts/vmtest --qemu10) vfio_pci_driver_test: the one device
 * upstream's library has a driver for (lib/drivers/igb) that QEMU
 * emulates, so DMA and MSI-X through the device itself.
 *
 * Every upstream test and its two results are printed ("# ours PASS stock
 * PASS vfio_pci_device_test.validate_bars").  A test both drivers fail
 * counts only when this kernel cannot run it, decided by probing the
 * kernel, not by its version:
 *   - iommufd modes (the "iommufd*" variants, vfio_pci_device_test, whose
 *     library defaults to iommufd, and vfio_iommufd_setup_test) need
 *     /dev/iommu: CONFIG_IOMMUFD, 6.2+ (absent on 6.1);
 *   - native iommufd (variant "iommufd", vfio_pci_device_test,
 *     vfio_iommufd_setup_test) also needs the device's vfio cdev:
 *     CONFIG_VFIO_DEVICE_CDEV, 6.6+;
 *   - vfio_dma_map_limit_test's "overflow" wants EOVERFLOW for an IOVA
 *     range past 2^64, which the type1 of 6.1 and 6.12 answers with EINVAL
 *     (probed with the same map on a type1 container of the stock twin);
 *   - a device with a BAR smaller than a page cannot be opened through
 *     upstream's library (see the ivshmem fixture below).
 * Any other shared failure fails the test too (the upstream library or the
 * VM is broken, or the kernel changed: look).  A binary none of whose tests
 * can run here is a SKIP, with the reason; selftests/inventory.txt allows
 * exactly those skips.
 */
#include <time.h>

#include "kselftest_harness.h"
#include "vpd_fixtures.h"

#define UPSTREAM_DIR	"/upstream-vfio"
#define MAX_RESULTS	128
#define MAX_OUTPUT	(4 << 20)

enum res { R_NONE, R_PASS, R_FAIL, R_SKIP };
static const char *const res_name[] = { "-", "PASS", "FAIL", "SKIP" };

struct run {
	char *out;		/* everything the binary printed */
	size_t len;
	int status;		/* waitpid() status */
	int plan;		/* the TAP plan's N, -1 if none */
};

struct result {
	char name[160];
	enum res r[2];		/* 0: ours, 1: stock */
};

/* The directory of the upstream binaries. */
static const char *upstream_dir(void)
{
	const char *d = getenv("VPD_UPSTREAM_VFIO_DIR");

	return d && *d ? d : UPSTREAM_DIR;
}

/*
 * Run @bin with @bdf (upstream's library takes the device as the last
 * argument), only @variant's tests if not NULL (the harness's -v), and
 * collect its output: 0, or -errno.
 */
static int run_upstream(const char *bin, const char *variant, const char *bdf,
			struct run *run)
{
	char path[PATH_MAX];
	int pfd[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", upstream_dir(), bin);
	if (access(path, X_OK))
		return -errno;
	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		if (variant)
			execl(path, path, "-v", variant, bdf, (char *)NULL);
		else
			execl(path, path, bdf, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	run->len = 0;
	run->out = malloc(MAX_OUTPUT + 1);
	if (!run->out)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(pfd[0], run->out + run->len, MAX_OUTPUT - run->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		run->len += n;
		if (run->len == MAX_OUTPUT)
			break;	/* the rest is lost; the plan check catches it */
	}
	run->out[run->len] = 0;
	close(pfd[0]);
	while (waitpid(pid, &run->status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static struct result *find_result(struct result *res, int *nres, const char *name)
{
	int i;

	for (i = 0; i < *nres; i++)
		if (!strcmp(res[i].name, name))
			return &res[i];
	if (*nres == MAX_RESULTS)
		return NULL;
	memset(&res[*nres], 0, sizeof(res[0]));
	snprintf(res[*nres].name, sizeof(res[0].name), "%s", name);
	return &res[(*nres)++];
}

/*
 * Read the TAP result lines of @run into @res (column @col): "ok N NAME",
 * "not ok N NAME", "ok N NAME # SKIP reason".  Returns how many it read, or
 * -1 if a name does not fit.
 */
static int parse_tap(struct run *run, struct result *res, int *nres, int col)
{
	char *copy = strdup(run->out), *line, *save = NULL;
	int count = 0;

	if (!copy)
		return -1;
	run->plan = -1;
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[160], *hash;
		enum res r;
		struct result *e;
		int num, len, pos = 0;

		if (sscanf(line, "1..%d%n", &num, &pos) == 1 && !line[pos]) {
			run->plan = num;
			continue;
		}
		if (sscanf(line, "ok %d %n", &num, &pos) == 1 && pos)
			r = R_PASS;
		else if (sscanf(line, "not ok %d %n", &num, &pos) == 1 && pos)
			r = R_FAIL;
		else
			continue;
		hash = strstr(line + pos, " # ");
		if (hash && !strncmp(hash, " # SKIP", 7))
			r = R_SKIP;
		len = hash ? hash - (line + pos) : (int)strlen(line + pos);
		if (len >= (int)sizeof(name))
			break;
		memcpy(name, line + pos, len);
		name[len] = 0;
		e = find_result(res, nres, name);
		if (!e)
			break;
		e->r[col] = r;
		count++;
	}
	free(copy);
	return line ? -1 : count;
}

/* Print @run's output, each line behind "# " (it is no TAP of ours). */
static void dump(const char *who, const char *bin, struct run *run)
{
	char *p = run->out, *nl;

	ksft_print_msg("---- %s %s output (%zu bytes, status 0x%x) ----\n",
		       who, bin, run->len, run->status);
	for (; p < run->out + run->len; p = nl + 1) {
		nl = memchr(p, '\n', run->out + run->len - p);
		if (!nl)
			nl = run->out + run->len;
		ksft_print_msg("| %.*s\n", (int)(nl - p), p);
	}
}

static bool have_iommufd(void)
{
	int fd = open("/dev/iommu", O_RDWR);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool have_cdev(const char *bdf)
{
	char name[64];

	return vpd_vfio_dev_name(bdf, name, sizeof(name)) == 0 &&
	       vpd_vfio_dev_has_cdev(name);
}

/*
 * Whether @bdf has a memory BAR smaller than a page (ivshmem's 256-byte
 * BAR0), which vfio-pci and ours offer for mmap() when it starts a page.
 */
static bool has_subpage_bar(const char *bdf)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX];
	bool ret = false;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return false;
	for (i = 0; i < 6 && fscanf(f, "%llx %llx %llx", &start, &end, &flags) == 3; i++)
		if ((flags & 0x200) && end > start &&	/* IORESOURCE_MEM */
		    end - start + 1 < (unsigned long long)getpagesize())
			ret = true;
	fclose(f);
	return ret;
}

/*
 * The errno type1 gives for a DMA map whose IOVA range wraps past 2^64, as
 * vfio_dma_map_limit_test's "overflow" asks (two pages at the last page),
 * probed through @bdf (the stock twin): EOVERFLOW in 7.3, EINVAL in the
 * type1 of 6.1 and 6.12.  0 if it maps (it must not), -1 if the probe
 * itself fails.
 */
static int type1_overflow_errno(const char *bdf)
{
	static int cached = -2;
	size_t pg = getpagesize();
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = ~0ULL & ~(unsigned long long)(pg - 1),
		.size = 2 * pg,
	};
	struct vpd_dev d;
	void *buf;

	if (cached != -2)
		return cached;
	cached = -1;
	buf = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return cached;
	if (!vpd_open(&d, bdf)) {
		map.vaddr = (uintptr_t)buf;
		cached = ioctl(d.container, VFIO_IOMMU_MAP_DMA, &map) ? errno : 0;
	}
	vpd_close(&d);
	munmap(buf, 2 * pg);
	return cached;
}

/*
 * Why this kernel cannot run upstream test @test (its TAP name; "" for the
 * whole binary) of @bin on @bdf, or NULL if it can.
 */
static const char *cannot_run(const char *bin, const char *test, const char *bdf)
{
	bool compat = false, native = false;
	const char *dot = strchr(test, '.'), *var = dot ? dot + 1 : "";
	bool three = dot && strchr(var, '.');

	if (!strcmp(bin, "vfio_pci_device_test") || !strcmp(bin, "vfio_iommufd_setup_test"))
		native = true;	/* library default mode / the binary's subject */
	else if (three && !strncmp(var, "iommufd_compat", 14))
		compat = true;
	else if (three && !strncmp(var, "iommufd", 7))
		native = true;
	/* Every binary but vfio_iommufd_setup_test opens through the library. */
	if (strcmp(bin, "vfio_iommufd_setup_test") && has_subpage_bar(bdf))
		return "a BAR smaller than a page: upstream's mmap_reserve() munmap()s inside a page (EINVAL)";
	if ((compat || native) && !have_iommufd())
		return "no iommufd (/dev/iommu: CONFIG_IOMMUFD, 6.2+)";
	if (three && !strncmp(var, "vfio_type1", 10) && strstr(var, ".overflow") &&
	    type1_overflow_errno(bdf) == EINVAL)
		return "type1 answers an IOVA range past 2^64 with EINVAL, not EOVERFLOW (probed)";
	if (native && !have_cdev(bdf))
		return "no vfio device cdev (CONFIG_VFIO_DEVICE_CDEV, 6.6+)";
	return NULL;
}

/*
 * Run upstream binary @bin on the device of role @ours (bound to
 * vfio-pci-dmabuf) and on its twin of role @stock (bound to vfio-pci), and
 * compare.
 */
static void compare_variant(struct __test_metadata *_metadata, const char *ours,
			    const char *stock, const char *bin, const char *variant)
{
	const char *bdf[2] = { vpd_role_bdf(ours), vpd_role_bdf(stock) };
	static const char *const who[2] = { "ours", "stock" };
	static struct result res[MAX_RESULTS];
	struct run run[2] = {};
	int nres = 0, n[2], i, c, diff = 0, bad = 0, ran = 0, notrun = 0;
	const char *why;

	ASSERT_TRUE(bdf[0] && bdf[1]) TH_LOG("no device for %s or %s", ours, stock);
	for (c = 0; c < 2; c++) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_EQ(0, run_upstream(bin, variant, bdf[c], &run[c]))
			TH_LOG("cannot run %s/%s: %s", upstream_dir(), bin, strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ksft_print_msg("%s: %s %s took %.1f s\n", who[c], bin, bdf[c],
			       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		n[c] = parse_tap(&run[c], res, &nres, c);
		ASSERT_LE(0, n[c]) TH_LOG("%s: too many tests or a name too long", bin);
	}
	/*
	 * No TAP at all: the binary died before its harness started (upstream's
	 * main() asserts, e.g. vfio_iommufd_setup_test finding no cdev).
	 */
	if (n[0] == 0 && n[1] == 0 && run[0].plan < 0 && run[1].plan < 0) {
		why = cannot_run(bin, "", bdf[1]);
		if (why && WIFEXITED(run[0].status) && WIFEXITED(run[1].status) &&
		    WEXITSTATUS(run[0].status) == WEXITSTATUS(run[1].status)) {
			ksft_print_msg("%s exits %d before its tests, on both: %s\n",
				       bin, WEXITSTATUS(run[1].status), why);
			SKIP(goto out, "%s: %s", bin, why);
		}
		dump(who[0], bin, &run[0]);
		dump(who[1], bin, &run[1]);
		ASSERT_TRUE(0) TH_LOG("%s reported no tests", bin);
	}

	for (i = 0; i < nres; i++) {
		struct result *e = &res[i];

		why = cannot_run(bin, e->name, bdf[1]);
		if (e->r[0] != e->r[1]) {
			diff++;
			ksft_print_msg("ours %s stock %s %s  <-- DIFFERENT\n",
				       res_name[e->r[0]], res_name[e->r[1]], e->name);
		} else if (e->r[1] == R_FAIL && why) {
			notrun++;
			ksft_print_msg("ours %s stock %s %s  (cannot run here: %s)\n",
				       res_name[e->r[0]], res_name[e->r[1]], e->name, why);
		} else if (e->r[1] == R_FAIL) {
			bad++;
			ksft_print_msg("ours %s stock %s %s  <-- fails on both\n",
				       res_name[e->r[0]], res_name[e->r[1]], e->name);
		} else {
			ran++;
			ksft_print_msg("ours %s stock %s %s\n",
				       res_name[e->r[0]], res_name[e->r[1]], e->name);
		}
	}
	for (c = 0; c < 2; c++) {
		/* Every test the plan announced reported, and the binary ended. */
		if (run[c].plan != n[c] || !WIFEXITED(run[c].status)) {
			ksft_print_msg("%s: %s on %s: plan %d, %d results, status 0x%x\n",
				       who[c], bin, bdf[c], run[c].plan, n[c], run[c].status);
			bad++;
		}
	}
	if (diff || bad) {
		dump(who[0], bin, &run[0]);
		dump(who[1], bin, &run[1]);
	}
	ksft_print_msg("%s: %d tests, %d same on both, %d cannot run here, %d different, %d broken\n",
		       bin, nres, ran, notrun, diff, bad);
	ASSERT_EQ(0, diff) TH_LOG("ours and stock differ");
	ASSERT_EQ(0, bad) TH_LOG("failures this kernel does not explain");
	if (!ran)
		SKIP(goto out, "%s: no test can run here (%s)", bin,
		     cannot_run(bin, "", bdf[1]) ?: "?");
out:
	free(run[0].out);
	free(run[1].out);
}

static void compare(struct __test_metadata *_metadata, const char *ours,
		    const char *stock, const char *bin)
{
	compare_variant(_metadata, ours, stock, bin, NULL);
}

/*
 * The NVMe twins (VPD_DEV_NVME / VPD_DEV_NVME_STOCK): MSI-X, FLR, BAR0 of
 * 16 KiB, a 64 MiB controller memory buffer in BAR2 (the largest BAR: the
 * one vfio_dma_mapping_mmio_test maps into the IOMMU).  Every binary runs
 * on them.  Timeouts: each binary runs twice, under TCG, on debug kernels.
 */
FIXTURE(nvme) {
	int unused;
};

FIXTURE_SETUP(nvme)
{
}

FIXTURE_TEARDOWN(nvme)
{
}

TEST_F_TIMEOUT(nvme, vfio_dma_mapping_mmio_test, 900)
{
	compare(_metadata, "VPD_DEV_NVME", "VPD_DEV_NVME_STOCK", "vfio_dma_mapping_mmio_test");
}

TEST_F_TIMEOUT(nvme, vfio_dma_mapping_test, 900)
{
	compare(_metadata, "VPD_DEV_NVME", "VPD_DEV_NVME_STOCK", "vfio_dma_mapping_test");
}

TEST_F_TIMEOUT(nvme, vfio_iommufd_setup_test, 900)
{
	compare(_metadata, "VPD_DEV_NVME", "VPD_DEV_NVME_STOCK", "vfio_iommufd_setup_test");
}

TEST_F_TIMEOUT(nvme, vfio_pci_device_test, 900)
{
	compare(_metadata, "VPD_DEV_NVME", "VPD_DEV_NVME_STOCK", "vfio_pci_device_test");
}

/*
 * The ivshmem twins (VPD_DEV_OURS / VPD_DEV_STOCK), the driver's main test
 * devices, run only the binary that does not open them through upstream's
 * library: their BAR0 is 256 bytes, and the library's vfio_pci_device_init()
 * maps every mappable BAR through mmap_reserve(), whose munmap() of the
 * reservation's tail then starts inside a page and fails (EINVAL) on any
 * kernel, with either driver.  cannot_run() knows it too.
 */
FIXTURE(ivshmem) {
	int unused;
};

FIXTURE_SETUP(ivshmem)
{
}

FIXTURE_TEARDOWN(ivshmem)
{
}

TEST_F_TIMEOUT(ivshmem, vfio_iommufd_setup_test, 900)
{
	compare(_metadata, "VPD_DEV_OURS", "VPD_DEV_STOCK", "vfio_iommufd_setup_test");
}

#define SHMEM_THP "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/*
 * Set shared anonymous memory's THP mode to @mode, and return the one it
 * had in @old (the bracketed word of the sysfs file): 0, or -errno.
 */
static int set_shmem_thp(const char *mode, char *old, size_t size)
{
	char buf[256], *b, *e;
	int fd, ret = 0;

	fd = open(SHMEM_THP, O_RDWR);
	if (fd < 0)
		return -errno;
	memset(buf, 0, sizeof(buf));
	if (read(fd, buf, sizeof(buf) - 1) < 0) {
		ret = -errno;
	} else if (old) {
		b = strchr(buf, '[');
		e = b ? strchr(b, ']') : NULL;
		if (!e)
			ret = -EINVAL;
		else
			snprintf(old, size, "%.*s", (int)(e - b - 1), b + 1);
	}
	if (!ret && write(fd, mode, strlen(mode)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * The igb twins (VPD_DEV_IGB / VPD_DEV_IGB_STOCK): Intel 82576 NICs, which
 * QEMU emulates from 8.0 on; scripts/vmtest adds them with --qemu10 (the
 * host's QEMU is 7.2).  Upstream's library drives them (lib/drivers/igb:
 * loopback memcpy through TX/RX DMA, an MSI-X interrupt), so
 * vfio_pci_driver_test runs here and nowhere else.  Only its "iommufd"
 * variant (native iommufd on the device's cdev): under TCG on a debug
 * kernel each of its five IOMMU-mode variants takes minutes per device,
 * and the other binaries already run on the NVMe twins.
 */

FIXTURE(igb) {
	char thp_old[32];	/* the shmem THP mode to restore, "" for none */
};

FIXTURE_SETUP(igb)
{
	self->thp_old[0] = 0;
	if (!vpd_role_bdf("VPD_DEV_IGB") || !vpd_role_bdf("VPD_DEV_IGB_STOCK"))
		SKIP(return, "the outer QEMU emulates no igb (QEMU < 8.0); see scripts/vmtest --qemu10");
}

FIXTURE_TEARDOWN(igb)
{
	if (self->thp_old[0])
		EXPECT_EQ(0, set_shmem_thp(self->thp_old, NULL, 0))
			TH_LOG("cannot restore %s to %s", SHMEM_THP, self->thp_old);
}

/*
 * Each test's fixture maps a 1 GiB MAP_SHARED|MAP_ANONYMOUS region into
 * the IOMMU, and upstream's harness gives a test 30 s, setup and teardown
 * included.  In 4 KiB pages (shmem THP is "never" by default), faulting,
 * pinning and mapping 262144 pages under TCG on a debug kernel takes
 * longer than that: the first test times out, and the next ones find the
 * group still held by the killed one (EBUSY).  In 2 MiB folios it is 512
 * of each; the mode is restored afterwards.
 */
TEST_F_TIMEOUT(igb, vfio_pci_driver_test, 900)
{
	char old[32];

	ASSERT_EQ(0, set_shmem_thp("always", old, sizeof(old)))
		TH_LOG("cannot set %s: %s", SHMEM_THP, strerror(errno));
	snprintf(self->thp_old, sizeof(self->thp_old), "%s", old);
	compare_variant(_metadata, "VPD_DEV_IGB", "VPD_DEV_IGB_STOCK", "vfio_pci_driver_test",
			"iommufd");
}
TEST_HARNESS_MAIN
