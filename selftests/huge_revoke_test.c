// SPDX-License-Identifier: GPL-2.0
/*
 * Revocation of huge BAR mappings, side by side with vfio-pci.
 *
 * Each test maps a BAR at a PMD-aligned VA (64 MiB BARs, and the 1 GiB BAR
 * at a VA that is 2 MiB- but not 1 GiB-aligned) or at a PUD-aligned VA (the
 * 1 GiB BAR, bound only to our driver), touches every page, goes through one
 * revoke point, and then checks:
 *
 * - while revoked (memory decode off, D3hot, low-power entry): every 2 MiB
 *   window raises SIGBUS, on a read of its first word and a write of its
 *   last; the resets (FLR, VFIO_DEVICE_RESET, hot reset through the
 *   sibling) revoke only while the call runs, so for them the refault count
 *   alone proves the zap;
 * - after the device is usable again: touching every page takes exactly the
 *   faults that map the whole range from nothing (one per 1 GiB PUD, one per
 *   2 MiB PMD where the kernel has huge PFN maps; one for the whole VMA where
 *   it has not, ours and vfio-pci alike), so every window was zapped;
 * - the data written before the revoke is intact.
 *
 * A fork of a huge-mapped VMA copies its PMD/PUD entries: the child touches
 * everything without a fault (vfio-pci up to 6.9 zaps the copy: one fault
 * maps it again), then both processes see SIGBUS in every window while
 * revoked and refault every window afterwards, with intact data.
 */
#include <sys/wait.h>
#include <linux/pci_regs.h>

#include "vpd_export.h"
#include "kselftest_harness.h"

#define SZ_4K	0x1000UL
#define SZ_2M	0x200000UL
#define SZ_64M	0x4000000UL
#define SZ_1G	0x40000000UL

#define POISON	0xbadbadbadbadbadULL

/*
 * Whether the kernel maps PFNs with PMD/PUD entries, as the module's probe
 * of it reports (vfio-pci's huge faults follow the same kernel support).
 * The only place this test decides it.
 */
static int huge_pfnmap(void)
{
	return vpd_huge_pfnmap() > 0;
}

/*
 * Faults that touching every page of a BAR mapping [va, va + len) takes
 * when nothing of it is mapped.  With huge PFN maps: one per PUD-aligned
 * 1 GiB, one per PMD-aligned 2 MiB (the BARs are naturally aligned, so the
 * PFNs are too), else one per 2 MiB window for our fault-around and one per
 * page for vfio-pci.  Without (6.1): the first fault maps the whole VMA,
 * ours and vfio-pci alike.
 */
static long expected_faults(uintptr_t va, size_t len, int ours)
{
	uintptr_t end = va + len;
	long n = 0;

	if (!huge_pfnmap())
		return 1;
	while (va < end) {
		n++;
		if (!(va & (SZ_1G - 1)) && end - va >= SZ_1G)
			va += SZ_1G;
		else if (!(va & (SZ_2M - 1)) && end - va >= SZ_2M)
			va += SZ_2M;
		else if (ours)
			va = (va | (SZ_2M - 1)) + 1 < end ? (va | (SZ_2M - 1)) + 1 : end;
		else
			va += SZ_4K;
	}
	return n;
}

/*
 * Whether vfio-pci zaps a fork copy of its mapping: up to 6.9 its open()
 * zaps the copy's PTEs, so that the copy's next fault puts it on the core's
 * vma_list; where fork copies them after open() (fork_revoke() skips the
 * other order, see vpd_stock_misses_fork_copy()).  Our driver lists the
 * copy instead and leaves its entries alone.
 */
static int stock_zaps_fork_copy(void)
{
	return vpd_kernel_version() < 6010;
}

/* One word per @stride bytes: BAR-indexed pattern @seed. */
static void fill_sparse(volatile uint8_t *p, size_t len, uint64_t seed, size_t stride)
{
	for (size_t off = 0; off < len; off += stride)
		*(volatile uint64_t *)(p + off) = vpd_pattern(seed, off / 8);
}

/* -1, or the offset of the first word that differs. */
static long check_sparse(const volatile uint8_t *p, size_t len, uint64_t seed, size_t stride)
{
	for (size_t off = 0; off < len; off += stride)
		if (*(const volatile uint64_t *)(p + off) != vpd_pattern(seed, off / 8))
			return (long)off;
	return -1;
}

/* A BAR mapping under test. */
struct hmap {
	struct vpd_dev dev;
	struct vfio_region_info bar2;
	uint8_t *map;
	size_t len;
	int ours;
	uint64_t seed;
	size_t stride;
};

static void hmap_init(struct hmap *h)
{
	memset(h, 0, sizeof(*h));
	h->dev.container = h->dev.group = h->dev.fd = -1;
}

static void hmap_cleanup(struct hmap *h)
{
	if (h->map && h->map != MAP_FAILED)
		munmap(h->map, h->len);
	h->map = NULL;
	vpd_close(&h->dev);
}

/*
 * Open the device of @role (bound to @driver), map @len bytes of BAR2 at a
 * VA @align-aligned plus @skew, check the first touch of every page takes
 * the expected faults, and write a pattern (one word per @stride bytes).
 */
static void hmap_setup(struct __test_metadata *_metadata, struct hmap *h, const char *role,
		       const char *driver, size_t bar_size, size_t len, size_t align,
		       size_t skew, uint64_t seed, size_t stride)
{
	const char *bdf = vpd_role_bdf(role);
	char drv[64];
	long n, want;

	ASSERT_NE(NULL, bdf) TH_LOG("%s", role);
	ASSERT_EQ(0, vpd_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ(driver, drv);
	ASSERT_EQ(0, vpd_open(&h->dev, bdf));
	ASSERT_EQ(0, vpd_region_info(&h->dev, VFIO_PCI_BAR2_REGION_INDEX, &h->bar2));
	ASSERT_EQ(bar_size, h->bar2.size);
	h->ours = !strcmp(driver, "vfio-pci-dmabuf");
	h->len = len;
	h->seed = seed;
	h->stride = stride;
	h->map = vpd_mmap_at(h->dev.fd, h->bar2.offset, len, align, skew,
			     PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, h->map) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(skew, (uintptr_t)h->map & (align - 1));

	want = expected_faults((uintptr_t)h->map, len, h->ours);
	n = vpd_touch_all(h->map, len);
	ksft_print_msg("FAULTS first touch of %zu MiB at VA %% %zu MiB = %zu KiB: %ld (expected %ld)\n",
		       len >> 20, align >> 20, skew >> 10, n, want);
	EXPECT_EQ(want, n);
	fill_sparse(h->map, len, seed, stride);
	/* Everything is mapped before the revoke point. */
	EXPECT_EQ(0, vpd_touch_all(h->map, len));
}

#define HMAP_SETUP(h, v, seed, stride) \
	hmap_setup(_metadata, (h), (v)->role, (v)->driver, (v)->bar_size, (v)->len, \
		   (v)->align, (v)->skew, (seed), (stride))

/* While revoked: every 2 MiB window raises SIGBUS, and only SIGBUS. */
static void expect_revoked(struct __test_metadata *_metadata, struct hmap *h, const char *what)
{
	struct vpd_window_probe pr = vpd_probe_windows(h->map, h->len, SZ_2M, POISON);

	EXPECT_EQ(h->len / SZ_2M, pr.windows) TH_LOG("%s", what);
	EXPECT_EQ(pr.windows, pr.sigbus) TH_LOG("%s: window %ld reached", what, pr.first_ok);
	EXPECT_EQ(0, pr.other_sig) TH_LOG("%s: signal %d", what, pr.other_sig);
}

/*
 * Usable again: touching every page takes exactly the faults of a fresh
 * mapping (every window was zapped), and the data is intact.
 */
static void expect_refault(struct __test_metadata *_metadata, struct hmap *h, const char *what)
{
	long want = expected_faults((uintptr_t)h->map, h->len, h->ours);
	long n = vpd_touch_all(h->map, h->len);

	ksft_print_msg("FAULTS refault after %s (%s, %zu MiB): %ld (expected %ld)\n",
		       what, h->ours ? "ours" : "vfio-pci", h->len >> 20, n, want);
	EXPECT_EQ(want, n) TH_LOG("%s", what);
	EXPECT_EQ(-1, check_sparse(h->map, h->len, h->seed, h->stride)) TH_LOG("%s", what);
	EXPECT_EQ(0, vpd_touch_all(h->map, h->len)) TH_LOG("%s: faults once mapped", what);
}

/* --- revoke points ----------------------------------------------------------- */

static int set_decode(struct hmap *h, int on)
{
	return vpd_set_mem_decode(&h->dev, on);
}

/* D3hot (@on = 0) or D0 (@on = 1) through PMCSR. */
static int set_power(struct hmap *h, int on)
{
	unsigned int pm = vpd_find_cap(&h->dev, PCI_CAP_ID_PM);
	uint16_t pmcsr;
	int ret;

	if (!pm)
		return -ENODEV;
	ret = vpd_cfg_read16(&h->dev, pm + PCI_PM_CTRL, &pmcsr);
	if (ret)
		return ret;
	pmcsr &= ~PCI_PM_CTRL_STATE_MASK;
	if (!on)
		pmcsr |= 3;	/* D3hot */
	return vpd_cfg_write16(&h->dev, pm + PCI_PM_CTRL, pmcsr);
}

/* Low-power entry (@on = 0) or exit (@on = 1). */
static int set_low_power(struct hmap *h, int on)
{
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_SET |
			 (on ? VFIO_DEVICE_FEATURE_LOW_POWER_EXIT :
			       VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY),
	};

	return ioctl(h->dev.fd, VFIO_DEVICE_FEATURE, &feat) ? -errno : 0;
}

/* Function-level reset through the PCIe capability's Device Control. */
static int flr(struct hmap *h)
{
	unsigned int exp = vpd_find_cap(&h->dev, PCI_CAP_ID_EXP);
	uint16_t devctl;
	int ret;

	if (!exp)
		return -ENODEV;
	ret = vpd_cfg_read16(&h->dev, exp + PCI_EXP_DEVCTL, &devctl);
	if (ret)
		return ret;
	return vpd_cfg_write16(&h->dev, exp + PCI_EXP_DEVCTL, devctl | PCI_EXP_DEVCTL_BCR_FLR);
}

/*
 * A revoke point with a state the user can hold: off, every window
 * SIGBUS, on, exact refault, data intact.
 */
static void revoke_held(struct __test_metadata *_metadata, struct hmap *h, const char *what,
			int (*set)(struct hmap *, int))
{
	ASSERT_EQ(0, set(h, 0)) TH_LOG("%s: %s", what, strerror(errno));
	expect_revoked(_metadata, h, what);
	ASSERT_EQ(0, set(h, 1)) TH_LOG("%s: back: %s", what, strerror(errno));
	expect_refault(_metadata, h, what);
}

/* --- fork ---------------------------------------------------------------------- */

struct child_rep {
	long inherited;		/* faults to touch everything right after fork */
	struct vpd_window_probe probe;
	long refault;
	long bad;		/* check_sparse() after the refault */
};

/*
 * fork() with the whole mapping populated by huge entries; the child must
 * inherit them (but for vfio-pci's zap of the copy up to 6.9).  Then @set(h, 0) revokes: both processes see SIGBUS in every
 * window; @set(h, 1): both refault exactly every window, data intact.
 */
static void fork_revoke(struct __test_metadata *_metadata, struct hmap *h, const char *what,
			int (*set)(struct hmap *, int))
{
	int to_child[2], to_parent[2], status;
	long want = expected_faults((uintptr_t)h->map, h->len, h->ours);
	long inherit = !h->ours && stock_zaps_fork_copy() ? want : 0;
	struct child_rep rep = { 0 };
	char c, why[96];
	pid_t pid;

	if (!h->ours) {
		int miss = vpd_stock_misses_fork_copy(h->map);

		ASSERT_LE(0, miss);
		if (miss)
			SKIP(return, "vfio-pci on this kernel never revokes a fork copy (fork calls open() before copying the entries; the copy is on no vma_list)");
	}
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct child_rep r = { 0 };

		/* Only the parent's ends stay open: if it fails, the child reads EOF and exits. */
		close(to_child[1]);
		close(to_parent[0]);
		r.inherited = vpd_touch_all(h->map, h->len);
		if (write(to_parent[1], &r, sizeof(r)) != sizeof(r) ||
		    read(to_child[0], &c, 1) != 1)
			_exit(3);
		r.probe = vpd_probe_windows(h->map, h->len, SZ_2M, POISON);
		if (write(to_parent[1], &r, sizeof(r)) != sizeof(r) ||
		    read(to_child[0], &c, 1) != 1)
			_exit(3);
		r.refault = vpd_touch_all(h->map, h->len);
		r.bad = check_sparse(h->map, h->len, h->seed, h->stride);
		if (write(to_parent[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);

	ASSERT_EQ(sizeof(rep), read(to_parent[0], &rep, sizeof(rep)));
	ksft_print_msg("FAULTS child touches everything after fork: %ld (expected %ld)\n",
		       rep.inherited, inherit);
	EXPECT_EQ(inherit, rep.inherited) TH_LOG("the child's copy of the entries");

	ASSERT_EQ(0, set(h, 0)) TH_LOG("%s: %s", what, strerror(errno));
	expect_revoked(_metadata, h, what);
	ASSERT_EQ(1, write(to_child[1], "p", 1));
	ASSERT_EQ(sizeof(rep), read(to_parent[0], &rep, sizeof(rep)));
	EXPECT_EQ(h->len / SZ_2M, rep.probe.windows);
	EXPECT_EQ(rep.probe.windows, rep.probe.sigbus)
		TH_LOG("%s: the child reached window %ld", what, rep.probe.first_ok);
	EXPECT_EQ(0, rep.probe.other_sig);

	ASSERT_EQ(0, set(h, 1)) TH_LOG("%s: back: %s", what, strerror(errno));
	ASSERT_EQ(1, write(to_child[1], "r", 1));
	ASSERT_EQ(sizeof(rep), read(to_parent[0], &rep, sizeof(rep)));
	ksft_print_msg("FAULTS child refault after %s: %ld (expected %ld)\n", what,
		       rep.refault, want);
	EXPECT_EQ(want, rep.refault) TH_LOG("child");
	EXPECT_EQ(-1, rep.bad) TH_LOG("child: data changed at %ld", rep.bad);
	expect_refault(_metadata, h, what);

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child %s", vpd_wait_str(status, why, sizeof(why)));
	close(to_child[1]);
	close(to_parent[0]);
}

/* --- ivshmem twins: 64 MiB, RAM behind the BAR --------------------------------- */

FIXTURE(ivs) {
	struct hmap h;
};

FIXTURE_VARIANT(ivs) {
	const char *role, *driver;
	size_t bar_size, len, align, skew;
};

FIXTURE_VARIANT_ADD(ivs, ours_pmd) {
	.role = "VPD_DEV_OURS", .driver = "vfio-pci-dmabuf",
	.bar_size = SZ_64M, .len = SZ_64M, .align = SZ_2M,
};

FIXTURE_VARIANT_ADD(ivs, stock_pmd) {
	.role = "VPD_DEV_STOCK", .driver = "vfio-pci",
	.bar_size = SZ_64M, .len = SZ_64M, .align = SZ_2M,
};

FIXTURE_SETUP(ivs)
{
	hmap_init(&self->h);
}

FIXTURE_TEARDOWN(ivs)
{
	hmap_cleanup(&self->h);
}

TEST_F_TIMEOUT(ivs, memory_decode, 120)
{
	HMAP_SETUP(&self->h, variant, 0xdec0de, 8);
	revoke_held(_metadata, &self->h, "memory decode", set_decode);
}

TEST_F_TIMEOUT(ivs, fork_memory_decode, 120)
{
	HMAP_SETUP(&self->h, variant, 0xf04c, 8);
	fork_revoke(_metadata, &self->h, "memory decode (fork)", set_decode);
}

/* --- the 1 GiB BAR, ours only: PUD- and PMD-aligned ------------------------------ */

FIXTURE(big) {
	struct hmap h;
};

FIXTURE_VARIANT(big) {
	const char *role, *driver;
	size_t bar_size, len, align, skew;
};

/* The whole BAR at a 1 GiB-aligned VA: one PUD. */
FIXTURE_VARIANT_ADD(big, ours_pud) {
	.role = "VPD_DEV_BIG", .driver = "vfio-pci-dmabuf",
	.bar_size = SZ_1G, .len = SZ_1G, .align = SZ_1G, .skew = 0,
};

/* The whole BAR 2 MiB past a 1 GiB boundary: 512 PMDs. */
FIXTURE_VARIANT_ADD(big, ours_pmd) {
	.role = "VPD_DEV_BIG", .driver = "vfio-pci-dmabuf",
	.bar_size = SZ_1G, .len = SZ_1G, .align = SZ_1G, .skew = SZ_2M,
};

FIXTURE_SETUP(big)
{
	hmap_init(&self->h);
}

FIXTURE_TEARDOWN(big)
{
	hmap_cleanup(&self->h);
}

TEST_F_TIMEOUT(big, memory_decode, 300)
{
	HMAP_SETUP(&self->h, variant, 0xb16dec, SZ_4K);
	revoke_held(_metadata, &self->h, "memory decode", set_decode);
}

/* An ivshmem device has no PM capability, but low-power entry still revokes. */
TEST_F_TIMEOUT(big, low_power, 300)
{
	HMAP_SETUP(&self->h, variant, 0xb1910e, SZ_4K);
	revoke_held(_metadata, &self->h, "low power", set_low_power);
}

TEST_F_TIMEOUT(big, fork_memory_decode, 300)
{
	HMAP_SETUP(&self->h, variant, 0xb16f04, SZ_4K);
	fork_revoke(_metadata, &self->h, "memory decode (fork)", set_decode);
}

/* --- NVMe twins: 64 MiB controller memory buffer; FLR, PM, reset ------------------- */

/* The CMB is slow to reach under TCG: one word per page. */
#define CMB_STRIDE SZ_4K

FIXTURE(nvme) {
	struct hmap h;
};

FIXTURE_VARIANT(nvme) {
	const char *role, *driver;
	size_t bar_size, len, align, skew;
};

FIXTURE_VARIANT_ADD(nvme, ours_pmd) {
	.role = "VPD_DEV_NVME", .driver = "vfio-pci-dmabuf",
	.bar_size = SZ_64M, .len = SZ_64M, .align = SZ_2M,
};

FIXTURE_VARIANT_ADD(nvme, stock_pmd) {
	.role = "VPD_DEV_NVME_STOCK", .driver = "vfio-pci",
	.bar_size = SZ_64M, .len = SZ_64M, .align = SZ_2M,
};

FIXTURE_SETUP(nvme)
{
	hmap_init(&self->h);
}

FIXTURE_TEARDOWN(nvme)
{
	hmap_cleanup(&self->h);
}

TEST_F_TIMEOUT(nvme, d3hot, 180)
{
	HMAP_SETUP(&self->h, variant, 0xd3d3, CMB_STRIDE);
	revoke_held(_metadata, &self->h, "D3hot", set_power);
}

TEST_F_TIMEOUT(nvme, low_power, 180)
{
	HMAP_SETUP(&self->h, variant, 0x10e7, CMB_STRIDE);
	revoke_held(_metadata, &self->h, "low power", set_low_power);
}

TEST_F_TIMEOUT(nvme, flr, 180)
{
	HMAP_SETUP(&self->h, variant, 0xf1f1, CMB_STRIDE);
	ASSERT_EQ(0, flr(&self->h));
	expect_refault(_metadata, &self->h, "FLR");
}

TEST_F_TIMEOUT(nvme, device_reset, 180)
{
	HMAP_SETUP(&self->h, variant, 0x4e5e, CMB_STRIDE);
	ASSERT_EQ(0, ioctl(self->h.dev.fd, VFIO_DEVICE_RESET)) TH_LOG("%s", strerror(errno));
	expect_refault(_metadata, &self->h, "VFIO_DEVICE_RESET");
}

/* D3hot with a fork copy: both processes lose every window and refault. */
TEST_F_TIMEOUT(nvme, fork_d3hot, 180)
{
	HMAP_SETUP(&self->h, variant, 0xf0d3, CMB_STRIDE);
	fork_revoke(_metadata, &self->h, "D3hot (fork)", set_power);
}

/* --- hot reset of RST0's bus, issued through RST1's fd ------------------------------ */

FIXTURE(rst) {
	struct hmap h;
	char drv0[64], drv1[64];	/* the bindings found, restored at teardown */
	int fd1, group1;
};

FIXTURE_VARIANT(rst) {
	const char *role, *driver;
	size_t bar_size, len, align, skew;
};

FIXTURE_VARIANT_ADD(rst, ours_pmd) {
	.role = "VPD_DEV_RST0", .driver = "vfio-pci-dmabuf",
	.bar_size = SZ_64M, .len = SZ_64M, .align = SZ_2M,
};

/* Both functions moved to vfio-pci for the test. */
FIXTURE_VARIANT_ADD(rst, stock_pmd) {
	.role = "VPD_DEV_RST0", .driver = "vfio-pci",
	.bar_size = SZ_64M, .len = SZ_64M, .align = SZ_2M,
};

FIXTURE_SETUP(rst)
{
	const char *b0 = vpd_role_bdf("VPD_DEV_RST0"), *b1 = vpd_role_bdf("VPD_DEV_RST1");

	hmap_init(&self->h);
	self->fd1 = self->group1 = -1;
	self->drv0[0] = self->drv1[0] = '\0';
	ASSERT_NE(NULL, b0);
	ASSERT_NE(NULL, b1);
	ASSERT_EQ(0, vpd_driver_of(b0, self->drv0, sizeof(self->drv0)));
	ASSERT_EQ(0, vpd_driver_of(b1, self->drv1, sizeof(self->drv1)));
	ASSERT_EQ(0, vpd_bind_to(b0, variant->driver));
	ASSERT_EQ(0, vpd_bind_to(b1, variant->driver));
}

FIXTURE_TEARDOWN(rst)
{
	const char *b0 = vpd_role_bdf("VPD_DEV_RST0"), *b1 = vpd_role_bdf("VPD_DEV_RST1");

	/* Every fd first: unbinding an open device would wait for it. */
	if (self->fd1 >= 0)
		close(self->fd1);
	if (self->group1 >= 0)
		close(self->group1);
	hmap_cleanup(&self->h);
	if (b0 && self->drv0[0]) {
		EXPECT_EQ(0, vpd_bind_to(b0, self->drv0)) TH_LOG("RST0 not restored to %s", self->drv0);
	}
	if (b1 && self->drv1[0]) {
		EXPECT_EQ(0, vpd_bind_to(b1, self->drv1)) TH_LOG("RST1 not restored to %s", self->drv1);
	}
}

TEST_F_TIMEOUT(rst, hot_reset_through_sibling, 180)
{
	HMAP_SETUP(&self->h, variant, 0x5b1b, 8);
	self->fd1 = vpd_open_sibling(&self->h.dev, vpd_role_bdf("VPD_DEV_RST1"), &self->group1);
	ASSERT_GE(self->fd1, 0) TH_LOG("RST1: %s", strerror(-self->fd1));
	ASSERT_EQ(0, vpd_hot_reset(self->fd1, &self->h.dev, self->group1));
	expect_refault(_metadata, &self->h, "hot reset through RST1");
}

TEST_HARNESS_MAIN
