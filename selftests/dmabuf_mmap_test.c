// SPDX-License-Identifier: GPL-2.0
/*
 * DMABUF-backed BAR mappings: checks and errnos, names, fault counts,
 * revocation at every revoke point, and the lifetime of a mapping.  Where
 * parity with vfio-pci is expected the same test runs against the identical
 * device bound to stock vfio-pci (variant "stock").
 */
#include <linux/futex.h>
#include <linux/iommufd.h>
#include <stddef.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "vpd_vfio.h"
#include "kselftest_harness.h"

#define SZ_4K	0x1000UL
#define SZ_2M	0x200000UL
#define SZ_64M	0x4000000UL
#define SZ_1G	0x40000000UL
#define VFIO_OFFSET_SHIFT 40
#ifndef offsetofend
#define offsetofend(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#endif

/* ------------------------------------------------------------------------ */
/* ivshmem twins: ours and stock                                            */
/* ------------------------------------------------------------------------ */

FIXTURE(twin) {
	struct vpd_dev dev;
	struct vfio_region_info bar2;
	const char *witness;
};

FIXTURE_VARIANT(twin) {
	const char *role;
	const char *witness_role;
	const char *driver;
	int ours;
};

FIXTURE_VARIANT_ADD(twin, ours) {
	.role = "VPD_DEV_OURS", .witness_role = "VPD_DEV_OURS_W",
	.driver = "vfio-pci-dmabuf", .ours = 1,
};

FIXTURE_VARIANT_ADD(twin, stock) {
	.role = "VPD_DEV_STOCK", .witness_role = "VPD_DEV_STOCK_W",
	.driver = "vfio-pci", .ours = 0,
};

FIXTURE_SETUP(twin)
{
	const char *bdf = vpd_role_bdf(variant->role);
	char drv[64];

	ASSERT_NE(NULL, bdf);
	self->witness = vpd_role_bdf(variant->witness_role);
	ASSERT_EQ(0, vpd_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ(variant->driver, drv);
	ASSERT_EQ(0, vpd_open(&self->dev, bdf));
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &self->bar2));
	ASSERT_EQ(SZ_64M, self->bar2.size);
}

FIXTURE_TEARDOWN(twin)
{
	vpd_close(&self->dev);
}

/* Requests vfio-pci refuses, and the errno it refuses them with. */
static const struct {
	const char *what;
	unsigned int index;	/* region index */
	unsigned long long off;	/* offset inside the region */
	size_t len;
	int flags;
	int err;
} bad_mmaps[] = {
	{ "private mapping", 2, 0, SZ_4K, MAP_PRIVATE, EINVAL },
	{ "offset at the BAR end", 2, SZ_64M, SZ_4K, MAP_SHARED, EINVAL },
	{ "length past the BAR end", 2, SZ_64M - SZ_4K, 2 * SZ_4K, MAP_SHARED, EINVAL },
	{ "absent BAR", 1, 0, SZ_4K, MAP_SHARED, EINVAL },
	{ "ROM region", VFIO_PCI_ROM_REGION_INDEX, 0, SZ_4K, MAP_SHARED, EINVAL },
	{ "config region", VFIO_PCI_CONFIG_REGION_INDEX, 0, SZ_4K, MAP_SHARED, EINVAL },
	{ "VGA region", VFIO_PCI_VGA_REGION_INDEX, 0, SZ_4K, MAP_SHARED, EINVAL },
	{ "no such device region", VFIO_PCI_NUM_REGIONS, 0, SZ_4K, MAP_SHARED, EINVAL },
	{ "index far out", 200, 0, SZ_4K, MAP_SHARED, EINVAL },
};

TEST_F(twin, mmap_errnos)
{
	for (size_t i = 0; i < sizeof(bad_mmaps) / sizeof(bad_mmaps[0]); i++) {
		off_t off = ((off_t)bad_mmaps[i].index << VFIO_OFFSET_SHIFT) + bad_mmaps[i].off;
		void *p = mmap(NULL, bad_mmaps[i].len, PROT_READ | PROT_WRITE,
			       bad_mmaps[i].flags, self->dev.fd, off);

		EXPECT_EQ(MAP_FAILED, p) TH_LOG("%s: mapped", bad_mmaps[i].what);
		if (p != MAP_FAILED) {
			munmap(p, bad_mmaps[i].len);
			continue;
		}
		EXPECT_EQ(bad_mmaps[i].err, errno) TH_LOG("%s: errno %d", bad_mmaps[i].what, errno);
	}
}

/* A partial mapping at an offset sees the right part of the BAR. */
TEST_F(twin, partial_mapping_offset)
{
	size_t len = SZ_64M;
	uint64_t *full, *part;

	full = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, full);
	part = mmap(NULL, 3 * SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd,
		    self->bar2.offset + 5 * SZ_2M + SZ_4K);
	ASSERT_NE(MAP_FAILED, part);
	vpd_fill(full, len, 0xa11ce);
	for (size_t w = 0; w < 3 * SZ_2M / 8; w += 4099)
		EXPECT_EQ(full[(5 * SZ_2M + SZ_4K) / 8 + w], part[w]);
	munmap(part, 3 * SZ_2M);
	munmap(full, len);
}

/*
 * Memory decode off through a config write: the mapping faults with SIGBUS
 * until decode is back on, then maps again with the data intact.
 */
TEST_F(twin, revoke_memory_decode)
{
	size_t len = SZ_64M;
	uint64_t *map, v = 0;
	long bad;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	vpd_fill(map, len, 0xdec0de);

	ASSERT_EQ(0, vpd_set_mem_decode(&self->dev, 0));
	EXPECT_EQ(SIGBUS, vpd_touch(&map[0], 0, &v));
	EXPECT_EQ(SIGBUS, vpd_touch(&map[len / 16], 0, &v));
	v = 1;
	EXPECT_EQ(SIGBUS, vpd_touch(&map[len / 8 - 1], 1, &v));

	ASSERT_EQ(0, vpd_set_mem_decode(&self->dev, 1));
	EXPECT_EQ(0, vpd_touch(&map[0], 0, &v));
	bad = vpd_check(map, len, 0xdec0de);
	EXPECT_EQ(-1, bad) TH_LOG("data changed at word %ld", bad);
	munmap(map, len);
}

/* fork(): the child shares the mapping (no copy-on-write). */
TEST_F(twin, fork_shares_mapping)
{
	volatile uint64_t *map;
	pid_t pid;
	int status;

	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, (void *)map);
	map[7] = 1;
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		map[7] = 0xc0ffee;
		_exit(map[7] == 0xc0ffee ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0xc0ffee, map[7]);
	munmap((void *)map, SZ_2M);
}

/*
 * Revocation reaches every copy of a mapping: a forked child's (fork copies
 * PFN-map PTEs) and both halves of a split VMA.
 */
TEST_F(twin, revoke_reaches_fork_and_split)
{
	int to_child[2], to_parent[2], status;
	uint8_t *map;
	uint64_t v;
	char c;
	pid_t pid;

	map = mmap(NULL, 3 * SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd,
		   self->bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	vpd_touch_all(map, 3 * SZ_2M);
	/* Split: unmap the middle 2 MiB. */
	ASSERT_EQ(0, munmap(map + SZ_2M, SZ_2M));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int sig_lo, sig_hi;

		/* Populated before the revoke, through the copied PTEs. */
		vpd_touch_all(map, SZ_2M);
		if (write(to_parent[1], "r", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(3);
		sig_lo = vpd_touch((uint64_t *)map, 0, &v);
		sig_hi = vpd_touch((uint64_t *)(map + 2 * SZ_2M), 0, &v);
		_exit(sig_lo == SIGBUS && sig_hi == SIGBUS ? 0 : 1);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_EQ(0, vpd_set_mem_decode(&self->dev, 0));
	EXPECT_EQ(SIGBUS, vpd_touch((uint64_t *)map, 0, &v));
	EXPECT_EQ(SIGBUS, vpd_touch((uint64_t *)(map + 2 * SZ_2M), 0, &v));
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, vpd_set_mem_decode(&self->dev, 1));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the fork child still reached the BAR");
	EXPECT_EQ(0, vpd_touch((uint64_t *)map, 0, &v));
	munmap(map, SZ_2M);
	munmap(map + 2 * SZ_2M, SZ_2M);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/*
 * vfio-pci-core's own DMABUF export (VFIO_DEVICE_FEATURE_DMA_BUF, 6.19+)
 * behaves the same for both drivers: same refusals, same errnos, and a
 * DMABUF fd for a valid request.  Skipped where the kernel lacks it.
 */
TEST_F(twin, dma_buf_export_parity)
{
	static const struct {
		const char *what;
		unsigned int region, flags, nr;
		unsigned long long off, len;
		int err;
	} reqs[] = {
		{ "no ranges", 2, 0, 0, 0, SZ_4K, EINVAL },
		{ "flags set", 2, 1, 1, 0, SZ_4K, EINVAL },
		{ "ROM region", VFIO_PCI_ROM_REGION_INDEX, 0, 1, 0, SZ_4K, ENODEV },
		{ "empty range", 2, 0, 1, 0, 0, EINVAL },
		{ "unaligned offset", 2, 0, 1, 8, SZ_4K, EINVAL },
		{ "unaligned length", 2, 0, 1, 0, 100, EINVAL },
		{ "beyond the BAR", 2, 0, 1, SZ_64M - SZ_4K, 2 * SZ_4K, EINVAL },
		{ "valid", 2, 0, 1, SZ_2M, SZ_2M, 0 },
	};
	char buf[sizeof(struct vfio_device_feature) + sizeof(struct vfio_device_feature_dma_buf) +
		 sizeof(struct vfio_region_dma_range)] __attribute__((aligned(8)));
	struct vfio_device_feature *feat = (struct vfio_device_feature *)buf;
	struct vfio_device_feature_dma_buf *db = (struct vfio_device_feature_dma_buf *)feat->data;

	memset(buf, 0, sizeof(buf));
	feat->argsz = sizeof(buf);
	feat->flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	if (ioctl(self->dev.fd, VFIO_DEVICE_FEATURE, feat))
		SKIP(return, "no VFIO_DEVICE_FEATURE_DMA_BUF: %s", strerror(errno));

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		int fd;

		memset(buf, 0, sizeof(buf));
		feat->argsz = sizeof(buf);
		feat->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
		db->region_index = reqs[i].region;
		db->open_flags = O_RDWR | O_CLOEXEC;
		db->flags = reqs[i].flags;
		db->nr_ranges = reqs[i].nr;
		db->dma_ranges[0].offset = reqs[i].off;
		db->dma_ranges[0].length = reqs[i].len;
		fd = ioctl(self->dev.fd, VFIO_DEVICE_FEATURE, feat);
		if (reqs[i].err) {
			EXPECT_EQ(-1, fd) TH_LOG("%s: accepted", reqs[i].what);
			EXPECT_EQ(reqs[i].err, errno) TH_LOG("%s: errno %d", reqs[i].what, errno);
		} else {
			EXPECT_GE(fd, 0) TH_LOG("%s: %s", reqs[i].what, strerror(errno));
			if (fd >= 0) {
				EXPECT_EQ((off_t)reqs[i].len, lseek(fd, 0, SEEK_END));
				close(fd);
			}
		}
		if (fd >= 0 && reqs[i].err)
			close(fd);
	}
}

TEST_F(twin, mremap_growth_refused)
{
	void *map, *p;

	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	p = mremap(map, SZ_2M, 2 * SZ_2M, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EFAULT, errno);
	munmap(map, SZ_2M);
}

/*
 * get_user_pages() on the mapping fails cleanly, on PMD/PUD-mapped ranges
 * too (the whole mapping is touched first): O_DIRECT I/O from it,
 * process_vm_readv(), vmsplice() and a futex on it.
 */
TEST_F(twin, gup_refused)
{
	char buf[64];
	uint8_t *map;
	struct iovec local = { .iov_base = buf, .iov_len = sizeof(buf) }, remote;
	int fd, pipefd[2];
	void *dbuf;

	map = vpd_mmap_at(self->dev.fd, self->bar2.offset, SZ_64M, SZ_2M, 0,
			  PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	vpd_touch_all(map, SZ_64M);

	remote.iov_base = map + SZ_4K;
	remote.iov_len = sizeof(buf);
	EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, pipe(pipefd));
	local.iov_base = map + SZ_2M;
	local.iov_len = SZ_4K;
	EXPECT_EQ(-1, vmsplice(pipefd[1], &local, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	close(pipefd[0]);
	close(pipefd[1]);

	EXPECT_EQ(-1, syscall(SYS_futex, (uint32_t *)(map + 3 * SZ_2M), FUTEX_WAIT,
			      *(uint32_t *)(map + 3 * SZ_2M) + 1, NULL, NULL, 0));
	EXPECT_EQ(EFAULT, errno);

	/* O_DIRECT on a RAM block device: the bio pins the user pages. */
	fd = open("/dev/ram0", O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0) TH_LOG("/dev/ram0: %s", strerror(errno));
	EXPECT_EQ(-1, pwrite(fd, map + 5 * SZ_2M, SZ_4K, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pread(fd, map + 7 * SZ_2M, SZ_4K, 0));
	EXPECT_EQ(EFAULT, errno);
	/* ... while the same I/O from ordinary memory works. */
	ASSERT_EQ(0, posix_memalign(&dbuf, SZ_4K, SZ_4K));
	EXPECT_EQ((ssize_t)SZ_4K, pwrite(fd, dbuf, SZ_4K, 0));
	free(dbuf);
	close(fd);
	munmap(map, SZ_64M);
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

struct unbind_job {
	char path[256];
	const char *bdf;
	int ret;
	volatile int done;
};

/* A thread, not a child: a child would inherit the mapping and the fds. */
static void *unbind_thread(void *arg)
{
	struct unbind_job *job = arg;

	job->ret = write_file(job->path, job->bdf);
	job->done = 1;
	return NULL;
}

/*
 * Unbinding a mapped device: the user is asked (request notifier) to let
 * go; unbind completes once the mapping and the fds are gone; the device
 * then binds again.
 */
TEST_F_TIMEOUT(twin, unbind_while_mapped, 120)
{
	char irq_buf[sizeof(struct vfio_irq_set) + sizeof(int)], drv[64];
	struct vfio_irq_set *irq = (struct vfio_irq_set *)irq_buf;
	struct unbind_job job = { .bdf = self->dev.bdf };
	struct pollfd pfd;
	uint64_t *map, cnt;
	pthread_t thread;
	int efd;

	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = 0x0b0e;

	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	irq->argsz = sizeof(irq_buf);
	irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->index = VFIO_PCI_REQ_IRQ_INDEX;
	irq->start = 0;
	irq->count = 1;
	memcpy(irq->data, &efd, sizeof(int));
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_SET_IRQS, irq));

	snprintf(job.path, sizeof(job.path), "/sys/bus/pci/drivers/%s/unbind", variant->driver);
	ASSERT_EQ(0, pthread_create(&thread, NULL, unbind_thread, &job));

	/* The driver asks us to release the device... */
	pfd.fd = efd;
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 20000)) TH_LOG("no release request");
	EXPECT_EQ(sizeof(cnt), read(efd, &cnt, sizeof(cnt)));
	/* ... and waits: the mapping still works meanwhile. */
	EXPECT_EQ(0x0b0e, map[0]);
	EXPECT_EQ(0, job.done);

	munmap(map, SZ_2M);
	vpd_close(&self->dev);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	close(efd);
	EXPECT_EQ(0, job.ret);
	EXPECT_EQ(0, vpd_driver_of(self->dev.bdf, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);

	/* driver_override still names the driver: bind it again. */
	EXPECT_EQ(0, write_file("/sys/bus/pci/drivers_probe", self->dev.bdf));
	EXPECT_EQ(0, vpd_driver_of(self->dev.bdf, drv, sizeof(drv)));
	EXPECT_STREQ(variant->driver, drv);
}

/*
 * The vfio device cdev with iommufd (what current QEMU uses): the mapping is
 * the same DMABUF-backed one, side by side with vfio-pci.  Skipped on
 * kernels without vfio cdev (6.1).
 */
FIXTURE(cdev) {
	int iommufd;
	int fd;
	struct vfio_region_info bar2;
	const char *witness;
};

FIXTURE_VARIANT(cdev) {
	const char *role;
	const char *witness_role;
	int ours;
};

FIXTURE_VARIANT_ADD(cdev, ours) {
	.role = "VPD_DEV_OURS", .witness_role = "VPD_DEV_OURS_W", .ours = 1,
};

FIXTURE_VARIANT_ADD(cdev, stock) {
	.role = "VPD_DEV_STOCK", .witness_role = "VPD_DEV_STOCK_W", .ours = 0,
};

FIXTURE_SETUP(cdev)
{
	const char *bdf = vpd_role_bdf(variant->role);
	struct vfio_device_bind_iommufd bind = {
		.argsz = offsetofend(struct vfio_device_bind_iommufd, out_devid),
	};
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = offsetofend(struct vfio_device_attach_iommufd_pt, pt_id),
	};
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	char path[PATH_MAX], name[64] = "";
	FILE *ls;

	self->iommufd = self->fd = -1;
	ASSERT_NE(NULL, bdf);
	self->witness = vpd_role_bdf(variant->witness_role);
	snprintf(path, sizeof(path), "ls /sys/bus/pci/devices/%s/vfio-dev 2>/dev/null", bdf);
	ls = popen(path, "r");
	ASSERT_NE(NULL, ls);
	if (fscanf(ls, "%63s", name) != 1)
		name[0] = '\0';
	pclose(ls);
	if (!name[0] || access("/dev/iommu", F_OK))
		SKIP(return, "no vfio cdev / iommufd on this kernel");

	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_GE(self->iommufd, 0);
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	self->fd = open(path, O_RDWR);
	ASSERT_GE(self->fd, 0) TH_LOG("%s: %s", path, strerror(errno));
	bind.iommufd = self->iommufd;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &ioas));
	attach.pt_id = ioas.out_ioas_id;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		TH_LOG("attach: %s", strerror(errno));
	memset(&self->bar2, 0, sizeof(self->bar2));
	self->bar2.argsz = sizeof(self->bar2);
	self->bar2.index = VFIO_PCI_BAR2_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->fd, VFIO_DEVICE_GET_REGION_INFO, &self->bar2));
}

FIXTURE_TEARDOWN(cdev)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->iommufd >= 0)
		close(self->iommufd);
}

TEST_F(cdev, mmap_and_backing_file)
{
	struct vpd_dev dev = { .container = -1, .group = -1, .fd = self->fd };
	char line[512], want[64];
	uint64_t *map, *host, v;
	int named = 0;
	FILE *f;

	map = mmap(NULL, SZ_64M, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	host = vpd_map_witness(self->witness, 2, SZ_64M);
	ASSERT_NE(MAP_FAILED, host);
	vpd_fill(map, SZ_64M, 0xcde7);
	EXPECT_EQ(-1, vpd_check(host, SZ_64M, 0xcde7));

	snprintf(want, sizeof(want), "%lx-", (unsigned long)map);
	f = fopen("/proc/self/maps", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			named = strstr(line, "/dmabuf:vfio") != NULL;
	fclose(f);
	EXPECT_EQ(variant->ours, named);

	/* Revocation works the same through the cdev. */
	ASSERT_EQ(0, vpd_set_mem_decode(&dev, 0));
	EXPECT_EQ(SIGBUS, vpd_touch(&map[1], 0, &v));
	ASSERT_EQ(0, vpd_set_mem_decode(&dev, 1));
	EXPECT_EQ(-1, vpd_check(map, SZ_64M, 0xcde7));
	munmap(host, SZ_64M);
	munmap(map, SZ_64M);
}

/* ------------------------------------------------------------------------ */
/* ours only                                                                */
/* ------------------------------------------------------------------------ */

static int open_role(struct vpd_dev *d, const char *role)
{
	const char *bdf = vpd_role_bdf(role);

	if (!bdf)
		return -ENODEV;
	return vpd_open(d, bdf);
}

/* /proc/self/maps and debugfs name the DMABUF after device and BAR. */
TEST(maps_and_bufinfo_names)
{
	struct vfio_region_info bar2;
	char line[512], want[128], vfio_name[32] = "", path[256];
	unsigned long start, end, off;
	struct vpd_dev d;
	int found = 0, n;
	void *map;
	FILE *f;

	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	ASSERT_EQ(0, vpd_region_info(&d, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd, bar2.offset + SZ_2M);
	ASSERT_NE(MAP_FAILED, map);

	/* The vfio device's name: /sys/bus/pci/devices/<bdf>/vfio-dev/vfioN */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", d.bdf);
	{
		FILE *ls;
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "ls %s 2>/dev/null", path);
		ls = popen(cmd, "r");
		if (ls) {
			if (fscanf(ls, "%31s", vfio_name) != 1)
				vfio_name[0] = '\0';
			pclose(ls);
		}
	}
	if (!vfio_name[0])
		snprintf(vfio_name, sizeof(vfio_name), "vfio");

	snprintf(want, sizeof(want), "/dmabuf:%s:%s/2", vfio_name, d.bdf);
	f = fopen("/proc/self/maps", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		char name[256] = "";

		n = sscanf(line, "%lx-%lx %*s %lx %*s %*s %255s", &start, &end, &off, name);
		if (n < 3 || start != (unsigned long)map)
			continue;
		found = 1;
		TH_LOG("maps: %s", line);
		EXPECT_EQ(SZ_2M, end - start);
		/* The offset column keeps showing the BAR's region offset. */
		EXPECT_EQ(bar2.offset + SZ_2M, off);
		if (strcmp(vfio_name, "vfio")) {
			EXPECT_STREQ(want, name);
		} else {
			EXPECT_EQ(0, strncmp(name, "/dmabuf:vfio", 12)) TH_LOG("name %s", name);
		}
	}
	fclose(f);
	EXPECT_TRUE(found);

	/* debugfs bufinfo lists the buffer with the same name. */
	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	if (f) {
		int listed = 0;

		snprintf(want, sizeof(want), ":%s/2", d.bdf);
		while (fgets(line, sizeof(line), f))
			if (strstr(line, want))
				listed = 1;
		fclose(f);
		EXPECT_TRUE(listed) TH_LOG("no %s in bufinfo", want);
	}
	munmap(map, SZ_2M);
	vpd_close(&d);
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/vfio_pci_dmabuf/refcnt", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * Closing every fd leaves a live mapping working (it holds the device
 * open); the last munmap releases the DMABUF and the device.  rmmod is
 * refused while the mapping lives.
 */
TEST(close_fds_keeps_mapping)
{
	struct vfio_region_info bar2;
	struct vpd_dev d;
	long r0, r_mapped;
	uint64_t *map;

	r0 = module_refcnt();
	ASSERT_GE(r0, 0);
	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	ASSERT_EQ(0, vpd_region_info(&d, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd, bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	vpd_fill(map, SZ_2M, 0xc105ed);
	r_mapped = module_refcnt();
	/* One reference for the open device, one for the DMABUF. */
	EXPECT_EQ(r0 + 2, r_mapped);

	vpd_close(&d);
	EXPECT_EQ(-1, vpd_check(map, SZ_2M, 0xc105ed));
	vpd_fill(map, SZ_2M, 0xc105ee);
	EXPECT_EQ(-1, vpd_check(map, SZ_2M, 0xc105ee));
	EXPECT_EQ(r_mapped, module_refcnt());

	EXPECT_EQ(-1, syscall(SYS_delete_module, "vfio_pci_dmabuf", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) TH_LOG("errno %d", errno);

	ASSERT_EQ(0, munmap(map, SZ_2M));
	EXPECT_EQ(r0, module_refcnt());
}

/* ------------------------------------------------------------------------ */
/* fault counts, side by side                                               */
/* ------------------------------------------------------------------------ */

TEST(fault_counts_64m)
{
	struct vpd_dev ours, stock;
	long o_al, o_un, s_al, s_un;
	int huge = vpd_kernel_has_huge_pfnmap();

	ASSERT_EQ(0, open_role(&ours, "VPD_DEV_OURS"));
	ASSERT_EQ(0, open_role(&stock, "VPD_DEV_STOCK"));
	o_al = vpd_bar2_faults(&ours, SZ_64M, SZ_2M, 0);
	s_al = vpd_bar2_faults(&stock, SZ_64M, SZ_2M, 0);
	o_un = vpd_bar2_faults(&ours, SZ_64M, SZ_2M, SZ_4K);
	s_un = vpd_bar2_faults(&stock, SZ_64M, SZ_2M, SZ_4K);
	ksft_print_msg("FAULTS 64M aligned: ours %ld stock %ld; unaligned: ours %ld stock %ld\n",
		       o_al, s_al, o_un, s_un);
	ASSERT_GE(o_al, 0);
	ASSERT_GE(s_al, 0);
	EXPECT_LE(o_al, s_al);
	EXPECT_LE(o_un, s_un);
	if (huge) {
		/* One PMD per 2 MiB. */
		EXPECT_EQ(32, o_al);
		/* At most one fault per 2 MiB window touched. */
		EXPECT_LE(o_un, 33);
	} else {
		/* Whole VMA populated by the first fault, as vfio-pci does. */
		EXPECT_LE(o_al, 1);
		EXPECT_LE(o_un, 1);
	}
	vpd_close(&ours);
	vpd_close(&stock);
}

TEST(fault_counts_1g)
{
	struct vpd_dev big;
	long al, un;
	int huge = vpd_kernel_has_huge_pfnmap();

	ASSERT_EQ(0, open_role(&big, "VPD_DEV_BIG"));
	al = vpd_bar2_faults(&big, SZ_1G, SZ_1G, 0);
	un = vpd_bar2_faults(&big, SZ_1G - SZ_2M, SZ_1G, SZ_4K);
	ksft_print_msg("FAULTS 1G ours: aligned %ld, unaligned %ld\n", al, un);
	ASSERT_GE(al, 0);
	if (huge) {
		EXPECT_EQ(1, al);
		EXPECT_LE(un, 512);
	} else {
		EXPECT_LE(al, 1);
		EXPECT_LE(un, 1);
	}
	vpd_close(&big);
}

/* get_user_pages() on a PUD-mapped range (1 GiB, 1 GiB-aligned) fails too. */
TEST(gup_refused_pud)
{
	struct vfio_region_info bar2;
	struct vpd_dev big;
	char buf[64];
	struct iovec local = { .iov_base = buf, .iov_len = sizeof(buf) }, remote;
	uint8_t *map;
	long faults;

	ASSERT_EQ(0, open_role(&big, "VPD_DEV_BIG"));
	ASSERT_EQ(0, vpd_region_info(&big, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	map = vpd_mmap_at(big.fd, bar2.offset, SZ_1G, SZ_1G, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	faults = vpd_touch_all(map, SZ_4K);
	EXPECT_EQ(1, faults);
	remote.iov_base = map + SZ_1G / 2;
	remote.iov_len = sizeof(buf);
	EXPECT_EQ(-1, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, SZ_1G);
	vpd_close(&big);
}

/* ------------------------------------------------------------------------ */
/* revoke points on the NVMe twins (FLR, PM, reset, low power)              */
/* ------------------------------------------------------------------------ */

#define CMB_TEST_LEN (256 * 1024UL)

FIXTURE(nvme) {
	struct vpd_dev dev;
	struct vfio_region_info bar2;
	uint64_t *map;
};

FIXTURE_VARIANT(nvme) {
	const char *role;
	const char *driver;
};

FIXTURE_VARIANT_ADD(nvme, ours) { .role = "VPD_DEV_NVME", .driver = "vfio-pci-dmabuf" };
FIXTURE_VARIANT_ADD(nvme, stock) { .role = "VPD_DEV_NVME_STOCK", .driver = "vfio-pci" };

FIXTURE_SETUP(nvme)
{
	const char *bdf = vpd_role_bdf(variant->role);
	char drv[64];

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vpd_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ(variant->driver, drv);
	ASSERT_EQ(0, vpd_open(&self->dev, bdf));
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &self->bar2));
	ASSERT_TRUE(self->bar2.flags & VFIO_REGION_INFO_FLAG_MMAP);
	self->map = mmap(NULL, CMB_TEST_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dev.fd, self->bar2.offset);
	ASSERT_NE(MAP_FAILED, self->map);
	vpd_fill(self->map, CMB_TEST_LEN, 0x5eed);
	ASSERT_EQ(-1, vpd_check(self->map, CMB_TEST_LEN, 0x5eed));
}

FIXTURE_TEARDOWN(nvme)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, CMB_TEST_LEN);
	vpd_close(&self->dev);
}

/* Re-touching after a revoke takes a new fault: the PTEs were zapped. */
static long refaults(uint64_t *map)
{
	return vpd_touch_all((uint8_t *)map, CMB_TEST_LEN);
}

TEST_F(nvme, revoke_d3hot)
{
	unsigned int pm = vpd_find_cap(&self->dev, 0x01);
	uint16_t pmcsr;
	uint64_t v;

	ASSERT_NE(0, pm);
	ASSERT_EQ(0, vpd_cfg_read16(&self->dev, pm + 4, &pmcsr));
	ASSERT_EQ(0, vpd_cfg_write16(&self->dev, pm + 4, (pmcsr & ~3) | 3));
	EXPECT_EQ(SIGBUS, vpd_touch(&self->map[0], 0, &v));
	ASSERT_EQ(0, vpd_cfg_write16(&self->dev, pm + 4, pmcsr & ~3));
	EXPECT_GT(refaults(self->map), 0);
	EXPECT_EQ(0, vpd_touch(&self->map[0], 0, &v));
	/* The controller memory buffer survives: data intact. */
	EXPECT_EQ(-1, vpd_check(self->map, CMB_TEST_LEN, 0x5eed));
}

TEST_F(nvme, revoke_flr)
{
	unsigned int exp = vpd_find_cap(&self->dev, 0x10);
	uint16_t devctl;
	uint64_t v;

	ASSERT_NE(0, exp);
	ASSERT_EQ(0, vpd_cfg_read16(&self->dev, exp + 8, &devctl));
	ASSERT_EQ(0, vpd_cfg_write16(&self->dev, exp + 8, devctl | 0x8000));
	EXPECT_GT(refaults(self->map), 0);
	EXPECT_EQ(0, vpd_touch(&self->map[0], 0, &v));
	/* The controller memory buffer survives: data intact. */
	EXPECT_EQ(-1, vpd_check(self->map, CMB_TEST_LEN, 0x5eed));
}

TEST_F(nvme, revoke_device_reset)
{
	uint64_t v;

	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_RESET));
	EXPECT_GT(refaults(self->map), 0);
	EXPECT_EQ(0, vpd_touch(&self->map[0], 0, &v));
	/* The controller memory buffer survives: data intact. */
	EXPECT_EQ(-1, vpd_check(self->map, CMB_TEST_LEN, 0x5eed));
}

TEST_F(nvme, revoke_low_power)
{
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
	};
	uint64_t v;

	if (ioctl(self->dev.fd, VFIO_DEVICE_FEATURE, &feat))
		SKIP(return, "low power entry: %s", strerror(errno));
	EXPECT_EQ(SIGBUS, vpd_touch(&self->map[0], 0, &v));
	feat.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_FEATURE, &feat));
	EXPECT_GT(refaults(self->map), 0);
	EXPECT_EQ(0, vpd_touch(&self->map[0], 0, &v));
	EXPECT_EQ(-1, vpd_check(self->map, CMB_TEST_LEN, 0x5eed));
}

/* ------------------------------------------------------------------------ */
/* hot reset started through a sibling's fd                                 */
/* ------------------------------------------------------------------------ */

TEST(hot_reset_through_sibling)
{
	const char *b0 = vpd_role_bdf("VPD_DEV_RST0"), *b1 = vpd_role_bdf("VPD_DEV_RST1");
	struct vfio_pci_hot_reset_info *info;
	struct vfio_pci_hot_reset *reset;
	struct vfio_region_info bar2;
	struct vpd_dev d0;
	int fd1, g0, g1, group1 = -1;
	uint64_t *map, v;
	size_t len = SZ_2M;

	ASSERT_NE(NULL, b0);
	ASSERT_NE(NULL, b1);
	ASSERT_EQ(0, vpd_open(&d0, b0));
	g0 = vpd_iommu_group_of(b0);
	g1 = vpd_iommu_group_of(b1);
	if (g1 == g0) {
		fd1 = ioctl(d0.group, VFIO_GROUP_GET_DEVICE_FD, b1);
	} else {
		char path[64];

		snprintf(path, sizeof(path), "/dev/vfio/%d", g1);
		group1 = open(path, O_RDWR);
		ASSERT_GE(group1, 0);
		ASSERT_EQ(0, ioctl(group1, VFIO_GROUP_SET_CONTAINER, &d0.container));
		fd1 = ioctl(group1, VFIO_GROUP_GET_DEVICE_FD, b1);
	}
	ASSERT_GE(fd1, 0);

	ASSERT_EQ(0, vpd_region_info(&d0, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d0.fd, bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	vpd_fill(map, len, 0x4e5e7);

	info = calloc(1, 4096);
	info->argsz = 4096;
	ASSERT_EQ(0, ioctl(fd1, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info))
		TH_LOG("hot reset info: %s", strerror(errno));
	ASSERT_GE(info->count, 2);

	reset = calloc(1, sizeof(*reset) + 2 * sizeof(int));
	reset->argsz = sizeof(*reset) + (group1 >= 0 ? 2 : 1) * sizeof(int);
	reset->count = group1 >= 0 ? 2 : 1;
	reset->group_fds[0] = d0.group;
	if (group1 >= 0)
		reset->group_fds[1] = group1;
	/* Reset issued through the sibling (function 1), not through d0. */
	ASSERT_EQ(0, ioctl(fd1, VFIO_DEVICE_PCI_HOT_RESET, reset))
		TH_LOG("hot reset: %s", strerror(errno));

	EXPECT_GT(vpd_touch_all((uint8_t *)map, len), 0) TH_LOG("mapping was not zapped");
	EXPECT_EQ(0, vpd_touch(&map[0], 0, &v));
	EXPECT_EQ(-1, vpd_check(map, len, 0x4e5e7));

	munmap(map, len);
	free(reset);
	free(info);
	close(fd1);
	if (group1 >= 0)
		close(group1);
	vpd_close(&d0);
}

TEST_HARNESS_MAIN
