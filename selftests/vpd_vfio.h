/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fixture with nothing to set up, for tests that need TEST_F_TIMEOUT():
 * a plain TEST() gets the harness's 30 s, too little for populating a 1 GiB
 * BAR page by page (6.1) on a debug kernel under TCG on a loaded host.
 */
#define VPD_FIXTURE_NONE(name)		\
	FIXTURE(name) { int unused; };	\
	FIXTURE_SETUP(name) {}		\
	FIXTURE_TEARDOWN(name) {}

/* The 1 GiB BAR's tests: one fixture name, one timeout. */
#define VPD_BIG_TIMEOUT	600

/*
 * Small helpers for the selftests: find the test devices by role, open them
 * through VFIO's group API, map their regions, and reach the same memory
 * through a "witness" device that shares the host backing file.
 *
 * The VM harness (scripts/vmtest) exports one environment variable per role:
 *   VPD_DEV_OURS, VPD_DEV_STOCK       identical 64 MiB ivshmem devices, the
 *                                     first bound to vfio-pci-dmabuf, the
 *                                     second to vfio-pci
 *   VPD_DEV_OURS_W, VPD_DEV_STOCK_W   witnesses: ivshmem devices backed by
 *                                     the same host file as OURS / STOCK,
 *                                     bound to no driver
 *   VPD_DEV_BIG                       a 1 GiB ivshmem device
 *   VPD_DEV_RST0, VPD_DEV_RST1        two functions behind a root port
 */
#ifndef VPD_VFIO_H
#define VPD_VFIO_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

struct vpd_dev {
	char bdf[32];
	int container;
	int group;
	int fd;
};

static inline const char *vpd_role_bdf(const char *role_env)
{
	const char *v = getenv(role_env);

	return (v && *v) ? v : NULL;
}

/* Name of the driver bound to a PCI device, "" when none. */
static inline int vpd_driver_of(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		buf[0] = '\0';
		return errno == ENOENT ? 0 : -errno;
	}
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	memcpy(buf, base, strlen(base) + 1);
	return 0;
}

static inline int vpd_iommu_group_of(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	const char *base;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	base = strrchr(link, '/');
	return atoi(base ? base + 1 : link);
}

/* Open `bdf` through a fresh container + its group. Returns 0 or -errno. */
static inline int vpd_open(struct vpd_dev *d, const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int grp, ret;

	memset(d, 0, sizeof(*d));
	d->container = d->group = d->fd = -1;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);

	grp = vpd_iommu_group_of(bdf);
	if (grp < 0)
		return grp;
	d->container = open("/dev/vfio/vfio", O_RDWR);
	if (d->container < 0)
		return -errno;
	if (ioctl(d->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return -EINVAL;
	snprintf(path, sizeof(path), "/dev/vfio/%d", grp);
	d->group = open(path, O_RDWR);
	if (d->group < 0)
		return -errno;
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &status))
		return -errno;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		return -errno;
	if (ioctl(d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	ret = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (ret < 0)
		return -errno;
	d->fd = ret;
	return 0;
}

static inline void vpd_close(struct vpd_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->group >= 0)
		close(d->group);
	if (d->container >= 0)
		close(d->container);
	d->fd = d->group = d->container = -1;
}

static inline int vpd_region_info(struct vpd_dev *d, unsigned int index,
				  struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, info) ? -errno : 0;
}

/*
 * The start of BAR @bar of @bdf as sysfs "resource" shows it (on x86 the bus
 * address), 0 if unknown.
 */
static inline unsigned long long vpd_bar_start(const char *bdf, int bar)
{
	unsigned long long start = 0, end, flags;
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return 0;
	for (int i = 0; i <= bar; i++)
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			start = 0;
	fclose(f);
	return start;
}

/*
 * Map a witness device's BAR through sysfs (resourceN), enabling the
 * device's memory decode first.  The witness shares the host backing file of
 * the device under test, so this is the host's view of its memory.
 */
static inline void *vpd_map_witness(const char *bdf, int bar, size_t len)
{
	char path[PATH_MAX];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/enable", bdf);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0) {
			/* already enabled is fine */
		}
		close(fd);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource%d", bdf, bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return MAP_FAILED;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p;
}

/* A cheap deterministic pattern: splitmix64 of (seed, index). */
static inline uint64_t vpd_pattern(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void vpd_fill(volatile uint64_t *p, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len / 8; i++)
		p[i] = vpd_pattern(seed, i);
}

/* Index of the first mismatching word, or -1. */
static inline long vpd_check(const volatile uint64_t *p, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len / 8; i++)
		if (p[i] != vpd_pattern(seed, i))
			return (long)i;
	return -1;
}

/* --- config space through the vfio config region ------------------------ */

static inline int vpd_cfg_read(struct vpd_dev *d, unsigned int off, void *val,
			       size_t len)
{
	struct vfio_region_info info;
	int ret = vpd_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &info);

	if (ret)
		return ret;
	return pread(d->fd, val, len, info.offset + off) == (ssize_t)len ? 0 : -errno;
}

static inline int vpd_cfg_write(struct vpd_dev *d, unsigned int off,
				const void *val, size_t len)
{
	struct vfio_region_info info;
	int ret = vpd_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &info);

	if (ret)
		return ret;
	return pwrite(d->fd, val, len, info.offset + off) == (ssize_t)len ? 0 : -errno;
}

static inline int vpd_cfg_read16(struct vpd_dev *d, unsigned int off, uint16_t *v)
{
	return vpd_cfg_read(d, off, v, 2);
}

static inline int vpd_cfg_write16(struct vpd_dev *d, unsigned int off, uint16_t v)
{
	return vpd_cfg_write(d, off, &v, 2);
}

/* Offset of standard capability @id (PCI_CAP_ID_*), 0 if absent. */
static inline unsigned int vpd_find_cap(struct vpd_dev *d, uint8_t id)
{
	uint8_t pos = 0, cap[2];
	int guard = 48;

	if (vpd_cfg_read(d, PCI_CAPABILITY_LIST, &pos, 1))
		return 0;
	while (pos && guard--) {
		if (vpd_cfg_read(d, pos & ~3u, cap, 2))
			return 0;
		if (cap[PCI_CAP_LIST_ID] == id)
			return pos & ~3u;
		pos = cap[PCI_CAP_LIST_NEXT];
	}
	return 0;
}

/* Set or clear the memory decode bit of the command register. */
static inline int vpd_set_mem_decode(struct vpd_dev *d, int on)
{
	uint16_t cmd;
	int ret = vpd_cfg_read16(d, PCI_COMMAND, &cmd);

	if (ret)
		return ret;
	cmd = on ? (cmd | PCI_COMMAND_MEMORY) : (cmd & ~PCI_COMMAND_MEMORY);
	return vpd_cfg_write16(d, PCI_COMMAND, cmd);
}

/*
 * Values of the PowerState field (PCI_PM_CTRL_STATE_MASK) of PCI_PM_CTRL;
 * the kernel's PCI_D0 / PCI_D3hot are not UAPI.
 */
#define VPD_PM_STATE_D0		0x0
#define VPD_PM_STATE_D3HOT	0x3

/*
 * @pmcsr with its PowerState field set to @state: what to write to
 * PCI_PM_CTRL of the PM capability to enter that state.
 */
static inline uint16_t vpd_pmcsr_state(uint16_t pmcsr, uint16_t state)
{
	return (pmcsr & ~PCI_PM_CTRL_STATE_MASK) | state;
}

/* --- access probing ---------------------------------------------------- */

static sigjmp_buf vpd_probe_jmp;
static volatile sig_atomic_t vpd_probe_sig;

static void vpd_probe_handler(int sig)
{
	vpd_probe_sig = sig;
	siglongjmp(vpd_probe_jmp, 1);
}

/*
 * Touch one 64-bit word: 0 when the access completed, the signal number
 * (SIGBUS, SIGSEGV) when it faulted.  @write stores @val, else the word read
 * is returned through @val.
 */
static inline int vpd_touch(volatile uint64_t *p, int write, uint64_t *val)
{
	struct sigaction sa = { .sa_handler = vpd_probe_handler }, obus, osegv;
	int ret = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	vpd_probe_sig = 0;
	if (sigsetjmp(vpd_probe_jmp, 1) == 0) {
		if (write)
			*p = *val;
		else
			*val = *p;
	} else {
		ret = vpd_probe_sig;
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return ret;
}

/* --- fault counting and placement ---------------------------------------- */

static inline long vpd_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Read one word per page of [p, p + len): the faults this took, and any other. */
static __attribute__((noinline, unused)) long vpd_touch_all_once(const volatile uint8_t *p,
								size_t len)
{
	long before = vpd_minflt();
	uint64_t sum = 0;

	for (size_t off = 0; off < len; off += 4096)
		sum += *(const volatile uint64_t *)(p + off);
	(void)sum;
	return vpd_minflt() - before;
}

/*
 * Read one word per page of [p, p + len): the faults this took.
 *
 * Only the mapping's faults: right after fork() every stack page of the
 * child is copy-on-write and its text is not mapped yet, so the first
 * write of a stack page (getrusage() filling its result, a spill) or the
 * first run of this code would count as a fault of the mapping, or not,
 * depending on where exec placed the stack (tests/host/touch_all_test.c).
 * A dry run over a page of our own, from the same frame, takes those
 * faults first; the counted run is no tail call, so its frame is the dry
 * run's.
 */
static __attribute__((noinline, unused)) long vpd_touch_all(const volatile uint8_t *p, size_t len)
{
	static uint8_t own[4096] __attribute__((aligned(4096)));
	long n;

	*(volatile uint8_t *)own = 1;
	(void)vpd_touch_all_once(own, sizeof(own));
	n = vpd_touch_all_once(p, len);
	__asm__ volatile("" : "+r"(n));
	return n;
}

/*
 * mmap @len bytes of region offset @off of @fd at a virtual address that is
 * @align-aligned plus @skew bytes (so skew 4096 gives a VA that is not
 * huge-aligned).  Returns MAP_FAILED on error with errno set.
 */
static inline void *vpd_mmap_at(int fd, off_t off, size_t len, size_t align,
				size_t skew, int prot, int flags)
{
	size_t span = len + align + skew;
	uint8_t *res, *addr;
	void *p;

	res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	addr = (uint8_t *)(((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1)) + skew;
	p = mmap(addr, len, prot, flags | MAP_FIXED, fd, off);
	if (p == MAP_FAILED) {
		int e = errno;

		munmap(res, span);
		errno = e;
		return MAP_FAILED;
	}
	/* Release the reservation around the mapping. */
	if (addr > res)
		munmap(res, addr - res);
	if (res + span > addr + len)
		munmap(addr + len, res + span - (addr + len));
	return p;
}

/*
 * Map @len bytes of @d's BAR2 at an @align-aligned VA plus @skew, touch
 * every page and unmap: the faults that took, or -1.
 */
static inline long vpd_bar2_faults(struct vpd_dev *d, size_t len, size_t align,
				   size_t skew)
{
	struct vfio_region_info bar2;
	uint8_t *map;
	long n;

	if (vpd_region_info(d, VFIO_PCI_BAR2_REGION_INDEX, &bar2))
		return -1;
	map = vpd_mmap_at(d->fd, bar2.offset, len, align, skew,
			  PROT_READ | PROT_WRITE, MAP_SHARED);
	if (map == MAP_FAILED)
		return -1;
	n = vpd_touch_all(map, len);
	munmap(map, len);
	return n;
}

/* --- page tables (debugfs, CONFIG_PTDUMP_DEBUGFS) ------------------------ */

#define VPD_PTDUMP "/sys/kernel/debug/page_tables/current_kernel"

/* The page-table entry covering an address, as ptdump prints it. */
struct vpd_pt_entry {
	char level[8];		/* "pte", "pmd", "pud" */
	int pwt, pcd, pat;
	unsigned long start, end;
};

/* The entry covering @addr: 0, -ENOENT if none, -errno without ptdump. */
static inline int vpd_ptdump_lookup(unsigned long addr, struct vpd_pt_entry *e)
{
	char line[512];
	FILE *f = fopen(VPD_PTDUMP, "r");
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, t;
		char *lvl;

		if (sscanf(line, "0x%lx-0x%lx", &s, &t) != 2 || addr < s || addr >= t)
			continue;
		memset(e, 0, sizeof(*e));
		e->start = s;
		e->end = t;
		/* Flags are fixed-width words; the level is the last word. */
		e->pwt = strstr(line, " PWT ") != NULL;
		e->pcd = strstr(line, " PCD ") != NULL;
		e->pat = strstr(line, " PAT ") != NULL;
		line[strcspn(line, "\n")] = '\0';
		lvl = strrchr(line, ' ');
		snprintf(e->level, sizeof(e->level), "%s", lvl ? lvl + 1 : "?");
		printf("# ptdump: %s\n", line);
		found = 0;
		break;
	}
	fclose(f);
	return found;
}

/*
 * Kernel release as major * 1000 + minor: only for behaviour of the kernel
 * itself that changed between releases (badinput_test's per-release
 * expectations).  What the module does on this kernel, it reports itself
 * (vpd_huge_pfnmap()).
 */
static inline int vpd_kernel_version(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &maj, &min);
	return maj * 1000 + min;
}

/* --- what the module reports about this kernel --------------------------- */

#define VPD_HUGE_PMD	0x1
#define VPD_HUGE_PUD	0x2
#define VPD_HUGE_PFNMAP_PARAM "/sys/module/vfio_pci_dmabuf/parameters/huge_pfnmap"

/*
 * The huge PFN mappings the loaded module inserts on this kernel, as it
 * reports them ("pmd,pud", "pmd" or "none": its build-time probe of the
 * kernel, also modinfo's huge_pfnmap): a mask of VPD_HUGE_PMD and
 * VPD_HUGE_PUD, or -errno when the module does not say.
 */
static inline int vpd_huge_pfnmap(void)
{
	char buf[32] = "", *tok, *save;
	int mask = 0;
	FILE *f = fopen(VPD_HUGE_PFNMAP_PARAM, "r");

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	if (!strcmp(buf, "none"))
		return 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "pmd"))
			mask |= VPD_HUGE_PMD;
		else if (!strcmp(tok, "pud"))
			mask |= VPD_HUGE_PUD;
		else
			return -EINVAL;
	}
	return mask ? mask : -EINVAL;
}

/* --- hot reset through a sibling ------------------------------------------ */

/*
 * The fd of @b1 (a sibling of @d0 on the same bus), opened in @d0's
 * container: through @d0's group when they share it, else through its own
 * group (*group1, else -1).  The fd or -errno.
 */
static inline int vpd_open_sibling(struct vpd_dev *d0, const char *b1, int *group1)
{
	int g0 = vpd_iommu_group_of(d0->bdf), g1 = vpd_iommu_group_of(b1), fd;
	char path[64];

	*group1 = -1;
	if (g0 < 0 || g1 < 0)
		return -ENODEV;
	if (g1 == g0) {
		fd = ioctl(d0->group, VFIO_GROUP_GET_DEVICE_FD, b1);
		return fd < 0 ? -errno : fd;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", g1);
	*group1 = open(path, O_RDWR);
	if (*group1 < 0)
		return -errno;
	if (ioctl(*group1, VFIO_GROUP_SET_CONTAINER, &d0->container))
		return -errno;
	fd = ioctl(*group1, VFIO_GROUP_GET_DEVICE_FD, b1);
	return fd < 0 ? -errno : fd;
}

/*
 * VFIO_DEVICE_PCI_HOT_RESET through @fd1, owning @d0's group (and @group1
 * unless negative): 0 or -errno (-EXDEV when the bus has one device).
 */
static inline int vpd_hot_reset(int fd1, struct vpd_dev *d0, int group1)
{
	struct vfio_pci_hot_reset *reset;
	struct vfio_pci_hot_reset_info *info;
	int n = group1 >= 0 ? 2 : 1, ret;

	info = calloc(1, 4096);
	if (!info)
		return -ENOMEM;
	info->argsz = 4096;
	if (ioctl(fd1, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info)) {
		ret = -errno;
		free(info);
		return ret;
	}
	ret = info->count >= 2 ? 0 : -EXDEV;
	free(info);
	if (ret)
		return ret;
	reset = calloc(1, sizeof(*reset) + 2 * sizeof(int));
	if (!reset)
		return -ENOMEM;
	reset->argsz = sizeof(*reset) + n * sizeof(int);
	reset->count = n;
	reset->group_fds[0] = d0->group;
	if (group1 >= 0)
		reset->group_fds[1] = group1;
	ret = ioctl(fd1, VFIO_DEVICE_PCI_HOT_RESET, reset) ? -errno : 0;
	free(reset);
	return ret;
}

/*
 * Whether a fork child keeps the entries of the populated mapping @p, as
 * observed: the child reads one word and reports whether that faulted.
 * 1 (kept), 0 (the child faulted), -errno.
 */
static inline int vpd_fork_keeps_entries(const volatile uint8_t *p)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(vpd_touch_all(p, 4096) == 0 ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (!WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status) == 0;
}

/*
 * vfio-pci up to 6.9 puts a mapping on the list its zap walks when the
 * mapping faults, and its open() zaps a fork copy so that the copy faults
 * and gets listed.  That holds only where fork copies the entries before
 * calling open() (6.1.176); where fork calls open() first (Debian's
 * 6.1.192, like 6.10+), the copy keeps the entries and is on no list:
 * vfio-pci never revokes it.  Decided by what fork does here, given @p, a
 * populated mapping of a device bound to vfio-pci: 1 when vfio-pci misses
 * the copy, 0 when not, -errno.
 */
static inline int vpd_stock_misses_fork_copy(const volatile uint8_t *p)
{
	if (vpd_kernel_version() >= 6010)
		return 0;	/* zapped through the address_space */
	return vpd_fork_keeps_entries(p);
}

#endif /* VPD_VFIO_H */
