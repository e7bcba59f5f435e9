// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime across hot-unplug: PCI remove through sysfs while a BAR is
 * mapped, or while another process holds an exported DMABUF and its
 * mapping, side by side with vfio-pci; then rescan and bind again.  And
 * rmmod: refused while any mapping or DMABUF lives, done once everything is
 * closed, then the module is loaded again and every device bound again.
 *
 * What is asserted (Documentation/uapi.rst, "Device removal"):
 * - remove asks the user to let go (VFIO_PCI_REQ_IRQ_INDEX eventfd) and
 *   waits, asking again every 10 s, until the vfio device is closed: its last
 *   fd and its last BAR mapping (a mapping holds the device open);
 * - the mappings keep working meanwhile;
 * - an exported DMABUF does not hold the device: remove completes once the
 *   device is closed, and the holder's mapping then raises SIGBUS in every
 *   window, also after the device is back; the dead DMABUF unmaps and closes
 *   cleanly (KASAN on the debug kernels watches for a use after free).
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "vpd_export.h"
#include "kselftest_harness.h"

#define SZ_4K	0x1000UL
#define SZ_1M	0x100000UL
#define SZ_2M	0x200000UL
#define SZ_64M	0x4000000UL
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define R(o, l) { .offset = (o), .length = (l) }

#define MAP_LEN	(4 * SZ_2M)
#define POISON	0xbadbadbadbadbadULL

/* ------------------------------------------------------------------------ */
/* the holder: a process that has only a DMABUF fd and its mapping          */
/* ------------------------------------------------------------------------ */

enum ho_op {
	HO_TAKE = 1,	/* a = the fd's number in the parent (pidfd_getfd) */
	HO_MAP,		/* a = length: 0 or -errno */
	HO_TRY_MAP,	/* map a bytes and unmap again: 0 or -errno */
	HO_CHECK,	/* BAR-indexed pattern a over r[nr]: -1 or offset */
	HO_PROBE,	/* every 2 MiB window: v = windows, sigbus, other signal */
	HO_UNMAP,
	HO_CLOSE,
	HO_EXIT,
};

struct ho_req {
	int op;
	uint64_t a;
	uint32_t nr;
	struct vfio_region_dma_range r[4];
};

struct ho_rep {
	int64_t ret;
	int64_t v[3];
};

struct holder {
	pid_t pid;
	int cmd, rep, sock;
};

static void __attribute__((noreturn)) ho_main(int cmd, int rep, int sock)
{
	uint8_t *map = NULL;
	size_t len = 0;
	int buf = -1;

	for (;;) {
		struct ho_req rq;
		struct ho_rep rp = { 0 };

		if (read(cmd, &rq, sizeof(rq)) != sizeof(rq))
			_exit(2);
		switch (rq.op) {
		case HO_TAKE: {
			char c;

			if (sock >= 0) {
				if (vpd_recv_fd(sock, &c, 1, &buf) != 1)
					buf = -1;
			} else {
				buf = vpd_pidfd_getfd(getppid(), rq.a);
			}
			rp.ret = buf >= 0 ? 0 : -errno;
			break;
		}
		case HO_MAP:
			map = vpd_mmap_at(buf, 0, rq.a, SZ_2M, 0, PROT_READ | PROT_WRITE,
					  MAP_SHARED);
			rp.ret = map == MAP_FAILED ? -errno : 0;
			if (map == MAP_FAILED)
				map = NULL;
			else
				len = rq.a;
			break;
		case HO_TRY_MAP: {
			void *p = mmap(NULL, rq.a, PROT_READ | PROT_WRITE, MAP_SHARED, buf, 0);

			rp.ret = p == MAP_FAILED ? -errno : munmap(p, rq.a);
			break;
		}
		case HO_CHECK:
			rp.ret = vpd_check_export(map, 0, len, rq.r, rq.nr, rq.a, 8);
			break;
		case HO_PROBE: {
			struct vpd_window_probe pr = vpd_probe_windows(map, len, SZ_2M, POISON);

			rp.v[0] = pr.windows;
			rp.v[1] = pr.sigbus;
			rp.v[2] = pr.other_sig;
			break;
		}
		case HO_UNMAP:
			rp.ret = munmap(map, len) ? -errno : 0;
			map = NULL;
			break;
		case HO_CLOSE:
			rp.ret = close(buf) ? -errno : 0;
			buf = -1;
			break;
		case HO_EXIT:
			_exit(0);
		default:
			_exit(3);
		}
		if (write(rep, &rp, sizeof(rp)) != sizeof(rp))
			_exit(2);
	}
}

/* Fork the holder before any vfio fd exists: it inherits none. */
static int ho_start(struct holder *ho)
{
	int to[2], from[2], sv[2] = { -1, -1 };

	ho->pid = -1;
	ho->cmd = ho->rep = ho->sock = -1;
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return -errno;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		sv[0] = sv[1] = -1;	/* no networking: pidfd_getfd() */
	fflush(stdout);
	fflush(stderr);
	ho->pid = fork();
	if (ho->pid < 0)
		return -errno;
	if (ho->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(to[1]);
		close(from[0]);
		if (sv[0] >= 0)
			close(sv[0]);
		ho_main(to[0], from[1], sv[1]);
	}
	close(to[0]);
	close(from[1]);
	if (sv[1] >= 0)
		close(sv[1]);
	ho->cmd = to[1];
	ho->rep = from[0];
	ho->sock = sv[0];
	return 0;
}

/* One request: the reply's ret, INT64_MIN if the holder is gone. */
static int64_t ho_do(struct holder *ho, struct ho_rep *out, struct ho_req rq, int fd)
{
	struct ho_rep rp;

	if (ho->pid <= 0 || write(ho->cmd, &rq, sizeof(rq)) != sizeof(rq))
		return INT64_MIN;
	if (fd >= 0 && ho->sock >= 0 && vpd_send_fd(ho->sock, fd, "f", 1))
		return INT64_MIN;
	if (read(ho->rep, &rp, sizeof(rp)) != sizeof(rp))
		return INT64_MIN;
	if (out)
		*out = rp;
	return rp.ret;
}

#define HO(ho, ...) ho_do((ho), NULL, (struct ho_req){ __VA_ARGS__ }, -1)

static int64_t ho_give(struct holder *ho, int fd)
{
	return ho_do(ho, NULL, (struct ho_req){ .op = HO_TAKE, .a = fd }, fd);
}

static int64_t ho_check(struct holder *ho, const struct vfio_region_dma_range *r,
			unsigned int nr, uint64_t seed)
{
	struct ho_req rq = { .op = HO_CHECK, .a = seed, .nr = nr };

	memcpy(rq.r, r, nr * sizeof(*r));
	return ho_do(ho, NULL, rq, -1);
}

/* Every 2 MiB window of the holder's mapping raises SIGBUS, and only SIGBUS. */
#define EXPECT_HOLDER_REVOKED(ho, windows, what) do {					\
	struct ho_rep _rp = { 0 };							\
											\
	EXPECT_EQ(0, ho_do((ho), &_rp, (struct ho_req){ .op = HO_PROBE }, -1))	\
		TH_LOG("%s: the holder died", what);					\
	EXPECT_EQ(windows, _rp.v[0]) TH_LOG("%s", what);				\
	EXPECT_EQ(_rp.v[0], _rp.v[1]) TH_LOG("%s: the holder reached the BAR", what);	\
	EXPECT_EQ(0, _rp.v[2]) TH_LOG("%s: signal %lld", what, (long long)_rp.v[2]);	\
} while (0)

/* Ask the holder to exit: 0 when it exited 0. */
static int ho_finish(struct holder *ho)
{
	struct ho_req rq = { .op = HO_EXIT };
	int status;

	if (ho->pid <= 0)
		return -1;
	if (write(ho->cmd, &rq, sizeof(rq)) != sizeof(rq))
		return -1;
	if (waitpid(ho->pid, &status, 0) != ho->pid)
		return -1;
	ho->pid = -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void ho_kill(struct holder *ho)
{
	if (ho->pid > 0) {
		kill(ho->pid, SIGKILL);
		waitpid(ho->pid, NULL, 0);
		ho->pid = -1;
	}
	if (ho->cmd >= 0)
		close(ho->cmd);
	if (ho->rep >= 0)
		close(ho->rep);
	if (ho->sock >= 0)
		close(ho->sock);
	ho->cmd = ho->rep = ho->sock = -1;
}

/* ------------------------------------------------------------------------ */
/* remove, rescan, bind                                                     */
/* ------------------------------------------------------------------------ */

struct remove_job {
	char path[PATH_MAX];
	pthread_t thread;
	int started;
	int ret;
	volatile int done;
};

/* A thread, not a child: a child would inherit the fds and mappings. */
static void *remove_thread(void *arg)
{
	struct remove_job *job = arg;

	job->ret = vpd_write_file(job->path, "1");
	job->done = 1;
	return NULL;
}

static int remove_start(struct remove_job *job, const char *bdf)
{
	snprintf(job->path, sizeof(job->path), "/sys/bus/pci/devices/%s/remove", bdf);
	job->done = 0;
	if (pthread_create(&job->thread, NULL, remove_thread, job))
		return -1;
	job->started = 1;
	return 0;
}

/* Wait up to @ms for the remove to return: whether it did. */
static int remove_wait(struct remove_job *job, int ms)
{
	for (int i = 0; i < ms / 10 && !job->done; i++)
		usleep(10000);
	return job->done;
}

static void remove_join(struct remove_job *job)
{
	if (job->started)
		pthread_join(job->thread, NULL);
	job->started = 0;
}

static int device_present(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return access(path, F_OK) == 0;
}

/* Rescan the bus if @bdf is gone, then bind it to @driver: 0 or -errno. */
static int restore_binding(const char *bdf, const char *driver)
{
	int ret;

	if (!device_present(bdf)) {
		ret = vpd_write_file("/sys/bus/pci/rescan", "1");
		if (ret)
			return ret;
		if (!device_present(bdf))
			return -ENODEV;
	}
	return vpd_bind_to(bdf, driver);
}

/* Register an eventfd on the device request IRQ: the eventfd or -errno. */
static int req_eventfd(struct vpd_dev *d)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)] __attribute__((aligned(8)));
	struct vfio_irq_set *irq = (struct vfio_irq_set *)buf;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (efd < 0)
		return -errno;
	irq->argsz = sizeof(buf);
	irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->index = VFIO_PCI_REQ_IRQ_INDEX;
	irq->start = 0;
	irq->count = 1;
	memcpy(irq->data, &efd, sizeof(int));
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, irq)) {
		int e = errno;

		close(efd);
		return -e;
	}
	return efd;
}

/* Wait up to @ms for a device request: the count read, 0 if none came. */
static uint64_t req_wait(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t cnt = 0;

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	if (read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return 0;
	return cnt;
}

/* ------------------------------------------------------------------------ */
/* PCI remove, side by side                                                 */
/* ------------------------------------------------------------------------ */

FIXTURE(rm) {
	char bdf[32];
	char driver[64];	/* the binding found, restored at teardown */
	struct vpd_dev dev;
	struct holder ho;
	struct remove_job job;
	uint8_t *map;
	int efd;
};

FIXTURE_VARIANT(rm) {
	const char *role, *driver;
	int ours;
};

FIXTURE_VARIANT_ADD(rm, ours) {
	.role = "VPD_DEV_OURS", .driver = "vfio-pci-dmabuf", .ours = 1,
};

FIXTURE_VARIANT_ADD(rm, stock) {
	.role = "VPD_DEV_STOCK", .driver = "vfio-pci", .ours = 0,
};

FIXTURE_SETUP(rm)
{
	const char *bdf = vpd_role_bdf(variant->role);

	memset(&self->job, 0, sizeof(self->job));
	self->dev.container = self->dev.group = self->dev.fd = -1;
	self->ho.pid = -1;
	self->ho.cmd = self->ho.rep = self->ho.sock = -1;
	self->map = NULL;
	self->efd = -1;
	self->driver[0] = '\0';
	ASSERT_NE(NULL, bdf);
	snprintf(self->bdf, sizeof(self->bdf), "%s", bdf);
	ASSERT_EQ(0, vpd_driver_of(bdf, self->driver, sizeof(self->driver)));
	ASSERT_STREQ(variant->driver, self->driver);
}

FIXTURE_TEARDOWN(rm)
{
	/* Let go of everything first: a pending remove waits for it. */
	ho_kill(&self->ho);
	if (self->map)
		munmap(self->map, MAP_LEN);
	vpd_close(&self->dev);
	if (self->efd >= 0)
		close(self->efd);
	remove_join(&self->job);
	if (self->driver[0]) {
		EXPECT_EQ(0, restore_binding(self->bdf, self->driver))
			TH_LOG("%s not bound to %s again", self->bdf, self->driver);
	}
}

/* Open the device, map MAP_LEN bytes of BAR2, write pattern @seed. */
static void rm_open_map(struct __test_metadata *_metadata, FIXTURE_DATA(rm) *self,
			uint64_t seed)
{
	struct vfio_region_info bar2;

	ASSERT_EQ(0, vpd_open(&self->dev, self->bdf));
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	ASSERT_EQ(SZ_64M, bar2.size);
	self->map = vpd_mmap_at(self->dev.fd, bar2.offset, MAP_LEN, SZ_2M, 0,
				PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, self->map);
	vpd_fill((uint64_t *)self->map, MAP_LEN, seed);
}

/*
 * Remove with a live BAR mapping: the user is asked to let go, and asked
 * again while only the mapping remains (it holds the device open); remove
 * completes at the munmap.  Rescan and bind: the memory is intact.
 */
TEST_F_TIMEOUT(rm, bar_mapping, 240)
{
	struct vfio_region_info bar2;
	char drv[64];

	rm_open_map(_metadata, self, 0x5e1);
	self->efd = req_eventfd(&self->dev);
	ASSERT_GE(self->efd, 0) TH_LOG("request eventfd: %s", strerror(-self->efd));

	ASSERT_EQ(0, remove_start(&self->job, self->bdf));
	EXPECT_NE(0, req_wait(self->efd, 30000)) TH_LOG("no device request");
	EXPECT_FALSE(self->job.done) TH_LOG("remove did not wait: %s", strerror(-self->job.ret));
	/* Meanwhile the mapping works. */
	EXPECT_EQ(-1, vpd_check((uint64_t *)self->map, MAP_LEN, 0x5e1));
	vpd_fill((uint64_t *)self->map, MAP_LEN, 0x5e2);

	/* Every fd closed: the mapping alone holds the device, remove asks again. */
	vpd_close(&self->dev);
	EXPECT_NE(0, req_wait(self->efd, 30000)) TH_LOG("no second request after the fds closed");
	EXPECT_FALSE(self->job.done);
	EXPECT_TRUE(device_present(self->bdf));
	EXPECT_EQ(-1, vpd_check((uint64_t *)self->map, MAP_LEN, 0x5e2));

	/* The last munmap closes the device: remove completes. */
	ASSERT_EQ(0, munmap(self->map, MAP_LEN));
	self->map = NULL;
	EXPECT_TRUE(remove_wait(&self->job, 60000)) TH_LOG("remove still waits after the munmap");
	remove_join(&self->job);
	EXPECT_EQ(0, self->job.ret) TH_LOG("remove: %s", strerror(-self->job.ret));
	EXPECT_FALSE(device_present(self->bdf));

	/* Rescan, bind again: the device works and its memory is intact. */
	ASSERT_EQ(0, restore_binding(self->bdf, variant->driver));
	ASSERT_EQ(0, vpd_driver_of(self->bdf, drv, sizeof(drv)));
	ASSERT_STREQ(variant->driver, drv);
	ASSERT_EQ(0, vpd_open(&self->dev, self->bdf));
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	self->map = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd,
			 bar2.offset);
	ASSERT_NE(MAP_FAILED, self->map);
	EXPECT_EQ(-1, vpd_check((uint64_t *)self->map, MAP_LEN, 0x5e2));
}

/* Ranges of an export used below; its pattern is BAR-indexed, dense. */
static const struct vfio_region_dma_range rm_r[] = { R(0, SZ_2M), R(3 * SZ_2M, SZ_2M) };

/*
 * Remove while another process holds an exported DMABUF (and, where the
 * DMABUF can be mapped, its mapping); this process holds the device fd.
 * The export does not keep the device: remove completes when the device
 * closes, and the holder's mapping is revoked for good.  Stock vfio-pci:
 * its own export (6.19+), which cannot be mapped.
 */
TEST_F_TIMEOUT(rm, export_in_child, 240)
{
	struct vfio_region_info bar2;
	uint64_t len = vpd_ranges_len(rm_r, ARRAY_LEN(rm_r));
	int buf, ret;

	ASSERT_EQ(0, ho_start(&self->ho));
	ASSERT_EQ(0, vpd_open(&self->dev, self->bdf));
	if (vpd_feature_probe(self->dev.fd, VFIO_DEVICE_FEATURE_GET, VFIO_DEVICE_FEATURE_DMA_BUF))
		SKIP(return, "%s has no DMABUF export on this kernel", variant->driver);
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	self->map = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd,
			 bar2.offset);
	ASSERT_NE(MAP_FAILED, self->map);
	vpd_fill_bar_ranges(self->map, rm_r, ARRAY_LEN(rm_r), 0xe4, 8);
	/* Only the fds hold the device from here on. */
	munmap(self->map, MAP_LEN);
	self->map = NULL;

	buf = vpd_export(self->dev.fd, 2, rm_r, ARRAY_LEN(rm_r));
	ASSERT_GE(buf, 0) TH_LOG("export: %s", strerror(-buf));
	ASSERT_EQ(0, ho_give(&self->ho, buf));
	close(buf);
	ret = HO(&self->ho, .op = HO_MAP, .a = len);
	ksft_print_msg("%s: mmap of the exported DMABUF: %s\n", variant->driver,
		       ret ? strerror(-ret) : "ok");
	if (variant->ours) {
		ASSERT_EQ(0, ret);
		ASSERT_EQ(-1, ho_check(&self->ho, rm_r, ARRAY_LEN(rm_r), 0xe4));
	} else {
		/* vfio-pci-core's DMABUF has no mmap. */
		EXPECT_NE(0, ret);
	}

	self->efd = req_eventfd(&self->dev);
	ASSERT_GE(self->efd, 0) TH_LOG("request eventfd: %s", strerror(-self->efd));
	ASSERT_EQ(0, remove_start(&self->job, self->bdf));
	EXPECT_NE(0, req_wait(self->efd, 30000)) TH_LOG("no device request");
	EXPECT_FALSE(self->job.done);
	if (variant->ours) {
		EXPECT_EQ(-1, ho_check(&self->ho, rm_r, ARRAY_LEN(rm_r), 0xe4))
			TH_LOG("the export stopped working before the device closed");
	}

	/* The device closes: remove completes although the holder keeps the DMABUF. */
	vpd_close(&self->dev);
	EXPECT_TRUE(remove_wait(&self->job, 60000)) TH_LOG("the DMABUF holds the remove");
	if (!self->job.done) {
		ho_kill(&self->ho);	/* let it complete */
		remove_wait(&self->job, 60000);
	}
	remove_join(&self->job);
	EXPECT_EQ(0, self->job.ret) TH_LOG("remove: %s", strerror(-self->job.ret));
	EXPECT_FALSE(device_present(self->bdf));

	if (variant->ours) {
		EXPECT_HOLDER_REVOKED(&self->ho, len / SZ_2M, "device removed");
		EXPECT_EQ(-ENODEV, HO(&self->ho, .op = HO_TRY_MAP, .a = SZ_2M));
	}

	/* Back on the bus and bound: the old DMABUF stays dead. */
	ASSERT_EQ(0, restore_binding(self->bdf, variant->driver));
	if (variant->ours) {
		EXPECT_HOLDER_REVOKED(&self->ho, len / SZ_2M, "device back");
		EXPECT_EQ(-ENODEV, HO(&self->ho, .op = HO_TRY_MAP, .a = SZ_2M));
		EXPECT_EQ(0, HO(&self->ho, .op = HO_UNMAP));
	}
	EXPECT_EQ(0, HO(&self->ho, .op = HO_CLOSE));
	EXPECT_EQ(0, ho_finish(&self->ho));

	/* A new export of the device back on the bus sees the old memory. */
	ASSERT_EQ(0, vpd_open(&self->dev, self->bdf));
	if (variant->ours) {
		uint8_t *p;

		buf = vpd_export(self->dev.fd, 2, rm_r, ARRAY_LEN(rm_r));
		ASSERT_GE(buf, 0) TH_LOG("export: %s", strerror(-buf));
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, buf, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(-1, vpd_check_export(p, 0, len, rm_r, ARRAY_LEN(rm_r), 0xe4, 8));
		munmap(p, len);
		close(buf);
	}
}

/* ------------------------------------------------------------------------ */
/* rmmod                                                                    */
/* ------------------------------------------------------------------------ */

static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/* Entries of directory @path whose name contains @must (NULL: any), up to @max. */
static int list_dir(const char *path, const char *must, char (*names)[64], int max)
{
	struct dirent *de;
	DIR *dir = opendir(path);
	int n = 0;

	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && n < max) {
		if (de->d_name[0] == '.' || (must && !strstr(de->d_name, must)))
			continue;
		if (strlen(de->d_name) >= 64)
			continue;
		memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
	}
	closedir(dir);
	return n;
}

#define MAX_PARAMS 8
#define MAX_BOUND 16

/*
 * rmmod is refused while a BAR mapping, an export's mapping or an export's
 * fd lives (vfio-pci's too, with a live mapping); once all are closed it
 * unloads, unbinding every device.  The module is then loaded again, its
 * writable parameters restored, and every device it had bound again.
 */
TEST_F_TIMEOUT(rm, rmmod, 180)
{
	static const struct vfio_region_dma_range r[] = { R(SZ_2M, SZ_2M) };
	char bound[MAX_BOUND][64], params[MAX_PARAMS][64], values[MAX_PARAMS][64];
	char path[PATH_MAX], holders[4][64], drv[64];
	int nbound, nparams, nholders, buf;
	struct vfio_region_info bar2;
	long r0;

	if (!variant->ours) {
		/* vfio-pci: only the refusal (later tests need it loaded). */
		rm_open_map(_metadata, self, 0x3303);
		vpd_close(&self->dev);
		EXPECT_EQ(-EWOULDBLOCK, delete_module("vfio_pci"));
		return;
	}

	r0 = vpd_module_refcnt();
	ASSERT_EQ(0, r0) TH_LOG("the module is in use before the test");
	nholders = list_dir("/sys/module/vfio_pci_dmabuf/holders", NULL, holders, 4);
	nbound = list_dir("/sys/bus/pci/drivers/vfio-pci-dmabuf", ":", bound, MAX_BOUND);
	ASSERT_GE(nbound, 1);
	nparams = list_dir("/sys/module/vfio_pci_dmabuf/parameters", NULL, params, MAX_PARAMS);
	for (int i = 0; i < nparams; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/module/vfio_pci_dmabuf/parameters/%s", params[i]);
		values[i][0] = '\0';
		f = fopen(path, "r");
		if (f) {
			if (!fgets(values[i], sizeof(values[i]), f))
				values[i][0] = '\0';
			values[i][strcspn(values[i], "\n")] = '\0';
			fclose(f);
		}
	}

	ASSERT_EQ(0, ho_start(&self->ho));
	rm_open_map(_metadata, self, 0x3303);
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	buf = vpd_export(self->dev.fd, 2, r, 1);
	ASSERT_GE(buf, 0) TH_LOG("export: %s", strerror(-buf));
	ASSERT_EQ(0, ho_give(&self->ho, buf));
	close(buf);
	ASSERT_EQ(0, HO(&self->ho, .op = HO_MAP, .a = SZ_2M));
	EXPECT_EQ(-EWOULDBLOCK, delete_module("vfio_pci_dmabuf")) TH_LOG("device open");
	vpd_close(&self->dev);

	EXPECT_EQ(-EWOULDBLOCK, delete_module("vfio_pci_dmabuf")) TH_LOG("BAR mapping, export");
	ASSERT_EQ(0, munmap(self->map, MAP_LEN));
	self->map = NULL;
	EXPECT_EQ(-EWOULDBLOCK, delete_module("vfio_pci_dmabuf")) TH_LOG("export mapped");
	EXPECT_EQ(0, HO(&self->ho, .op = HO_UNMAP));
	EXPECT_EQ(-EWOULDBLOCK, delete_module("vfio_pci_dmabuf")) TH_LOG("export fd");
	EXPECT_EQ(0, HO(&self->ho, .op = HO_CLOSE));
	EXPECT_EQ(0, ho_finish(&self->ho));
	EXPECT_EQ(r0, vpd_module_refcnt());

	if (nholders > 0)
		SKIP(return, "module %s depends on vfio_pci_dmabuf: not unloading", holders[0]);

	ASSERT_EQ(0, delete_module("vfio_pci_dmabuf"));
	EXPECT_NE(0, access("/sys/module/vfio_pci_dmabuf", F_OK));
	for (int i = 0; i < nbound; i++) {
		EXPECT_EQ(0, vpd_driver_of(bound[i], drv, sizeof(drv)));
		EXPECT_STREQ("", drv) TH_LOG("%s still bound", bound[i]);
	}

	/* Load it again, as the VM's init did, and restore what was there. */
	ASSERT_EQ(0, system("modprobe vfio-pci-dmabuf"));
	for (int i = 0; i < nparams; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "/sys/module/vfio_pci_dmabuf/parameters/%s", params[i]);
		if (!stat(path, &st) && (st.st_mode & S_IWUSR)) {
			EXPECT_EQ(0, vpd_write_file(path, values[i])) TH_LOG("%s", params[i]);
		}
	}
	for (int i = 0; i < nbound; i++) {
		EXPECT_EQ(0, vpd_bind_to(bound[i], "vfio-pci-dmabuf")) TH_LOG("%s", bound[i]);
	}

	/* The device works, its memory intact. */
	ASSERT_EQ(0, vpd_open(&self->dev, self->bdf));
	self->map = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, self->dev.fd,
			 bar2.offset);
	ASSERT_NE(MAP_FAILED, self->map);
	EXPECT_EQ(-1, vpd_check((uint64_t *)self->map, MAP_LEN, 0x3303));
}

TEST_HARNESS_MAIN
