// SPDX-License-Identifier: GPL-2.0
/*
 * Exported DMABUFs (VFIO_DEVICE_FEATURE_DMA_BUF) that other processes can
 * mmap: the export and its errnos (side by side with vfio-pci where it has
 * the feature), the mapping's content, a hand-off to a process that holds
 * nothing but the DMABUF fd, fault counts, revocation at every revoke point
 * (temporary) and on request (permanent), the memory attribute, and the
 * lifetime of an export across device close, unbind and rmmod.
 *
 * Most tests start an "agent" first: a child forked before any vfio fd
 * exists, which closes every fd it inherited but its command pipes and then
 * only ever receives the DMABUF fd: over a unix socket (SCM_RIGHTS) where
 * the kernel has them, else (the debug kernels are built without
 * networking) by pidfd_getfd() of that one fd.  It maps the buffer, checks
 * and writes patterns, probes for SIGBUS and counts faults on request.  A
 * signal it does not expect kills it, and the test fails with the signal's
 * name.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>

#include "vpd_export.h"
#include "kselftest_harness.h"

#define SZ_4K	0x1000UL
#define SZ_64K	0x10000UL
#define SZ_1M	0x100000UL
#define SZ_2M	0x200000UL
#define SZ_64M	0x4000000UL
#define SZ_1G	0x40000000UL
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* the agent: a process that holds only the DMABUF fd                       */
/* ------------------------------------------------------------------------ */

enum ag_op {
	AG_EXIT = 1,
	AG_TAKE_FD,	/* the fd sent with the request (or the parent's fd a) is the buffer */
	AG_MAP,		/* a = buffer offset, b = length, c = VA alignment, d = skew */
	AG_TRY_MAP,	/* mmap(a, b, flags) and unmap again: 0 or -errno */
	AG_UNMAP,
	AG_CHECK,	/* BAR-indexed pattern a over ranges r[nr], stride c: -1 or offset */
	AG_FILL,	/* buffer-indexed pattern a, stride c */
	AG_CHECK_BUF,	/* buffer-indexed pattern a, stride c: -1 or offset */
	AG_PROBE,	/* probe every a-sized window for SIGBUS */
	AG_TOUCH_ALL,	/* faults taken to read one word per page */
	AG_LOOP,	/* read every page in a loop until ctl->stop; replies at the end */
	AG_CLOSE_FD,
	AG_VFIO_FDS,	/* how many open fds reach a vfio object */
};

struct ag_req {
	int op;
	int flags;
	uint64_t a, b, c, d;
	uint32_t nr;
	struct vfio_region_dma_range r[8];
};

struct ag_rep {
	int64_t ret;
	int64_t v[4];
};

struct ag_ctl {
	volatile int stop;
	volatile long passes;
};

struct agent {
	pid_t pid;
	int cmd;		/* requests to the agent */
	int rep;		/* its replies */
	int fdsock;		/* unix socket for SCM_RIGHTS, -1 without networking */
	int dead;
	struct ag_ctl *ctl;
};

/* The agent's fds: requests, replies, the fd socket (if any). */
#define AG_FD_CMD	3
#define AG_FD_REP	4
#define AG_FD_SOCK	5

#define AG_DEAD INT64_MIN

static sigjmp_buf ag_jmp;

static void ag_sigbus(int sig)
{
	siglongjmp(ag_jmp, 1);
}

static void ag_loop(volatile uint8_t *map, size_t len, struct ag_ctl *ctl, struct ag_rep *rp)
{
	struct sigaction sa = { .sa_handler = ag_sigbus }, old;
	volatile long passes = 0, sigbus = 0, later = 0;
	volatile size_t off;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	while (!ctl->stop) {
		volatile long f0 = vpd_minflt();

		for (off = 0; off < len; off += SZ_4K) {
			if (sigsetjmp(ag_jmp, 1) == 0)
				(void)*(volatile uint64_t *)(map + off);
			else
				sigbus++;
		}
		if (passes > 0)
			later += vpd_minflt() - f0;
		passes++;
		ctl->passes = passes;
	}
	sigaction(SIGBUS, &old, NULL);
	rp->v[0] = passes;
	rp->v[1] = sigbus;
	rp->v[2] = later;
}

static void __attribute__((noreturn)) ag_main(int has_sock, struct ag_ctl *ctl)
{
	uint8_t *map = NULL;
	size_t map_len = 0;
	uint64_t map_off = 0;
	int buf = -1;

	for (;;) {
		struct ag_req rq;
		struct ag_rep rp = { 0 };
		ssize_t n = read(AG_FD_CMD, &rq, sizeof(rq));

		if (n == 0)
			_exit(0);
		if (n != sizeof(rq))
			_exit(2);
		switch (rq.op) {
		case AG_EXIT:
			if (write(AG_FD_REP, &rp, sizeof(rp)) != sizeof(rp))
				_exit(2);
			_exit(0);
		case AG_TAKE_FD: {
			int fd = -1;

			if (has_sock) {
				char c;

				if (vpd_recv_fd(AG_FD_SOCK, &c, 1, &fd) != 1)
					fd = -1;
			} else {
				/* Exactly the fd numbered rq.a in the parent. */
				fd = vpd_pidfd_getfd(getppid(), rq.a);
			}
			rp.ret = fd >= 0 ? 0 : -errno;
			if (buf >= 0)
				close(buf);
			buf = fd;
			rp.v[0] = has_sock;
			break;
		}
		case AG_MAP: {
			void *p;

			if (map)
				munmap(map, map_len);
			map = NULL;
			p = vpd_mmap_at(buf, rq.a, rq.b, rq.c, rq.d, PROT_READ | PROT_WRITE,
					MAP_SHARED);
			if (p == MAP_FAILED) {
				rp.ret = -errno;
				break;
			}
			map = p;
			map_len = rq.b;
			map_off = rq.a;
			break;
		}
		case AG_TRY_MAP: {
			void *p = mmap(NULL, rq.b, PROT_READ | PROT_WRITE, rq.flags, buf, rq.a);

			if (p == MAP_FAILED) {
				rp.ret = -errno;
			} else {
				munmap(p, rq.b);
				rp.ret = 0;
			}
			break;
		}
		case AG_UNMAP:
			rp.ret = map ? munmap(map, map_len) : -EINVAL;
			map = NULL;
			break;
		case AG_CHECK:
			rp.ret = vpd_check_export(map, map_off, map_len, rq.r, rq.nr, rq.a, rq.c);
			break;
		case AG_FILL:
			vpd_fill_export(map, map_off, map_len, rq.a, rq.c);
			break;
		case AG_CHECK_BUF:
			rp.ret = -1;
			for (uint64_t x = 0; x < map_len; x += rq.c)
				if (*(volatile uint64_t *)(map + x) !=
				    vpd_pattern(rq.a, (map_off + x) / 8)) {
					rp.ret = (int64_t)(map_off + x);
					break;
				}
			break;
		case AG_PROBE: {
			struct vpd_window_probe pr = vpd_probe_windows(map, map_len, rq.a,
								       0xbadbadbadbadbadULL);

			rp.v[0] = pr.windows;
			rp.v[1] = pr.sigbus;
			rp.v[2] = pr.first_ok;
			rp.v[3] = pr.other_sig;
			break;
		}
		case AG_TOUCH_ALL:
			rp.ret = vpd_touch_all(map, map_len);
			break;
		case AG_LOOP:
			ag_loop(map, map_len, ctl, &rp);
			break;
		case AG_CLOSE_FD:
			rp.ret = close(buf) ? -errno : 0;
			buf = -1;
			break;
		case AG_VFIO_FDS: {
			int total = 0;

			rp.ret = vpd_count_vfio_fds(&total);
			rp.v[0] = total;
			break;
		}
		default:
			_exit(3);
		}
		if (write(AG_FD_REP, &rp, sizeof(rp)) != sizeof(rp))
			_exit(2);
	}
}

/* Fork the agent.  Call before opening any vfio fd. */
static int ag_start(struct agent *ag)
{
	pid_t parent = getpid();
	int to[2], from[2], sv[2] = { -1, -1 };

	memset(ag, 0, sizeof(*ag));
	ag->pid = -1;
	ag->cmd = ag->rep = ag->fdsock = -1;
	ag->ctl = mmap(NULL, sizeof(*ag->ctl), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ag->ctl == MAP_FAILED)
		return -errno;
	/* A dead agent must fail the test, not kill it. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return -errno;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		sv[0] = sv[1] = -1;	/* no networking: pidfd_getfd() instead */
	fflush(stdout);
	fflush(stderr);
	ag->pid = fork();
	if (ag->pid < 0)
		return -errno;
	if (ag->pid == 0) {
		int c, r, k = -1;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(4);
		/* Out of the way of 3..5 first, then into place. */
		c = fcntl(to[0], F_DUPFD, 100);
		r = fcntl(from[1], F_DUPFD, 100);
		if (sv[1] >= 0)
			k = fcntl(sv[1], F_DUPFD, 100);
		if (c < 0 || r < 0 || dup2(c, AG_FD_CMD) < 0 || dup2(r, AG_FD_REP) < 0 ||
		    (k >= 0 && dup2(k, AG_FD_SOCK) < 0))
			_exit(5);
		/* Nothing else: no vfio fd, no mapping of a device. */
		syscall(SYS_close_range, k >= 0 ? AG_FD_SOCK + 1 : AG_FD_SOCK, ~0U, 0);
		ag_main(k >= 0, ag->ctl);
	}
	close(to[0]);
	close(from[1]);
	if (sv[1] >= 0)
		close(sv[1]);
	ag->cmd = to[1];
	ag->rep = from[0];
	ag->fdsock = sv[0];
	return 0;
}

static void ag_died(struct agent *ag, const char *when)
{
	char why[96];
	int status = 0;

	if (ag->dead)
		return;
	ag->dead = 1;
	if (ag->pid > 0 && waitpid(ag->pid, &status, 0) == ag->pid) {
		ksft_print_msg("agent died %s: %s\n", when,
			       vpd_wait_str(status, why, sizeof(why)));
		ag->pid = -1;
	} else {
		ksft_print_msg("agent lost %s\n", when);
	}
}

/* Send a request; @fd (if not negative) goes to the agent with it. */
static int ag_send(struct agent *ag, const struct ag_req *rq, int fd)
{
	if (ag->dead)
		return -1;
	if (write(ag->cmd, rq, sizeof(*rq)) != sizeof(*rq) ||
	    (fd >= 0 && ag->fdsock >= 0 && vpd_send_fd(ag->fdsock, fd, "f", 1))) {
		ag_died(ag, "(send)");
		return -1;
	}
	return 0;
}

static int ag_recv(struct agent *ag, struct ag_rep *rp)
{
	if (ag->dead)
		return -1;
	if (read(ag->rep, rp, sizeof(*rp)) != sizeof(*rp)) {
		ag_died(ag, "(no reply)");
		return -1;
	}
	return 0;
}

/* One request: the reply's ret (AG_DEAD if the agent died), *rp if asked. */
static int64_t ag_do(struct agent *ag, struct ag_rep *out, int fd, struct ag_req rq)
{
	struct ag_rep rp;

	if (ag_send(ag, &rq, fd) || ag_recv(ag, &rp))
		return AG_DEAD;
	if (out)
		*out = rp;
	return rp.ret;
}

#define AG(ag, ...) ag_do((ag), NULL, -1, (struct ag_req){ __VA_ARGS__ })

/* Hand @fd, and nothing else, to the agent. */
static int64_t ag_give(struct agent *ag, int fd)
{
	return ag_do(ag, NULL, fd, (struct ag_req){ .op = AG_TAKE_FD, .a = fd });
}

static int64_t ag_map(struct agent *ag, uint64_t off, uint64_t len)
{
	return AG(ag, .op = AG_MAP, .a = off, .b = len, .c = SZ_2M, .d = 0);
}

static int64_t ag_check(struct agent *ag, const struct vfio_region_dma_range *r,
			unsigned int nr, uint64_t seed, size_t stride)
{
	struct ag_req rq = { .op = AG_CHECK, .a = seed, .c = stride, .nr = nr };

	if (nr > ARRAY_LEN(rq.r))
		return AG_DEAD;
	memcpy(rq.r, r, nr * sizeof(*r));
	return ag_do(ag, NULL, -1, rq);
}

/* Probe every 2 MiB window of the agent's mapping. */
static struct vpd_window_probe ag_probe(struct agent *ag)
{
	struct vpd_window_probe pr = { .first_ok = -2 };
	struct ag_rep rp;

	if (ag_do(ag, &rp, -1, (struct ag_req){ .op = AG_PROBE, .a = SZ_2M }) == AG_DEAD)
		return pr;
	pr.windows = rp.v[0];
	pr.sigbus = rp.v[1];
	pr.first_ok = rp.v[2];
	pr.other_sig = rp.v[3];
	return pr;
}

static void ag_close_fds(struct agent *ag)
{
	if (ag->cmd >= 0)
		close(ag->cmd);
	if (ag->rep >= 0)
		close(ag->rep);
	if (ag->fdsock >= 0)
		close(ag->fdsock);
	ag->cmd = ag->rep = ag->fdsock = -1;
}

/* Ask the agent to exit; 0 when it exited 0 (never killed by a signal). */
static int ag_finish(struct agent *ag)
{
	struct ag_req rq = { .op = AG_EXIT };
	struct ag_rep rp;
	char why[96];
	int status, ok;

	if (ag->pid <= 0)
		return -1;
	if (!ag->dead && !ag_send(ag, &rq, -1))
		ag_recv(ag, &rp);
	if (ag->dead)
		return -1;
	if (waitpid(ag->pid, &status, 0) != ag->pid)
		return -1;
	ag->pid = -1;
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok)
		ksft_print_msg("agent %s\n", vpd_wait_str(status, why, sizeof(why)));
	ag_close_fds(ag);
	return ok ? 0 : -1;
}

/* Teardown path: stop the agent whatever its state. */
static void ag_kill(struct agent *ag)
{
	if (ag->pid > 0) {
		kill(ag->pid, SIGKILL);
		waitpid(ag->pid, NULL, 0);
		ag->pid = -1;
	}
	ag_close_fds(ag);
}

/* Wait until the looping agent completed @n more passes (up to 30 s). */
static void ag_loop_wait(struct agent *ag, long n)
{
	long p0 = ag->ctl->passes;

	for (int i = 0; i < 30000 && ag->ctl->passes < p0 + n && !ag->dead; i++)
		usleep(1000);
}

/* Start AG_LOOP: 0 once the agent completed two passes over its mapping. */
static int ag_loop_start(struct agent *ag)
{
	struct ag_req rq = { .op = AG_LOOP };

	ag->ctl->stop = 0;
	ag->ctl->passes = 0;
	if (ag_send(ag, &rq, -1))
		return -1;
	ag_loop_wait(ag, 2);
	return ag->ctl->passes >= 2 ? 0 : -1;
}

/* Stop AG_LOOP; rp->v[] = passes, SIGBUS seen, faults after the first pass. */
static int ag_loop_stop(struct agent *ag, struct ag_rep *rp)
{
	ag->ctl->stop = 1;
	return ag_recv(ag, rp);
}

/* ------------------------------------------------------------------------ */
/* common helpers                                                           */
/* ------------------------------------------------------------------------ */

static int open_role(struct vpd_dev *d, const char *role)
{
	const char *bdf = vpd_role_bdf(role);

	d->container = d->group = d->fd = -1;
	if (!bdf)
		return -ENODEV;
	return vpd_open(d, bdf);
}

static unsigned long windows_of(uint64_t len)
{
	return (len + SZ_2M - 1) / SZ_2M;
}

/* BAR-indexed pattern of the BAR mapped at @bar, in every range. */
static int64_t check_bar_pattern(const volatile uint8_t *bar,
				 const struct vfio_region_dma_range *r, unsigned int nr,
				 uint64_t seed, size_t stride)
{
	for (unsigned int i = 0; i < nr; i++)
		for (uint64_t y = r[i].offset; y < r[i].offset + r[i].length; y += stride)
			if (*(const volatile uint64_t *)(bar + y) != vpd_pattern(seed, y / 8))
				return (int64_t)y;
	return -1;
}

/*
 * One export in use by two processes: the agent (the DMABUF fd and a
 * mapping) and this process (a mapping, the device fds, a BAR mapping).
 */
struct ectx {
	struct agent ag;
	struct vpd_dev dev;
	struct vfio_region_info bar2;
	uint8_t *bar;		/* BAR2 mapping through the device fd */
	size_t bar_len;
	const struct vfio_region_dma_range *r;
	unsigned int nr;
	uint64_t len;		/* of the buffer */
	int buf;		/* the DMABUF fd */
	uint8_t *map;		/* this process's mapping of the whole buffer */
	uint64_t seed;
	size_t stride;
};

static void ectx_init(struct ectx *c)
{
	memset(c, 0, sizeof(*c));
	c->ag.pid = -1;
	c->ag.cmd = c->ag.rep = c->ag.fdsock = -1;
	c->dev.container = c->dev.group = c->dev.fd = -1;
	c->buf = -1;
}

/* Undo whatever ectx_setup() did; safe at any point. */
static void ectx_cleanup(struct ectx *c)
{
	ag_kill(&c->ag);
	if (c->map && c->map != MAP_FAILED)
		munmap(c->map, c->len);
	c->map = NULL;
	if (c->bar && c->bar != MAP_FAILED)
		munmap(c->bar, c->bar_len);
	c->bar = NULL;
	if (c->buf >= 0)
		close(c->buf);
	c->buf = -1;
	vpd_close(&c->dev);
}

/* Has the harness's _metadata in scope, so ASSERTs work in here. */
#define ECTX_SETUP(c, role, ranges, seed_, stride_) \
	ectx_setup(_metadata, (c), (role), (ranges), ARRAY_LEN(ranges), (seed_), (stride_))

static void ectx_setup(struct __test_metadata *_metadata, struct ectx *c, const char *role,
		       const struct vfio_region_dma_range *r, unsigned int nr,
		       uint64_t seed, size_t stride)
{
	ASSERT_EQ(0, ag_start(&c->ag));
	ASSERT_EQ(0, open_role(&c->dev, role)) TH_LOG("%s", role);
	ASSERT_EQ(0, vpd_region_info(&c->dev, VFIO_PCI_BAR2_REGION_INDEX, &c->bar2));
	c->r = r;
	c->nr = nr;
	c->len = vpd_ranges_len(r, nr);
	c->seed = seed;
	c->stride = stride;
	c->bar_len = c->bar2.size < SZ_64M ? c->bar2.size : SZ_64M;
	c->bar = mmap(NULL, c->bar_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->dev.fd,
		      c->bar2.offset);
	ASSERT_NE(MAP_FAILED, c->bar);
	vpd_fill_bar_ranges(c->bar, r, nr, seed, stride);

	c->buf = vpd_export(c->dev.fd, 2, r, nr);
	ASSERT_GE(c->buf, 0) TH_LOG("export: %s", strerror(-c->buf));
	ASSERT_EQ(0, ag_give(&c->ag, c->buf));
	ASSERT_EQ(0, ag_map(&c->ag, 0, c->len));
	ASSERT_EQ(-1, ag_check(&c->ag, r, nr, seed, stride));

	c->map = vpd_mmap_at(c->buf, 0, c->len, SZ_2M, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, c->map) TH_LOG("mmap of the export: %s", strerror(errno));
	ASSERT_EQ(-1, vpd_check_export(c->map, 0, c->len, r, nr, seed, stride));
	/* Both mappings fully populated before the revoke point. */
	ASSERT_LE(0, AG(&c->ag, .op = AG_TOUCH_ALL));
	vpd_touch_all(c->map, c->len);
}

#define EXPECT_REVOKED(c, what) expect_revoked(_metadata, (c), (what))

/* Every 2 MiB window raises SIGBUS, in the agent and here. */
static void expect_revoked(struct __test_metadata *_metadata, struct ectx *c, const char *what)
{
	struct vpd_window_probe pa = ag_probe(&c->ag);
	struct vpd_window_probe pp = vpd_probe_windows(c->map, c->len, SZ_2M,
						       0xbadbadbadbadbadULL);

	EXPECT_EQ(windows_of(c->len), pa.windows) TH_LOG("%s: agent probe failed", what);
	EXPECT_EQ(pa.windows, pa.sigbus)
		TH_LOG("%s: agent reached window %ld", what, pa.first_ok);
	EXPECT_EQ(0, pa.other_sig) TH_LOG("%s: agent got signal %d", what, pa.other_sig);
	EXPECT_EQ(windows_of(c->len), pp.windows);
	EXPECT_EQ(pp.windows, pp.sigbus)
		TH_LOG("%s: parent reached window %ld", what, pp.first_ok);
	EXPECT_EQ(0, pp.other_sig) TH_LOG("%s: parent got signal %d", what, pp.other_sig);
}

#define EXPECT_ZAPPED(c, what) expect_zapped(_metadata, (c), (what), 1)
#define EXPECT_PARENT_ZAPPED(c, what) expect_zapped(_metadata, (c), (what), 0)

/*
 * The PTEs were zapped: touching every page takes one fault per 2 MiB
 * window again (mappings at a 2 MiB-aligned VA, huge PFN maps), or at least
 * one where the first fault maps the whole VMA (6.1).
 */
static void expect_zapped(struct __test_metadata *_metadata, struct ectx *c, const char *what,
			  int agent)
{
	int64_t fa = agent ? AG(&c->ag, .op = AG_TOUCH_ALL) : 0;
	long fp = vpd_touch_all(c->map, c->len);
	int huge = vpd_huge_pfnmap();

	if (agent)
		ksft_print_msg("FAULTS export refault after %s: agent %lld parent %ld (windows %lu)\n",
			       what, (long long)fa, fp, windows_of(c->len));
	else
		ksft_print_msg("FAULTS export refault after %s: parent %ld (windows %lu)\n",
			       what, fp, windows_of(c->len));
	ASSERT_NE(AG_DEAD, fa);
	ASSERT_GE(huge, 0) TH_LOG("%s: %s", VPD_HUGE_PFNMAP_PARAM, strerror(-huge));
	if (huge & VPD_HUGE_PMD) {
		if (agent) {
			EXPECT_EQ((int64_t)windows_of(c->len), fa) TH_LOG("%s: agent", what);
		}
		EXPECT_EQ((long)windows_of(c->len), fp) TH_LOG("%s: parent", what);
	} else {
		if (agent) {
			EXPECT_GE(fa, 1) TH_LOG("%s: agent's mapping was not zapped", what);
		}
		EXPECT_GE(fp, 1) TH_LOG("%s: parent's mapping was not zapped", what);
	}
}

#define EXPECT_INTACT(c, what) expect_intact(_metadata, (c), (what))

static void expect_intact(struct __test_metadata *_metadata, struct ectx *c, const char *what)
{
	EXPECT_EQ(-1, ag_check(&c->ag, c->r, c->nr, c->seed, c->stride)) TH_LOG("%s: agent", what);
	EXPECT_EQ(-1, vpd_check_export(c->map, 0, c->len, c->r, c->nr, c->seed, c->stride))
		TH_LOG("%s: parent", what);
}

/* Most tests: one export in use by this process and an agent. */
FIXTURE(exp) {
	struct ectx c;
};

FIXTURE_SETUP(exp)
{
	ectx_init(&self->c);
}

FIXTURE_TEARDOWN(exp)
{
	ectx_cleanup(&self->c);
}

/* ------------------------------------------------------------------------ */
/* A. the export and its errnos, side by side with vfio-pci                 */
/* ------------------------------------------------------------------------ */

FIXTURE(twin) {
	struct vpd_dev dev;
	struct vfio_region_info bar2;
	int probe;
};

FIXTURE_VARIANT(twin) {
	const char *role;
	const char *driver;
	int ours;
};

FIXTURE_VARIANT_ADD(twin, ours) {
	.role = "VPD_DEV_OURS", .driver = "vfio-pci-dmabuf", .ours = 1,
};

FIXTURE_VARIANT_ADD(twin, stock) {
	.role = "VPD_DEV_STOCK", .driver = "vfio-pci", .ours = 0,
};

FIXTURE_SETUP(twin)
{
	const char *bdf = vpd_role_bdf(variant->role);
	char drv[64];

	self->dev.container = self->dev.group = self->dev.fd = -1;
	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vpd_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ(variant->driver, drv);
	ASSERT_EQ(0, vpd_open(&self->dev, bdf));
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &self->bar2));
	ASSERT_EQ(SZ_64M, self->bar2.size);
	self->probe = vpd_feature_probe(self->dev.fd, VFIO_DEVICE_FEATURE_GET,
					VFIO_DEVICE_FEATURE_DMA_BUF);
	/* Ours always has the feature; vfio-pci only where the kernel has it (6.19+). */
	if (variant->ours) {
		ASSERT_EQ(0, self->probe) TH_LOG("PROBE: %s", strerror(-self->probe));
	}
}

FIXTURE_TEARDOWN(twin)
{
	vpd_close(&self->dev);
}

#define TWIN_SKIP_STOCK() do { \
	if (!variant->ours && self->probe) \
		SKIP(return, "vfio-pci has no VFIO_DEVICE_FEATURE_DMA_BUF here (PROBE: %s)", \
		     strerror(-self->probe)); \
} while (0)

#define R(o, l) { .offset = (o), .length = (l) }

static const struct {
	const char *what;
	uint32_t op;		/* GET unless stated */
	uint32_t region;
	uint32_t flags;
	uint32_t nr;
	struct vfio_region_dma_range r[2];
	int err;
} export_refusals[] = {
	{ "no ranges", 0, 2, 0, 0, { R(0, SZ_4K) }, EINVAL },
	{ "flags 1", 0, 2, 1, 1, { R(0, SZ_4K) }, EINVAL },
	{ "flags bit 31", 0, 2, 0x80000000u, 1, { R(0, SZ_4K) }, EINVAL },
	{ "ROM region (6)", 0, VFIO_PCI_ROM_REGION_INDEX, 0, 1, { R(0, SZ_4K) }, ENODEV },
	{ "config region (7)", 0, VFIO_PCI_CONFIG_REGION_INDEX, 0, 1, { R(0, SZ_4K) }, ENODEV },
	{ "VGA region (8)", 0, VFIO_PCI_VGA_REGION_INDEX, 0, 1, { R(0, SZ_4K) }, ENODEV },
	{ "region 200", 0, 200, 0, 1, { R(0, SZ_4K) }, ENODEV },
	{ "absent BAR 1", 0, 1, 0, 1, { R(0, SZ_4K) }, ENODEV },
	{ "absent BAR 3", 0, 3, 0, 1, { R(0, SZ_4K) }, ENODEV },
	{ "absent BAR 4", 0, 4, 0, 1, { R(0, SZ_4K) }, ENODEV },
	{ "absent BAR 5", 0, 5, 0, 1, { R(0, SZ_4K) }, ENODEV },
	{ "empty range", 0, 2, 0, 1, { R(0, 0) }, EINVAL },
	{ "empty second range", 0, 2, 0, 2, { R(0, SZ_4K), R(SZ_2M, 0) }, EINVAL },
	{ "unaligned offset", 0, 2, 0, 1, { R(8, SZ_4K) }, EINVAL },
	{ "unaligned length", 0, 2, 0, 1, { R(0, 100) }, EINVAL },
	{ "unaligned second offset", 0, 2, 0, 2, { R(0, SZ_4K), R(SZ_2M + 512, SZ_4K) }, EINVAL },
	{ "offset at the BAR end", 0, 2, 0, 1, { R(SZ_64M, SZ_4K) }, EINVAL },
	{ "range ending beyond the BAR", 0, 2, 0, 1, { R(SZ_64M - SZ_4K, 2 * SZ_4K) }, EINVAL },
	{ "second range beyond the BAR", 0, 2, 0, 2, { R(0, SZ_4K), R(SZ_64M - SZ_4K, 2 * SZ_4K) },
	  EINVAL },
	{ "offset + length overflows", 0, 2, 0, 1, { R(0xfffffffffffff000ULL, 0x2000) }, EOVERFLOW },
	{ "total length overflows", 0, 2, 0, 2,
	  { R(0, 0x8000000000000000ULL), R(0, 0x8000000000000000ULL) }, EINVAL },
	{ "SET instead of GET", VFIO_DEVICE_FEATURE_SET, 2, 0, 1, { R(0, SZ_4K) }, EINVAL },
	{ "GET and SET", VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET, 2, 0, 1,
	  { R(0, SZ_4K) }, EINVAL },
};

TEST_F(twin, export_errnos)
{
	struct vfio_region_dma_range *many;
	struct vfio_region_info info;
	int fd;

	TWIN_SKIP_STOCK();

	/* The "absent" BARs really are absent. */
	for (unsigned int bar = 1; bar <= 5; bar += bar == 1 ? 2 : 1) {
		ASSERT_EQ(0, vpd_region_info(&self->dev, bar, &info));
		ASSERT_EQ(0, info.size) TH_LOG("BAR %u is not absent", bar);
	}

	for (size_t i = 0; i < ARRAY_LEN(export_refusals); i++) {
		typeof(export_refusals[0]) *t = &export_refusals[i];
		uint32_t ncopy = t->nr ? t->nr : 1;

		fd = vpd_export_raw(self->dev.fd, t->op ? t->op : VFIO_DEVICE_FEATURE_GET,
				    t->region, O_RDWR | O_CLOEXEC, t->flags, t->nr, t->r, ncopy);
		EXPECT_EQ(-t->err, fd) TH_LOG("%s: %s", t->what,
					      fd >= 0 ? "accepted" : strerror(-fd));
		if (fd >= 0)
			close(fd);
	}

	/* More than 4096 ranges, every one valid: refused by ours only. */
	many = calloc(VPD_MAX_RANGES + 1, sizeof(*many));
	ASSERT_NE(NULL, many);
	for (unsigned int i = 0; i <= VPD_MAX_RANGES; i++) {
		many[i].offset = (uint64_t)i * 2 * SZ_4K;
		many[i].length = SZ_4K;
	}
	if (variant->ours) {
		fd = vpd_export_raw(self->dev.fd, VFIO_DEVICE_FEATURE_GET, 2, O_RDWR | O_CLOEXEC,
				    0, VPD_MAX_RANGES + 1, many, VPD_MAX_RANGES + 1);
		EXPECT_EQ(-E2BIG, fd) TH_LOG("4097 ranges: %s", fd >= 0 ? "accepted" : strerror(-fd));
		if (fd >= 0)
			close(fd);
	}
	/* ... while 4096 are fine. */
	fd = vpd_export(self->dev.fd, 2, many, VPD_MAX_RANGES);
	EXPECT_GE(fd, 0) TH_LOG("4096 ranges: %s", strerror(-fd));
	if (fd >= 0) {
		EXPECT_EQ((off_t)(VPD_MAX_RANGES * SZ_4K), lseek(fd, 0, SEEK_END));
		close(fd);
	}
	free(many);
}

TEST_F(twin, export_fd)
{
	static const struct vfio_region_dma_range r2[] = { R(SZ_2M, SZ_2M), R(8 * SZ_1M, SZ_4K) };
	static const struct vfio_region_dma_range alias[] = { R(SZ_1M, SZ_64K), R(SZ_1M, SZ_64K) };
	int fd, fd2, fl;

	TWIN_SKIP_STOCK();
	EXPECT_EQ(0, vpd_feature_probe(self->dev.fd, VFIO_DEVICE_FEATURE_GET,
				       VFIO_DEVICE_FEATURE_DMA_BUF));

	fd = vpd_export_raw(self->dev.fd, VFIO_DEVICE_FEATURE_GET, 2, O_RDWR | O_CLOEXEC, 0,
			    2, r2, 2);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	fl = fcntl(fd, F_GETFD);
	EXPECT_TRUE(fl >= 0 && (fl & FD_CLOEXEC)) TH_LOG("F_GETFD 0x%x", fl);
	fl = fcntl(fd, F_GETFL);
	EXPECT_EQ(O_RDWR, fl & O_ACCMODE);
	EXPECT_EQ((off_t)(SZ_2M + SZ_4K), lseek(fd, 0, SEEK_END));

	fd2 = vpd_export_raw(self->dev.fd, VFIO_DEVICE_FEATURE_GET, 2, O_RDWR, 0, 2, r2, 2);
	ASSERT_GE(fd2, 0) TH_LOG("%s", strerror(-fd2));
	EXPECT_NE(fd, fd2);
	fl = fcntl(fd2, F_GETFD);
	EXPECT_EQ(0, fl & FD_CLOEXEC) TH_LOG("F_GETFD 0x%x", fl);
	EXPECT_EQ((off_t)(SZ_2M + SZ_4K), lseek(fd2, 0, SEEK_END));
	close(fd2);
	close(fd);

	/* Ranges may alias. */
	fd = vpd_export(self->dev.fd, 2, alias, 2);
	EXPECT_GE(fd, 0) TH_LOG("aliasing ranges: %s", strerror(-fd));
	if (fd >= 0) {
		EXPECT_EQ((off_t)(2 * SZ_64K), lseek(fd, 0, SEEK_END));
		close(fd);
	}
	/* The whole BAR. */
	fd = vpd_export(self->dev.fd, 2, (struct vfio_region_dma_range[]){ R(0, SZ_64M) }, 1);
	EXPECT_GE(fd, 0) TH_LOG("whole BAR: %s", strerror(-fd));
	if (fd >= 0) {
		EXPECT_EQ((off_t)SZ_64M, lseek(fd, 0, SEEK_END));
		close(fd);
	}
}

/* ------------------------------------------------------------------------ */
/* B. mmap of the DMABUF fd                                                 */
/* ------------------------------------------------------------------------ */

TEST(export_mmap_errnos)
{
	static const struct vfio_region_dma_range r[] = {
		R(4 * SZ_1M, SZ_2M), R(12 * SZ_1M, SZ_4K), R(20 * SZ_1M, SZ_1M),
	};
	const uint64_t len = SZ_2M + SZ_4K + SZ_1M;
	static const struct {
		const char *what;
		uint64_t off, len;
		int flags;
		int err;
	} maps[] = {
		{ "private mapping", 0, SZ_4K, MAP_PRIVATE, EINVAL },
		{ "private mapping of everything", 0, SZ_2M + SZ_4K + SZ_1M, MAP_PRIVATE, EINVAL },
		{ "length past the end", 0, SZ_2M + SZ_4K + SZ_1M + SZ_4K, MAP_SHARED, EINVAL },
		{ "offset at the end", SZ_2M + SZ_4K + SZ_1M, SZ_4K, MAP_SHARED, EINVAL },
		{ "offset + length past the end", SZ_2M + SZ_1M, 2 * SZ_4K, MAP_SHARED, EINVAL },
		{ "offset far out", 1ULL << 40, SZ_4K, MAP_SHARED, EINVAL },
		{ "the last page", SZ_2M + SZ_1M, SZ_4K, MAP_SHARED, 0 },
		{ "the second and third range", SZ_2M, SZ_4K + SZ_1M, MAP_SHARED, 0 },
		{ "everything", 0, SZ_2M + SZ_4K + SZ_1M, MAP_SHARED, 0 },
	};
	struct vpd_dev d;
	int fd;

	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	fd = vpd_export(d.fd, 2, r, ARRAY_LEN(r));
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ((off_t)len, lseek(fd, 0, SEEK_END));
	for (size_t i = 0; i < ARRAY_LEN(maps); i++) {
		void *p = mmap(NULL, maps[i].len, PROT_READ | PROT_WRITE, maps[i].flags, fd,
			       maps[i].off);

		if (maps[i].err) {
			EXPECT_EQ(MAP_FAILED, p) TH_LOG("%s: mapped", maps[i].what);
			if (p == MAP_FAILED) {
				EXPECT_EQ(maps[i].err, errno)
					TH_LOG("%s: %s", maps[i].what, strerror(errno));
			}
		} else {
			EXPECT_NE(MAP_FAILED, p) TH_LOG("%s: %s", maps[i].what, strerror(errno));
		}
		if (p != MAP_FAILED) {
			uint64_t v;

			/* Every page of a valid mapping is reachable. */
			for (uint64_t o = 0; o < maps[i].len; o += SZ_4K) {
				EXPECT_EQ(0, vpd_touch((volatile uint64_t *)((uint8_t *)p + o), 0, &v))
					TH_LOG("%s: page %llu", maps[i].what,
					       (unsigned long long)(o / SZ_4K));
			}
			munmap(p, maps[i].len);
		}
	}
	close(fd);
	vpd_close(&d);
}

/*
 * An export opened O_RDONLY maps shared for reading only.  (The mm clears
 * VM_SHARED, keeping VM_MAYSHARE, for a shared mapping of a file not open
 * for writing: refusing !VM_SHARED would refuse every mapping of it.)
 */
TEST(export_mmap_read_only)
{
	static const struct vfio_region_dma_range r[] = { R(4 * SZ_1M, SZ_2M) };
	struct vpd_dev d;
	uint64_t v;
	void *ro;
	int fd;

	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	fd = vpd_export_raw(d.fd, VFIO_DEVICE_FEATURE_GET, 2, O_RDONLY | O_CLOEXEC, 0,
			    ARRAY_LEN(r), r, ARRAY_LEN(r));
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	ro = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT_EQ(MAP_FAILED, ro) TH_LOG("O_RDONLY fd mapped writable");
	if (ro == MAP_FAILED) {
		EXPECT_EQ(EACCES, errno);
	} else {
		munmap(ro, SZ_4K);
	}
	ro = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_NE(MAP_FAILED, ro) TH_LOG("read-only shared mapping: %s", strerror(errno));
	if (ro != MAP_FAILED) {
		EXPECT_EQ(0, vpd_touch((volatile uint64_t *)ro, 0, &v));
		munmap(ro, SZ_4K);
	}
	/* Private stays refused. */
	ro = mmap(NULL, SZ_4K, PROT_READ, MAP_PRIVATE, fd, 0);
	EXPECT_EQ(MAP_FAILED, ro);
	if (ro != MAP_FAILED)
		munmap(ro, SZ_4K);
	close(fd);
	vpd_close(&d);
}

/*
 * The buffer is the concatenation of its ranges: reads see the BAR's bytes
 * in range order, writes land at the ranges' BAR offsets and nowhere else
 * (seen through the BAR mapping and through the witness, the host's view).
 */
TEST_F_TIMEOUT(exp, mmap_content, 180)
{
	/* Non-adjacent, out of BAR order, of different sizes. */
	static const struct vfio_region_dma_range r[] = {
		R(32 * SZ_1M, SZ_2M + 2 * SZ_4K), R(SZ_4K, 15 * SZ_4K), R(10 * SZ_1M, SZ_1M),
	};
	static const struct vfio_region_dma_range alias[] = { R(48 * SZ_1M, SZ_64K),
							      R(48 * SZ_1M, SZ_64K) };
	const uint64_t len = vpd_ranges_len(r, ARRAY_LEN(r));
	const uint64_t poff = SZ_2M;	/* a partial mapping from here */
	uint8_t *bar, *host, *map, *part, *amap;
	const char *w = vpd_role_bdf("VPD_DEV_OURS_W");
	struct vfio_region_info bar2;
	struct vpd_dev d;
	uint64_t y, bad = 0;
	int fd, afd;

	ASSERT_NE(NULL, w);
	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	ASSERT_EQ(0, vpd_region_info(&d, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	bar = mmap(NULL, SZ_64M, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd, bar2.offset);
	ASSERT_NE(MAP_FAILED, bar);
	host = vpd_map_witness(w, 2, SZ_64M);
	ASSERT_NE(MAP_FAILED, host);
	vpd_fill((uint64_t *)bar, SZ_64M, 0x5111);
	ASSERT_EQ(-1, vpd_check((uint64_t *)host, SZ_64M, 0x5111));

	fd = vpd_export(d.fd, 2, r, ARRAY_LEN(r));
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	map = vpd_mmap_at(fd, 0, len, SZ_2M, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, map);
	part = mmap(NULL, len - poff, PROT_READ | PROT_WRITE, MAP_SHARED, fd, poff);
	ASSERT_NE(MAP_FAILED, part);

	/* Reads: the ranges' bytes, in order. */
	EXPECT_EQ(-1, vpd_check_export(map, 0, len, r, ARRAY_LEN(r), 0x5111, 8));
	EXPECT_EQ(-1, vpd_check_export(part, poff, len - poff, r, ARRAY_LEN(r), 0x5111, 8));
	/* A later write through the BAR shows through (no copy). */
	vpd_fill_bar_ranges(bar, r, ARRAY_LEN(r), 0x5112, 8);
	EXPECT_EQ(-1, vpd_check_export(map, 0, len, r, ARRAY_LEN(r), 0x5112, 8));

	/* Writes: at the ranges' BAR offsets... */
	vpd_fill_export(map, 0, len, 0x5113, 8);
	EXPECT_EQ(-1, vpd_check_bar_ranges(bar, r, ARRAY_LEN(r), 0x5113, 8));
	EXPECT_EQ(-1, vpd_check_bar_ranges(host, r, ARRAY_LEN(r), 0x5113, 8));
	for (uint64_t x = 0; x < len - poff && !bad; x += 8)
		if (*(uint64_t *)(part + x) != vpd_pattern(0x5113, (poff + x) / 8))
			bad = poff + x + 1;
	EXPECT_EQ(0, bad) TH_LOG("partial mapping: buffer offset 0x%llx",
				 (unsigned long long)(bad - 1));
	bad = 0;
	/* ... and nowhere else. */
	for (y = 0; y < SZ_64M; y += 8)
		if (!vpd_in_ranges(r, ARRAY_LEN(r), y) &&
		    *(uint64_t *)(host + y) != vpd_pattern(0x5111, y / 8)) {
			bad = y + 1;
			break;
		}
	EXPECT_EQ(0, bad) TH_LOG("BAR offset 0x%llx outside the ranges changed",
				 (unsigned long long)(bad - 1));

	/* Aliasing ranges: both halves are the same BAR bytes. */
	afd = vpd_export(d.fd, 2, alias, 2);
	ASSERT_GE(afd, 0) TH_LOG("%s", strerror(-afd));
	amap = mmap(NULL, 2 * SZ_64K, PROT_READ | PROT_WRITE, MAP_SHARED, afd, 0);
	ASSERT_NE(MAP_FAILED, amap);
	for (uint64_t x = 0; x < SZ_64K; x += 8)
		*(volatile uint64_t *)(amap + x) = vpd_pattern(0xa1a5, x / 8);
	bad = 0;
	for (uint64_t x = 0; x < SZ_64K && !bad; x += 8)
		if (*(volatile uint64_t *)(amap + SZ_64K + x) != vpd_pattern(0xa1a5, x / 8) ||
		    *(uint64_t *)(host + 48 * SZ_1M + x) != vpd_pattern(0xa1a5, x / 8))
			bad = x + 1;
	EXPECT_EQ(0, bad) TH_LOG("aliasing ranges differ at 0x%llx", (unsigned long long)(bad - 1));
	munmap(amap, 2 * SZ_64K);
	close(afd);

	munmap(part, len - poff);
	munmap(map, len);
	close(fd);
	munmap(host, SZ_64M);
	munmap(bar, SZ_64M);
	vpd_close(&d);
}

/* /proc/self/maps: "/dmabuf:<vfioN>:<bdf>/<bar>", offset column = offset in the buffer. */
TEST(export_maps_name)
{
	static const struct vfio_region_dma_range r[] = { R(8 * SZ_1M, 4 * SZ_1M),
							  R(SZ_1M, SZ_2M) };
	char vname[32], want[128], name[256], line[512];
	unsigned long long off;
	unsigned long end;
	struct vpd_dev d;
	uint8_t *map;
	int fd;
	FILE *f;

	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	fd = vpd_export(d.fd, 2, r, ARRAY_LEN(r));
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	map = mmap(NULL, 3 * SZ_1M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 3 * SZ_1M);
	ASSERT_NE(MAP_FAILED, map);

	vpd_vfio_name(d.bdf, vname, sizeof(vname));
	ASSERT_EQ(0, vpd_maps_entry(map, &end, &off, name, sizeof(name)));
	TH_LOG("maps: %lx-%lx %llx %s", (unsigned long)map, end, off, name);
	EXPECT_EQ(3 * SZ_1M, end - (unsigned long)map);
	EXPECT_EQ(3 * SZ_1M, off);
	if (vname[0]) {
		snprintf(want, sizeof(want), "/dmabuf:%s:%s/2", vname, d.bdf);
		EXPECT_STREQ(want, name);
	} else {
		snprintf(want, sizeof(want), ":%s/2", d.bdf);
		EXPECT_EQ(0, strncmp(name, "/dmabuf:vfio", 12)) TH_LOG("name %s", name);
		EXPECT_TRUE(strlen(name) > strlen(want) &&
			    !strcmp(name + strlen(name) - strlen(want), want)) TH_LOG("name %s", name);
	}

	/* debugfs bufinfo lists the buffer under the same name. */
	f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "r");
	if (f) {
		int listed = 0;

		snprintf(want, sizeof(want), "%s:%s/2", vname[0] ? vname : "", d.bdf);
		while (fgets(line, sizeof(line), f))
			if (strstr(line, want))
				listed = 1;
		fclose(f);
		EXPECT_TRUE(listed) TH_LOG("no %s in bufinfo", want);
	}
	munmap(map, 3 * SZ_1M);
	close(fd);
	vpd_close(&d);
}

/* ------------------------------------------------------------------------ */
/* C. hand-off to a process that holds only the DMABUF fd                   */
/* ------------------------------------------------------------------------ */

TEST_F_TIMEOUT(exp, handoff_to_child, 180)
{
	static const struct vfio_region_dma_range r[] = {
		R(40 * SZ_1M, 4 * SZ_1M), R(2 * SZ_1M, SZ_64K), R(17 * SZ_1M + SZ_4K, SZ_1M + 3 * SZ_4K),
	};
	const uint64_t len = vpd_ranges_len(r, ARRAY_LEN(r));
	const char *w = vpd_role_bdf("VPD_DEV_OURS_W");
	struct vfio_region_info bar2;
	struct agent ag;
	struct ag_rep rp;
	struct vpd_dev d;
	uint8_t *bar, *host;
	uint64_t y, bad = 0;
	int fd;

	ASSERT_NE(NULL, w);
	/* Forked before any vfio fd exists. */
	ASSERT_EQ(0, ag_start(&ag));
	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	ASSERT_EQ(0, vpd_region_info(&d, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	bar = mmap(NULL, SZ_64M, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd, bar2.offset);
	ASSERT_NE(MAP_FAILED, bar);
	host = vpd_map_witness(w, 2, SZ_64M);
	ASSERT_NE(MAP_FAILED, host);
	vpd_fill((uint64_t *)bar, SZ_64M, 0xc0de1);

	fd = vpd_export(d.fd, 2, r, ARRAY_LEN(r));
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, ag_do(&ag, &rp, fd, (struct ag_req){ .op = AG_TAKE_FD, .a = fd }));
	TH_LOG("DMABUF fd passed by %s", rp.v[0] ? "SCM_RIGHTS" : "pidfd_getfd()");
	/* Only the agent holds the buffer now. */
	close(fd);

	ASSERT_EQ(0, ag_do(&ag, &rp, -1, (struct ag_req){ .op = AG_VFIO_FDS }));
	/* Past stdio: its pipes (and socket) and the DMABUF, nothing else. */
	EXPECT_EQ(ag.fdsock >= 0 ? 4 : 3, rp.v[0])
		TH_LOG("agent holds %lld fds past stdio", (long long)rp.v[0]);

	ASSERT_EQ(0, ag_map(&ag, 0, len));
	/* It reads what the parent wrote through its BAR mapping... */
	EXPECT_EQ(-1, ag_check(&ag, r, ARRAY_LEN(r), 0xc0de1, 8));
	vpd_fill_bar_ranges(bar, r, ARRAY_LEN(r), 0xc0de2, 8);
	EXPECT_EQ(-1, ag_check(&ag, r, ARRAY_LEN(r), 0xc0de2, 8));
	/* ... and writes what the parent sees, at the ranges' offsets only. */
	ASSERT_EQ(0, AG(&ag, .op = AG_FILL, .a = 0xc0de3, .c = 8));
	EXPECT_EQ(-1, AG(&ag, .op = AG_CHECK_BUF, .a = 0xc0de3, .c = 8));
	EXPECT_EQ(-1, vpd_check_bar_ranges(bar, r, ARRAY_LEN(r), 0xc0de3, 8));
	EXPECT_EQ(-1, vpd_check_bar_ranges(host, r, ARRAY_LEN(r), 0xc0de3, 8));
	for (y = 0; y < SZ_64M; y += 8)
		if (!vpd_in_ranges(r, ARRAY_LEN(r), y) &&
		    *(uint64_t *)(host + y) != vpd_pattern(0xc0de1, y / 8)) {
			bad = y + 1;
			break;
		}
	EXPECT_EQ(0, bad) TH_LOG("the agent reached BAR offset 0x%llx outside its ranges",
				 (unsigned long long)(bad - 1));

	/* Nothing past the end. */
	EXPECT_EQ(-EINVAL, AG(&ag, .op = AG_TRY_MAP, .a = 0, .b = len + SZ_4K, .flags = MAP_SHARED));
	EXPECT_EQ(-EINVAL, AG(&ag, .op = AG_TRY_MAP, .a = len, .b = SZ_4K, .flags = MAP_SHARED));
	EXPECT_EQ(-EINVAL, AG(&ag, .op = AG_TRY_MAP, .a = len - SZ_4K, .b = 2 * SZ_4K,
			      .flags = MAP_SHARED));
	EXPECT_EQ(-EINVAL, AG(&ag, .op = AG_TRY_MAP, .a = 0, .b = SZ_4K, .flags = MAP_PRIVATE));
	EXPECT_EQ(0, AG(&ag, .op = AG_TRY_MAP, .a = len - SZ_4K, .b = SZ_4K, .flags = MAP_SHARED));

	/* The mapping outlives the fd; no SIGBUS anywhere in range. */
	EXPECT_EQ(0, AG(&ag, .op = AG_CLOSE_FD));
	EXPECT_LE(0, AG(&ag, .op = AG_TOUCH_ALL));
	vpd_fill_bar_ranges(bar, r, ARRAY_LEN(r), 0xc0de4, 8);
	EXPECT_EQ(-1, ag_check(&ag, r, ARRAY_LEN(r), 0xc0de4, 8));
	EXPECT_EQ(0, AG(&ag, .op = AG_UNMAP));
	EXPECT_EQ(0, ag_finish(&ag));

	munmap(host, SZ_64M);
	munmap(bar, SZ_64M);
	vpd_close(&d);
}

/* ------------------------------------------------------------------------ */
/* D. fault counts                                                          */
/* ------------------------------------------------------------------------ */

/* Map @len bytes of @fd at an @align-aligned VA + @skew, touch every page: the faults. */
static long export_faults(struct __test_metadata *_metadata, int fd, uint64_t len,
			  size_t align, size_t skew)
{
	uint8_t *map = vpd_mmap_at(fd, 0, len, align, skew, PROT_READ | PROT_WRITE, MAP_SHARED);
	long n;

	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	n = vpd_touch_all(map, len);
	munmap(map, len);
	return n;
}

TEST(export_fault_counts_64m)
{
	struct vpd_dev d;
	long al, un;
	int fd, huge = vpd_huge_pfnmap();

	ASSERT_GE(huge, 0) TH_LOG("%s: %s", VPD_HUGE_PFNMAP_PARAM, strerror(-huge));
	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	fd = vpd_export(d.fd, 2, (struct vfio_region_dma_range[]){ R(0, SZ_64M) }, 1);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	al = export_faults(_metadata, fd, SZ_64M, SZ_2M, 0);
	un = export_faults(_metadata, fd, SZ_64M, SZ_2M, SZ_4K);
	ksft_print_msg("FAULTS export 64M: aligned %ld, 2M+4K %ld\n", al, un);
	if (huge & VPD_HUGE_PMD) {
		EXPECT_EQ(32, al);	/* one PMD per 2 MiB */
		EXPECT_EQ(33, un);	/* one 2 MiB fault-around window per fault */
	} else {
		EXPECT_EQ(1, al);	/* the first fault maps the whole VMA */
		EXPECT_EQ(1, un);
	}
	close(fd);
	vpd_close(&d);
}

VPD_FIXTURE_NONE(big);

TEST_F_TIMEOUT(big, export_fault_counts_1g, VPD_BIG_TIMEOUT)
{
	struct vpd_dev d;
	long al;
	int fd, huge = vpd_huge_pfnmap();

	ASSERT_GE(huge, 0) TH_LOG("%s: %s", VPD_HUGE_PFNMAP_PARAM, strerror(-huge));
	ASSERT_EQ(0, open_role(&d, "VPD_DEV_BIG"));
	fd = vpd_export(d.fd, 2, (struct vfio_region_dma_range[]){ R(0, SZ_1G) }, 1);
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	al = export_faults(_metadata, fd, SZ_1G, SZ_1G, 0);
	ksft_print_msg("FAULTS export 1G: aligned %ld\n", al);
	/* One PUD; one PMD per 2 MiB without PUDs; the whole VMA at once without huge maps. */
	EXPECT_EQ((huge & VPD_HUGE_PMD) && !(huge & VPD_HUGE_PUD) ? (long)(SZ_1G / SZ_2M) : 1, al);
	close(fd);
	vpd_close(&d);
}

/* 2 MiB-aligned ranges, 2 MiB multiples, not physically adjacent: one PMD per 2 MiB. */
TEST(export_fault_counts_2m_ranges)
{
	static const struct vfio_region_dma_range r[] = {
		R(8 * SZ_1M, 4 * SZ_1M), R(0, SZ_2M), R(32 * SZ_1M, 6 * SZ_1M),
	};
	const uint64_t len = vpd_ranges_len(r, ARRAY_LEN(r));
	struct vpd_dev d;
	long n;
	int fd, huge = vpd_huge_pfnmap();

	ASSERT_GE(huge, 0) TH_LOG("%s: %s", VPD_HUGE_PFNMAP_PARAM, strerror(-huge));
	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	fd = vpd_export(d.fd, 2, r, ARRAY_LEN(r));
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	n = export_faults(_metadata, fd, len, SZ_2M, 0);
	ksft_print_msg("FAULTS export 3 ranges of 2M multiples (%llu MiB): %ld\n",
		       (unsigned long long)(len >> 20), n);
	EXPECT_EQ(huge & VPD_HUGE_PMD ? (long)(len / SZ_2M) : 1, n);
	close(fd);
	vpd_close(&d);
}

/* Small ranges, not physically adjacent, all in one 2 MiB VA window: one fault per range. */
TEST(export_fault_counts_small_ranges)
{
	static const struct vfio_region_dma_range r[] = {
		R(SZ_64K, SZ_4K), R(4 * SZ_1M, SZ_1M), R(8 * SZ_1M + 2 * SZ_4K, SZ_64K),
		R(16 * SZ_1M, 4 * SZ_64K), R(31 * SZ_1M + SZ_1M / 2, SZ_1M / 2),
	};
	const uint64_t len = vpd_ranges_len(r, ARRAY_LEN(r));
	struct vpd_dev d;
	long n;
	int fd, huge = vpd_huge_pfnmap();

	ASSERT_LE(len, SZ_2M);
	ASSERT_GE(huge, 0) TH_LOG("%s: %s", VPD_HUGE_PFNMAP_PARAM, strerror(-huge));
	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	fd = vpd_export(d.fd, 2, r, ARRAY_LEN(r));
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	n = export_faults(_metadata, fd, len, SZ_2M, 0);
	ksft_print_msg("FAULTS export %zu ranges of 4K..1M: %ld\n", ARRAY_LEN(r), n);
	EXPECT_EQ(huge & VPD_HUGE_PMD ? (long)ARRAY_LEN(r) : 1, n);
	close(fd);
	vpd_close(&d);
}

/* ------------------------------------------------------------------------ */
/* E. temporary revocation                                                  */
/* ------------------------------------------------------------------------ */

/* ivshmem (RAM behind the BAR): dense patterns. */
static const struct vfio_region_dma_range ivshmem_r[] = {
	R(2 * SZ_1M, 4 * SZ_1M), R(16 * SZ_1M, SZ_2M), R(40 * SZ_1M, SZ_2M),
};
/* NVMe controller memory buffer (slow to reach under TCG): sparse patterns. */
static const struct vfio_region_dma_range cmb_r[] = {
	R(0, SZ_2M), R(6 * SZ_1M, 4 * SZ_1M), R(16 * SZ_1M, SZ_2M),
};
#define CMB_STRIDE 256

TEST_F_TIMEOUT(exp, revoke_memory_decode, 180)
{
	static const struct vfio_region_dma_range late_r[] = { R(16 * SZ_1M, SZ_2M) };
	struct ectx *c = &self->c;
	uint8_t *late;
	uint64_t v;
	int fd;

	ECTX_SETUP(c, "VPD_DEV_OURS", ivshmem_r, 0xdec0de, 8);
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 0));
	EXPECT_REVOKED(c, "memory decode off");
	/* Exported while decode is off: it maps, and is revoked until decode is on. */
	fd = vpd_export(c->dev.fd, 2, late_r, 1);
	ASSERT_GE(fd, 0) TH_LOG("export with decode off: %s", strerror(-fd));
	late = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, late) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(SIGBUS, vpd_touch((volatile uint64_t *)late, 0, &v));
	EXPECT_EQ(SIGBUS, vpd_touch((volatile uint64_t *)(late + SZ_2M - 8), 0, &v));

	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 1));
	EXPECT_ZAPPED(c, "memory decode on");
	EXPECT_INTACT(c, "memory decode on");
	EXPECT_EQ(-1, vpd_check_export(late, 0, SZ_2M, late_r, 1, 0xdec0de, 8));
	munmap(late, SZ_2M);
	close(fd);
	EXPECT_EQ(0, ag_finish(&c->ag));
}

TEST_F_TIMEOUT(exp, revoke_d3hot, 180)
{
	struct ectx *c = &self->c;
	unsigned int pm;
	uint16_t pmcsr;

	ECTX_SETUP(c, "VPD_DEV_NVME", cmb_r, 0xd3d3, CMB_STRIDE);
	pm = vpd_find_cap(&c->dev, PCI_CAP_ID_PM);
	ASSERT_NE(0, pm);
	ASSERT_EQ(0, vpd_cfg_read16(&c->dev, pm + PCI_PM_CTRL, &pmcsr));
	ASSERT_EQ(0, vpd_cfg_write16(&c->dev, pm + PCI_PM_CTRL,
				     vpd_pmcsr_state(pmcsr, VPD_PM_STATE_D3HOT)));
	EXPECT_REVOKED(c, "D3hot");
	ASSERT_EQ(0, vpd_cfg_write16(&c->dev, pm + PCI_PM_CTRL,
				     vpd_pmcsr_state(pmcsr, VPD_PM_STATE_D0)));
	EXPECT_ZAPPED(c, "D0");
	EXPECT_INTACT(c, "D0");
	EXPECT_EQ(0, ag_finish(&c->ag));
}

TEST_F_TIMEOUT(exp, revoke_flr, 180)
{
	struct ectx *c = &self->c;
	unsigned int exp;
	uint16_t devctl;

	ECTX_SETUP(c, "VPD_DEV_NVME", cmb_r, 0xf1f1, CMB_STRIDE);
	exp = vpd_find_cap(&c->dev, PCI_CAP_ID_EXP);
	ASSERT_NE(0, exp);
	ASSERT_EQ(0, vpd_cfg_read16(&c->dev, exp + PCI_EXP_DEVCTL, &devctl));
	ASSERT_EQ(0, vpd_cfg_write16(&c->dev, exp + PCI_EXP_DEVCTL,
				     devctl | PCI_EXP_DEVCTL_BCR_FLR));
	EXPECT_ZAPPED(c, "FLR");
	EXPECT_INTACT(c, "FLR");
	EXPECT_EQ(0, ag_finish(&c->ag));
}

TEST_F_TIMEOUT(exp, revoke_device_reset, 180)
{
	struct ectx *c = &self->c;

	ECTX_SETUP(c, "VPD_DEV_NVME", cmb_r, 0x4e5e, CMB_STRIDE);
	ASSERT_EQ(0, ioctl(c->dev.fd, VFIO_DEVICE_RESET)) TH_LOG("%s", strerror(errno));
	EXPECT_ZAPPED(c, "VFIO_DEVICE_RESET");
	EXPECT_INTACT(c, "VFIO_DEVICE_RESET");
	EXPECT_EQ(0, ag_finish(&c->ag));
}

TEST_F_TIMEOUT(exp, revoke_low_power, 180)
{
	struct ectx *c = &self->c;
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
	};

	ECTX_SETUP(c, "VPD_DEV_NVME", cmb_r, 0x10e7, CMB_STRIDE);
	ASSERT_EQ(0, ioctl(c->dev.fd, VFIO_DEVICE_FEATURE, &feat))
		TH_LOG("low power entry: %s", strerror(errno));
	EXPECT_REVOKED(c, "low power");
	feat.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	ASSERT_EQ(0, ioctl(c->dev.fd, VFIO_DEVICE_FEATURE, &feat))
		TH_LOG("low power exit: %s", strerror(errno));
	EXPECT_ZAPPED(c, "low power exit");
	EXPECT_INTACT(c, "low power exit");
	EXPECT_EQ(0, ag_finish(&c->ag));
}

FIXTURE(sib) {
	struct ectx c;
	int fd1;
	int group1;
	int rebound;		/* RST1 moved to vfio-pci by the test */
};

FIXTURE_SETUP(sib)
{
	ectx_init(&self->c);
	self->fd1 = self->group1 = -1;
	self->rebound = 0;
}

FIXTURE_TEARDOWN(sib)
{
	const char *b1 = vpd_role_bdf("VPD_DEV_RST1");

	/* Every fd first: unbinding an open device would wait for it. */
	if (self->fd1 >= 0)
		close(self->fd1);
	if (self->group1 >= 0)
		close(self->group1);
	self->fd1 = self->group1 = -1;
	ectx_cleanup(&self->c);
	if (self->rebound && b1) {
		EXPECT_EQ(0, vpd_bind_to(b1, "vfio-pci-dmabuf"))
			TH_LOG("RST1 not restored to vfio-pci-dmabuf");
	}
}

static void sibling_reset(struct __test_metadata *_metadata, FIXTURE_DATA(sib) *self,
			  const char *what)
{
	struct ectx *c = &self->c;
	const char *b1 = vpd_role_bdf("VPD_DEV_RST1");

	ASSERT_NE(NULL, b1);
	ECTX_SETUP(c, "VPD_DEV_RST0", ivshmem_r, 0x5b1b, 8);
	self->fd1 = vpd_open_sibling(&c->dev, b1, &self->group1);
	ASSERT_GE(self->fd1, 0) TH_LOG("RST1: %s", strerror(errno));
	/* Issued through the sibling's fd, not through RST0's. */
	ASSERT_EQ(0, vpd_hot_reset(self->fd1, &c->dev, self->group1)) TH_LOG("hot reset failed");
	EXPECT_ZAPPED(c, what);
	EXPECT_INTACT(c, what);
	EXPECT_EQ(0, ag_finish(&c->ag));
}

TEST_F_TIMEOUT(sib, hot_reset_through_sibling, 180)
{
	char drv[64];

	ASSERT_EQ(0, vpd_driver_of(vpd_role_bdf("VPD_DEV_RST1"), drv, sizeof(drv)));
	ASSERT_STREQ("vfio-pci-dmabuf", drv);
	sibling_reset(_metadata, self, "hot reset via RST1 (ours)");
}

/* The sibling bound to vfio-pci: the reset never passes through our driver. */
TEST_F_TIMEOUT(sib, hot_reset_through_stock_sibling, 180)
{
	const char *b1 = vpd_role_bdf("VPD_DEV_RST1");

	ASSERT_NE(NULL, b1);
	self->rebound = 1;
	ASSERT_EQ(0, vpd_bind_to(b1, "vfio-pci")) TH_LOG("RST1 to vfio-pci");
	sibling_reset(_metadata, self, "hot reset via RST1 (vfio-pci)");
}

/*
 * A reset through sysfs while the agent keeps reading the mapping.  On the
 * NVMe controller: RST0 shares its bus with a sibling and has neither FLR
 * nor PM, so the kernel has no reset method for it.
 */
TEST_F_TIMEOUT(exp, revoke_sysfs_reset, 180)
{
	struct ectx *c = &self->c;
	struct ag_rep rp;
	char path[PATH_MAX];
	int ret;

	ECTX_SETUP(c, "VPD_DEV_NVME", cmb_r, 0x5f5f, CMB_STRIDE);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/reset", c->dev.bdf);
	ASSERT_EQ(0, access(path, W_OK)) TH_LOG("%s: %s", path, strerror(errno));

	ASSERT_EQ(0, ag_loop_start(&c->ag)) TH_LOG("the agent does not loop");
	ret = vpd_write_file(path, "1");
	ag_loop_wait(&c->ag, 2);
	ASSERT_EQ(0, ag_loop_stop(&c->ag, &rp));
	ASSERT_EQ(0, ret) TH_LOG("reset: %s", strerror(-ret));
	ksft_print_msg("FAULTS export sysfs reset: agent passes %lld, SIGBUS %lld, refaults %lld\n",
		       (long long)rp.v[0], (long long)rp.v[1], (long long)rp.v[2]);
	EXPECT_TRUE(rp.v[1] > 0 || rp.v[2] > 0)
		TH_LOG("the agent's mapping was neither revoked nor zapped by the reset");
	/* The agent refaulted in its loop already. */
	EXPECT_PARENT_ZAPPED(c, "sysfs reset");
	EXPECT_INTACT(c, "sysfs reset");
	EXPECT_EQ(0, ag_finish(&c->ag));
}

/*
 * Faults racing with revocation: the agent keeps reading every page while
 * memory decode goes off and on again and again.  Nothing may splat, the
 * agent sees SIGBUS only (caught), and the data ends up intact.
 */
TEST_F_TIMEOUT(exp, revoke_race_memory_decode, 180)
{
	struct ectx *c = &self->c;
	struct ag_rep rp;
	int i, err = 0;

	ECTX_SETUP(c, "VPD_DEV_OURS", ivshmem_r, 0x7ace, 8);
	ASSERT_EQ(0, ag_loop_start(&c->ag)) TH_LOG("the agent does not loop");
	for (i = 0; i < 64 && !err; i++) {
		err = vpd_set_mem_decode(&c->dev, 0);
		if (!err) {
			usleep(i % 4 * 500);
			err = vpd_set_mem_decode(&c->dev, 1);
		}
		/* The parent faults too, on its own mapping. */
		vpd_touch_all(c->map, SZ_2M);
	}
	ag_loop_wait(&c->ag, 1);
	ASSERT_EQ(0, ag_loop_stop(&c->ag, &rp));
	ASSERT_EQ(0, err) TH_LOG("config write: %s", strerror(-err));
	ksft_print_msg("FAULTS export decode race: agent passes %lld, SIGBUS %lld, refaults %lld\n",
		       (long long)rp.v[0], (long long)rp.v[1], (long long)rp.v[2]);
	EXPECT_GT(rp.v[1] + rp.v[2], 0) TH_LOG("64 revocations went unnoticed");
	EXPECT_INTACT(c, "decode race");
	EXPECT_EQ(0, ag_finish(&c->ag));
}

/* The device closes while the agent keeps reading: it ends in SIGBUS for good. */
TEST_F_TIMEOUT(exp, device_close_while_faulting, 180)
{
	struct ectx *c = &self->c;
	struct vpd_window_probe pa;
	struct ag_rep rp;

	ECTX_SETUP(c, "VPD_DEV_OURS", ivshmem_r, 0xc1c1, 8);
	munmap(c->bar, c->bar_len);
	c->bar = NULL;
	ASSERT_EQ(0, ag_loop_start(&c->ag)) TH_LOG("the agent does not loop");
	/* Keep the agent faulting: decode off and on zaps its PTEs. */
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 0));
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 1));
	vpd_close(&c->dev);
	ag_loop_wait(&c->ag, 2);
	ASSERT_EQ(0, ag_loop_stop(&c->ag, &rp));
	ksft_print_msg("FAULTS export close race: agent passes %lld, SIGBUS %lld, refaults %lld\n",
		       (long long)rp.v[0], (long long)rp.v[1], (long long)rp.v[2]);
	EXPECT_GT(rp.v[1], 0) TH_LOG("the agent never saw the device close");
	pa = ag_probe(&c->ag);
	EXPECT_EQ(windows_of(c->len), pa.windows);
	EXPECT_EQ(pa.windows, pa.sigbus) TH_LOG("agent reached window %ld", pa.first_ok);
	EXPECT_EQ(0, AG(&c->ag, .op = AG_UNMAP));
	EXPECT_EQ(0, AG(&c->ag, .op = AG_CLOSE_FD));
	EXPECT_EQ(0, ag_finish(&c->ag));
}

/* ------------------------------------------------------------------------ */
/* F. permanent revocation, memory attribute                                */
/* ------------------------------------------------------------------------ */

TEST_F_TIMEOUT(exp, revoke_permanent, 180)
{
	static const struct vfio_region_dma_range r[] = { R(0, SZ_2M), R(8 * SZ_1M, SZ_2M) };
	struct vfio_device_feature feat = { .argsz = sizeof(feat) };
	struct vfio_device_feature_dma_buf_revoke rv;
	struct ectx *c = &self->c;
	unsigned int pm;
	uint16_t pmcsr;
	uint8_t *p;
	int fd2;

	ECTX_SETUP(c, "VPD_DEV_NVME", r, 0x9e7a, CMB_STRIDE);
	EXPECT_EQ(0, vpd_feature_probe(c->dev.fd, VFIO_DEVICE_FEATURE_SET,
				       VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE));
	/* SET only. */
	rv.dmabuf_fd = c->buf;
	EXPECT_EQ(-EINVAL, vpd_feature(c->dev.fd, VFIO_DEVICE_FEATURE_GET |
				       VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE, &rv, sizeof(rv)));
	/* PROBE revokes nothing. */
	EXPECT_EQ(0, AG(&c->ag, .op = AG_TOUCH_ALL));
	EXPECT_INTACT(c, "PROBE");

	ASSERT_EQ(0, vpd_revoke(c->dev.fd, c->buf));
	EXPECT_REVOKED(c, "revoked");
	EXPECT_EQ(-ENODEV, AG(&c->ag, .op = AG_TRY_MAP, .a = 0, .b = SZ_4K, .flags = MAP_SHARED));
	p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, c->buf, 0);
	EXPECT_EQ(MAP_FAILED, p);
	if (p == MAP_FAILED) {
		EXPECT_EQ(ENODEV, errno);
	} else {
		munmap(p, SZ_4K);
	}
	EXPECT_EQ(-EBADFD, vpd_revoke(c->dev.fd, c->buf));

	/* Nothing brings it back. */
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 0));
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 1));
	EXPECT_REVOKED(c, "memory decode off/on after revoke");
	ASSERT_EQ(0, ioctl(c->dev.fd, VFIO_DEVICE_RESET)) TH_LOG("%s", strerror(errno));
	EXPECT_REVOKED(c, "VFIO_DEVICE_RESET after revoke");
	pm = vpd_find_cap(&c->dev, PCI_CAP_ID_PM);
	ASSERT_NE(0, pm);
	ASSERT_EQ(0, vpd_cfg_read16(&c->dev, pm + PCI_PM_CTRL, &pmcsr));
	ASSERT_EQ(0, vpd_cfg_write16(&c->dev, pm + PCI_PM_CTRL,
				     vpd_pmcsr_state(pmcsr, VPD_PM_STATE_D3HOT)));
	ASSERT_EQ(0, vpd_cfg_write16(&c->dev, pm + PCI_PM_CTRL,
				     vpd_pmcsr_state(pmcsr, VPD_PM_STATE_D0)));
	EXPECT_REVOKED(c, "D3hot and back after revoke");
	feat.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	ASSERT_EQ(0, ioctl(c->dev.fd, VFIO_DEVICE_FEATURE, &feat)) TH_LOG("%s", strerror(errno));
	feat.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	ASSERT_EQ(0, ioctl(c->dev.fd, VFIO_DEVICE_FEATURE, &feat)) TH_LOG("%s", strerror(errno));
	EXPECT_REVOKED(c, "low power and back after revoke");
	EXPECT_EQ(-ENODEV, AG(&c->ag, .op = AG_TRY_MAP, .a = 0, .b = SZ_4K, .flags = MAP_SHARED));
	EXPECT_EQ(-EBADFD, vpd_revoke(c->dev.fd, c->buf));

	/* The device and its BAR mapping are fine, and export again. */
	EXPECT_EQ(-1, check_bar_pattern(c->bar, r, ARRAY_LEN(r), 0x9e7a, CMB_STRIDE));
	fd2 = vpd_export(c->dev.fd, 2, r, ARRAY_LEN(r));
	ASSERT_GE(fd2, 0) TH_LOG("%s", strerror(-fd2));
	p = mmap(NULL, c->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, vpd_check_export(p, 0, c->len, r, ARRAY_LEN(r), 0x9e7a, CMB_STRIDE));
	munmap(p, c->len);
	close(fd2);

	/* The revoked buffer still closes cleanly. */
	EXPECT_EQ(0, AG(&c->ag, .op = AG_UNMAP));
	EXPECT_EQ(0, AG(&c->ag, .op = AG_CLOSE_FD));
	EXPECT_EQ(0, ag_finish(&c->ag));
}

/*
 * The fd rules shared by REVOKE and MEMATTR: not an fd, a closed fd, not a
 * DMABUF, a DMABUF exported by another device bound to our driver.
 */
static void fd_refusals(struct __test_metadata *_metadata, const char *what,
			int (*op)(int devfd, int buf))
{
	struct vpd_dev d, d0, ds;
	int buf0, efd, closed;
	uint8_t *p;
	uint64_t v;

	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	ASSERT_EQ(0, open_role(&d0, "VPD_DEV_RST0"));
	buf0 = vpd_export(d0.fd, 2, (struct vfio_region_dma_range[]){ R(0, SZ_2M) }, 1);
	ASSERT_GE(buf0, 0) TH_LOG("%s", strerror(-buf0));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	closed = dup(efd);
	ASSERT_GE(closed, 0);
	close(closed);

	EXPECT_EQ(-EBADF, op(d.fd, -1)) TH_LOG("%s: fd -1", what);
	EXPECT_EQ(-EBADF, op(d.fd, closed)) TH_LOG("%s: closed fd", what);
	EXPECT_EQ(-EINVAL, op(d.fd, efd)) TH_LOG("%s: eventfd", what);
	EXPECT_EQ(-ENODEV, op(d.fd, buf0)) TH_LOG("%s: RST0's DMABUF through OURS", what);

	/* A DMABUF exported by vfio-pci itself, where it can export (6.19+). */
	if (open_role(&ds, "VPD_DEV_STOCK") == 0) {
		int sbuf = vpd_export(ds.fd, 2, (struct vfio_region_dma_range[]){ R(0, SZ_2M) }, 1);

		if (sbuf >= 0) {
			EXPECT_EQ(-EINVAL, op(d.fd, sbuf)) TH_LOG("%s: vfio-pci's DMABUF", what);
			close(sbuf);
		} else {
			/* Only because vfio-pci lacks the feature. */
			EXPECT_NE(0, vpd_feature_probe(ds.fd, VFIO_DEVICE_FEATURE_GET,
						       VFIO_DEVICE_FEATURE_DMA_BUF))
				TH_LOG("vfio-pci did not export: %s", strerror(-sbuf));
		}
	}
	vpd_close(&ds);

	/* The refused request changed nothing: RST0's buffer still maps and works. */
	p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, buf0, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, vpd_touch((volatile uint64_t *)p, 0, &v));
	EXPECT_EQ(0, vpd_touch((volatile uint64_t *)(p + SZ_2M - 8), 0, &v));
	munmap(p, SZ_2M);

	close(efd);
	close(buf0);
	vpd_close(&d0);
	vpd_close(&d);
}

static int op_revoke(int devfd, int buf)
{
	return vpd_revoke(devfd, buf);
}

static int op_memattr_wc(int devfd, int buf)
{
	return vpd_memattr(devfd, buf, VFIO_DMA_BUF_MEMATTR_WC);
}

TEST(revoke_errnos)
{
	struct vpd_dev d;

	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	EXPECT_EQ(0, vpd_feature_probe(d.fd, VFIO_DEVICE_FEATURE_SET,
				       VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE));
	vpd_close(&d);
	fd_refusals(_metadata, "revoke", op_revoke);
}

TEST(memattr_errnos)
{
	struct vpd_dev d;
	int buf;

	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	EXPECT_EQ(0, vpd_feature_probe(d.fd, VFIO_DEVICE_FEATURE_SET,
				       VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR));
	buf = vpd_export(d.fd, 2, (struct vfio_region_dma_range[]){ R(0, SZ_2M) }, 1);
	ASSERT_GE(buf, 0) TH_LOG("%s", strerror(-buf));
	EXPECT_EQ(-ENOENT, vpd_memattr(d.fd, buf, 2));
	EXPECT_EQ(-ENOENT, vpd_memattr(d.fd, buf, 0xffffffffu));
	EXPECT_EQ(0, vpd_memattr(d.fd, buf, VFIO_DMA_BUF_MEMATTR_WC));
	EXPECT_EQ(0, vpd_memattr(d.fd, buf, VFIO_DMA_BUF_MEMATTR_NC));
	close(buf);
	vpd_close(&d);
	fd_refusals(_metadata, "memattr", op_memattr_wc);
}

/* A change of attribute zaps the mappings; they refault with the same data. */
TEST_F_TIMEOUT(exp, memattr_change, 180)
{
	static const uint32_t attrs[] = { VFIO_DMA_BUF_MEMATTR_WC, VFIO_DMA_BUF_MEMATTR_NC,
					  VFIO_DMA_BUF_MEMATTR_WC };
	struct ectx *c = &self->c;

	ECTX_SETUP(c, "VPD_DEV_OURS", ivshmem_r, 0x3a77, 8);
	for (size_t i = 0; i < ARRAY_LEN(attrs); i++) {
		char what[32];

		snprintf(what, sizeof(what), "memattr %u", attrs[i]);
		ASSERT_EQ(0, vpd_memattr(c->dev.fd, c->buf, attrs[i])) TH_LOG("%s", what);
		EXPECT_ZAPPED(c, what);
		EXPECT_INTACT(c, what);
	}
	/* Writes still land. */
	ASSERT_EQ(0, AG(&c->ag, .op = AG_FILL, .a = 0x3a78, .c = 8));
	EXPECT_EQ(-1, vpd_check_bar_ranges(c->bar, c->r, c->nr, 0x3a78, 8));
	EXPECT_EQ(0, ag_finish(&c->ag));
}

/* ------------------------------------------------------------------------ */
/* G. lifetime                                                              */
/* ------------------------------------------------------------------------ */

/*
 * Closing every vfio fd closes the device: the export is revoked for good,
 * in the agent (which holds the DMABUF fd and a mapping) and here.
 */
TEST_F_TIMEOUT(exp, device_close, 180)
{
	struct ectx *c = &self->c;
	struct vpd_dev d;
	uint8_t *p;
	int fd;

	ECTX_SETUP(c, "VPD_DEV_OURS", ivshmem_r, 0xc105e, 8);
	/* A BAR mapping would keep the device open. */
	munmap(c->bar, c->bar_len);
	c->bar = NULL;
	vpd_close(&c->dev);

	EXPECT_REVOKED(c, "device closed");
	EXPECT_EQ(-ENODEV, AG(&c->ag, .op = AG_TRY_MAP, .a = 0, .b = SZ_4K, .flags = MAP_SHARED));
	p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, c->buf, 0);
	EXPECT_EQ(MAP_FAILED, p);
	if (p == MAP_FAILED) {
		EXPECT_EQ(ENODEV, errno);
	} else {
		munmap(p, SZ_4K);
	}

	/* Opening the device again (memory usable again) revives nothing. */
	ASSERT_EQ(0, open_role(&d, "VPD_DEV_OURS"));
	EXPECT_REVOKED(c, "device open again");
	EXPECT_EQ(-ENODEV, AG(&c->ag, .op = AG_TRY_MAP, .a = 0, .b = SZ_4K, .flags = MAP_SHARED));
	EXPECT_EQ(-EBADFD, vpd_revoke(d.fd, c->buf));
	p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_SHARED, c->buf, 0);
	EXPECT_EQ(MAP_FAILED, p) TH_LOG("the old buffer maps after the device reopened");
	if (p != MAP_FAILED)
		munmap(p, SZ_4K);

	/* The dead buffer closes cleanly, in the agent and here. */
	EXPECT_EQ(0, AG(&c->ag, .op = AG_CLOSE_FD));
	EXPECT_EQ(0, AG(&c->ag, .op = AG_UNMAP));
	EXPECT_EQ(0, ag_finish(&c->ag));
	EXPECT_EQ(0, munmap(c->map, c->len));
	c->map = NULL;
	EXPECT_EQ(0, close(c->buf));
	c->buf = -1;

	/* A new export works, the memory intact. */
	fd = vpd_export(d.fd, 2, ivshmem_r, ARRAY_LEN(ivshmem_r));
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	p = mmap(NULL, c->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, vpd_check_export(p, 0, c->len, ivshmem_r, ARRAY_LEN(ivshmem_r), 0xc105e, 8));
	munmap(p, c->len);
	close(fd);
	vpd_close(&d);
}

/*
 * Unbind while another process holds an export (the device fds closed):
 * the unbind completes, the export stays dead, the device binds again.
 */
TEST_F_TIMEOUT(exp, unbind_with_export, 180)
{
	static const struct vfio_region_dma_range r[] = { R(0, SZ_2M), R(10 * SZ_1M, SZ_2M) };
	struct vpd_unbind_job job = { 0 };
	struct ectx *c = &self->c;
	pthread_t thread;
	char drv[64];
	int i, rebound;

	ECTX_SETUP(c, "VPD_DEV_OURS", r, 0x0b0e, 8);
	munmap(c->bar, c->bar_len);
	c->bar = NULL;
	munmap(c->map, c->len);
	c->map = NULL;
	close(c->buf);
	c->buf = -1;
	vpd_close(&c->dev);

	job.bdf = c->dev.bdf;
	snprintf(job.path, sizeof(job.path), "/sys/bus/pci/drivers/vfio-pci-dmabuf/unbind");
	ASSERT_EQ(0, pthread_create(&thread, NULL, vpd_unbind_thread, &job));
	for (i = 0; i < 30000 && !job.done; i++)
		usleep(1000);
	EXPECT_TRUE(job.done) TH_LOG("unbind still waits after 30 s while the agent holds the export");
	if (!job.done)
		ag_kill(&c->ag);	/* let it complete */
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0, job.ret) TH_LOG("unbind: %s", strerror(-job.ret));
	EXPECT_EQ(0, vpd_driver_of(c->dev.bdf, drv, sizeof(drv)));
	EXPECT_STREQ("", drv);

	if (c->ag.pid > 0) {
		struct vpd_window_probe pa = ag_probe(&c->ag);

		EXPECT_EQ(pa.windows, pa.sigbus) TH_LOG("unbound: agent reached window %ld",
							pa.first_ok);
		EXPECT_EQ(2, pa.windows);
		EXPECT_EQ(-ENODEV, AG(&c->ag, .op = AG_TRY_MAP, .a = 0, .b = SZ_4K,
				      .flags = MAP_SHARED));
	}

	/* driver_override still names the driver: bind again. */
	rebound = vpd_write_file("/sys/bus/pci/drivers_probe", c->dev.bdf);
	EXPECT_EQ(0, rebound);
	EXPECT_EQ(0, vpd_driver_of(c->dev.bdf, drv, sizeof(drv)));
	ASSERT_STREQ("vfio-pci-dmabuf", drv);

	if (c->ag.pid > 0) {
		struct vpd_window_probe pa = ag_probe(&c->ag);

		EXPECT_EQ(pa.windows, pa.sigbus) TH_LOG("rebound: agent reached window %ld",
							pa.first_ok);
		EXPECT_EQ(-ENODEV, AG(&c->ag, .op = AG_TRY_MAP, .a = 0, .b = SZ_4K,
				      .flags = MAP_SHARED));
		EXPECT_EQ(0, AG(&c->ag, .op = AG_UNMAP));
		EXPECT_EQ(0, AG(&c->ag, .op = AG_CLOSE_FD));
		EXPECT_EQ(0, ag_finish(&c->ag));
	}

	/* The rebound device works. */
	ASSERT_EQ(0, open_role(&c->dev, "VPD_DEV_OURS"));
	c->buf = vpd_export(c->dev.fd, 2, r, ARRAY_LEN(r));
	ASSERT_GE(c->buf, 0) TH_LOG("%s", strerror(-c->buf));
	c->map = mmap(NULL, c->len, PROT_READ | PROT_WRITE, MAP_SHARED, c->buf, 0);
	ASSERT_NE(MAP_FAILED, c->map);
	EXPECT_EQ(-1, vpd_check_export(c->map, 0, c->len, r, ARRAY_LEN(r), 0x0b0e, 8));
}

/*
 * rmmod is refused while an export exists, even with the device closed;
 * the module's refcount is back to its baseline once the last reference
 * to the buffer is gone.
 */
TEST_F_TIMEOUT(exp, rmmod_refused, 120)
{
	static const struct vfio_region_dma_range r[] = { R(SZ_2M, SZ_2M) };
	struct ectx *c = &self->c;
	long r0, r1;

	r0 = vpd_module_refcnt();
	ASSERT_GE(r0, 0);
	ECTX_SETUP(c, "VPD_DEV_OURS", r, 0x3303, 8);
	munmap(c->bar, c->bar_len);
	c->bar = NULL;
	munmap(c->map, c->len);
	c->map = NULL;
	close(c->buf);
	c->buf = -1;
	vpd_close(&c->dev);

	/* Only the agent's mapping and fd remain. */
	r1 = vpd_module_refcnt();
	TH_LOG("module refcnt: baseline %ld, with the export %ld", r0, r1);
	ASSERT_GT(r1, r0) TH_LOG("the export holds no module reference");
	EXPECT_EQ(-1, syscall(SYS_delete_module, "vfio_pci_dmabuf", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) TH_LOG("errno %d", errno);

	/* The fd alone keeps it. */
	EXPECT_EQ(0, AG(&c->ag, .op = AG_UNMAP));
	EXPECT_LT(r0, vpd_module_refcnt());
	if (vpd_module_refcnt() > r0) {
		EXPECT_EQ(-1, syscall(SYS_delete_module, "vfio_pci_dmabuf", O_NONBLOCK));
		EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(0, AG(&c->ag, .op = AG_CLOSE_FD));
	EXPECT_EQ(r0, vpd_module_refcnt());
	EXPECT_EQ(0, ag_finish(&c->ag));
}

TEST_HARNESS_MAIN
