// SPDX-License-Identifier: GPL-2.0
/*
 * A real VMM as the client: an unmodified distribution QEMU, run inside the
 * test VM, assigns a device with -device vfio-pci, once bound to our driver
 * and once (its identical twin) bound to stock vfio-pci.
 *
 * Two QEMUs, packed by scripts/vmtest under /qemu/:
 *   /qemu/7.2/qemu-system-x86_64    the host's own (bookworm), which maps a
 *                                   BAR at whatever VA mmap() returns
 *   /qemu/10.0/qemu-system-x86_64   bookworm-backports' (scripts/
 *                                   qemu-backports), which aligns a BAR's
 *                                   mapping to the BAR's size (QEMU 9.2+)
 *
 * QEMU runs stopped (-S), its guest CPU never started, driven through the
 * qtest protocol on a unix socket (a running CPU would run the firmware,
 * whose PCI enumeration races with the test's own config cycles).  It
 * programs the assigned device's config space through 0xcf8/0xcfc, as a
 * guest's firmware would (BAR2, a 64-bit prefetchable BAR, at 4 GiB inside
 * q35's 64-bit PCI hole, then memory decode on), and reads and writes the
 * BAR with qtest's memory commands, which QEMU serves through its own mmap
 * of the region.  On decode-on QEMU also maps the BAR for DMA (vfio type1
 * resolves the mapping's PFNs, faulting it in through the kernel).
 *
 * What each test shows:
 *   client.*   (64 MiB ivshmem twins) QEMU's /proc/<pid>/maps names our
 *              DMABUF for the device bound to us, the vfio device file for
 *              stock; data QEMU writes reaches the device's backing memory
 *              (seen through the witness device sharing it), data written
 *              there is read back by QEMU; QEMU reports no vfio error.
 *              Identical for ours and stock, except for the mapping's name.
 *   big.*      (1 GiB BAR, ours) the page-table entries a real VMM's BAR
 *              mapping gets, from the device's fault counters, when QEMU
 *              maps the BAR for DMA at decode on: QEMU 10.0's 1 GiB-aligned
 *              mapping takes one PUD fault where the kernel has huge PFN
 *              maps with PUDs; QEMU 7.2's mapping, at the VA mmap() gave
 *              it, one PMD fault per whole 2 MiB window and one fault-around
 *              for each partial window; without huge PFN maps (6.1) one
 *              fault maps it all.  Exact counts, computed from the VA
 *              QEMU's maps show.
 *
 * Ours and stock differ in one place only, the mapping's file in QEMU's
 * maps: our DMABUF, or the vfio device file (whose offset column up to
 * 6.9 is the BAR's physical address, as vfio-pci rewrites vm_pgoff).
 */
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vpd_vfio.h"
#include "vpd_fixtures.h"

#define QC_DIR		"/qemu"
#define QC_SLOT		4			/* -device ...,addr=0x4 */
#define QC_BAR_GPA	0x100000000ULL		/* 4 GiB: q35's 64-bit hole */
#define QC_BLOCK	4096UL			/* one qtest read/write */
#define QC_TIMEOUT_MS	300000			/* QEMU start under TCG */

/* A QEMU under qtest control. */
struct qc {
	pid_t pid;
	int lsock;		/* listening socket */
	int sock;		/* QEMU's connection */
	FILE *in;		/* replies */
	char path[108];		/* the socket's path */
	char log[PATH_MAX];	/* QEMU's stdout + stderr */
	char last[320];		/* the last command and its reply */
};

/* The VMMs, by their directory under QC_DIR. */
struct qc_vmm {
	const char *dir;
	const char *version;	/* what -version must print */
};

static const struct qc_vmm qemu72 = { "7.2", "QEMU emulator version 7.2." };
static const struct qc_vmm qemu10 = { "10.0", "QEMU emulator version 10.0." };

static void qc_binary(const struct qc_vmm *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/qemu-system-x86_64", QC_DIR, v->dir);
}

/* Print the first line of `qemu -version`; 0 if it is @v's version. */
static int qc_check_version(const struct qc_vmm *v)
{
	char bin[PATH_MAX], cmd[PATH_MAX + 32], line[256] = "";
	FILE *p;

	qc_binary(v, bin, sizeof(bin));
	snprintf(cmd, sizeof(cmd), "%s -version 2>&1", bin);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, "\n")] = '\0';
	ksft_print_msg("%s: %s\n", bin, line);
	return strncmp(line, v->version, strlen(v->version)) ? -1 : 0;
}

/* Send one qtest command and read its reply into @resp: 0 on "OK". */
static int qc_cmd(struct qc *q, char *resp, size_t len, const char *fmt, ...)
{
	char buf[128], line[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		return -1;
	buf[n++] = '\n';
	if (write(q->sock, buf, n) != n)
		return -1;
	if (!resp) {
		resp = line;
		len = sizeof(line);
	}
	buf[n - 1] = '\0';
	if (!fgets(resp, len, q->in)) {
		snprintf(q->last, sizeof(q->last), "%s -> EOF", buf);
		return -1;
	}
	resp[strcspn(resp, "\n")] = '\0';
	snprintf(q->last, sizeof(q->last), "%s -> %.160s", buf, resp);
	return strncmp(resp, "OK", 2) ? -1 : 0;
}

/* A command whose reply is "OK <value>". */
static int qc_cmd_val(struct qc *q, uint64_t *val, const char *fmt, ...)
{
	char cmd[128], resp[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (qc_cmd(q, resp, sizeof(resp), "%s", cmd) || strlen(resp) < 4)
		return -1;
	*val = strtoull(resp + 3, NULL, 0);
	return 0;
}

static uint32_t qc_cfg_addr(unsigned int reg)
{
	return 0x80000000u | (QC_SLOT << 11) | (reg & 0xfc);
}

static int qc_cfg_read(struct qc *q, unsigned int reg, uint32_t *val)
{
	uint64_t v;

	if (qc_cmd(q, NULL, 0, "outl 0xcf8 0x%x", qc_cfg_addr(reg)) ||
	    qc_cmd_val(q, &v, "inl 0xcfc"))
		return -1;
	*val = v;
	return 0;
}

static int qc_cfg_write(struct qc *q, unsigned int reg, uint32_t val)
{
	if (qc_cmd(q, NULL, 0, "outl 0xcf8 0x%x", qc_cfg_addr(reg)))
		return -1;
	return qc_cmd(q, NULL, 0, "outl 0xcfc 0x%x", val);
}

/*
 * Start @v with the device @bdf assigned and wait for its qtest connection.
 * 0, or -1 with a reason in @why.
 */
static int qc_start(struct qc *q, const struct qc_vmm *v, const char *bdf,
		    const char *tag, char *why, size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char bin[PATH_MAX], dev[128], chr[160], moddir[PATH_MAX];
	struct pollfd pfd;
	int ret;

	memset(q, 0, sizeof(*q));
	q->pid = -1;
	q->sock = -1;
	qc_binary(v, bin, sizeof(bin));
	snprintf(q->path, sizeof(q->path), "/tmp/qc-%d-%s.sock", getpid(), tag);
	snprintf(q->log, sizeof(q->log), "/tmp/qc-%d-%s.log", getpid(), tag);
	unlink(q->path);
	q->lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->lsock < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", q->path);
	if (bind(q->lsock, (struct sockaddr *)&sa, sizeof(sa)) || listen(q->lsock, 1)) {
		snprintf(why, whylen, "bind/listen %s: %s", q->path, strerror(errno));
		return -1;
	}
	snprintf(dev, sizeof(dev), "vfio-pci,host=%s,rombar=0,bus=pcie.0,addr=0x%x,id=dut",
		 bdf, QC_SLOT);
	snprintf(chr, sizeof(chr), "unix:%s", q->path);
	q->pid = fork();
	if (q->pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (q->pid == 0) {
		int fd = open(q->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		/* QEMU must not outlive a test the harness kills (timeout). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* 7.2 loads its TCG accelerator ops as a module (TCG: -S keeps the CPU stopped). */
		snprintf(moddir, sizeof(moddir), "%s/%s/modules", QC_DIR, v->dir);
		setenv("QEMU_MODULE_DIR", moddir, 1);
		execl(bin, bin, "-S", "-machine", "q35", "-nodefaults", "-display", "none",
		      "-monitor", "none", "-serial", "none", "-parallel", "none",
		      "-m", "64", "-L", QC_DIR "/share",
		      "-qtest", chr, "-qtest-log", "/dev/null",
		      "-device", dev, (char *)NULL);
		_exit(127);
	}
	/* Wait for the connection, or for QEMU to give up. */
	pfd.fd = q->lsock;
	pfd.events = POLLIN;
	for (int waited = 0;; waited += 100) {
		int status;

		ret = poll(&pfd, 1, 100);
		if (ret == 1)
			break;
		if (ret < 0 && errno != EINTR) {
			snprintf(why, whylen, "poll: %s", strerror(errno));
			return -1;
		}
		if (waitpid(q->pid, &status, WNOHANG) == q->pid) {
			q->pid = -1;
			snprintf(why, whylen, "QEMU exited before connecting (wait status 0x%x)",
				 status);
			return -1;
		}
		if (waited >= QC_TIMEOUT_MS) {
			snprintf(why, whylen, "QEMU did not connect in %d s", QC_TIMEOUT_MS / 1000);
			return -1;
		}
	}
	q->sock = accept4(q->lsock, NULL, NULL, SOCK_CLOEXEC);
	if (q->sock < 0) {
		snprintf(why, whylen, "accept: %s", strerror(errno));
		return -1;
	}
	q->in = fdopen(dup(q->sock), "r");
	if (!q->in) {
		snprintf(why, whylen, "fdopen: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Print QEMU's log, one "# " line each. */
static void qc_dump_log(struct qc *q)
{
	char line[512];
	FILE *f = fopen(q->log, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		ksft_print_msg("qemu: %s", line);
	fclose(f);
}

/*
 * Whether QEMU's log has a line about vfio (an error or a warning) other
 * than the one every ivshmem device gives, ours and stock alike: it has no
 * reset QEMU can use (no FLR, no PM reset, no bus to reset on the root
 * bus).
 */
static int qc_log_has_vfio(struct qc *q)
{
	char line[512];
	int found = 0;
	FILE *f = fopen(q->log, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "vfio") && !strstr(line, "no available reset mechanism"))
			found = 1;
	fclose(f);
	return found;
}

/* Print the lines of QEMU's maps that are about vfio or DMABUFs. */
static void qc_dump_maps(struct qc *q)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", q->pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "vfio") || strstr(line, "dmabuf") || strstr(line, " 20000000000 "))
			ksft_print_msg("qemu maps: %s", line);
	fclose(f);
}

/* What went wrong with QEMU: its last exchange, its log. */
static void qc_explain(struct qc *q)
{
	ksft_print_msg("last qtest exchange: %s\n", q->last);
	qc_dump_log(q);
}

/* Stop QEMU (SIGTERM, as a management stack would): its wait status. */
static int qc_stop(struct qc *q)
{
	int status = -1;

	if (q->in)
		fclose(q->in);
	if (q->sock >= 0)
		close(q->sock);
	if (q->lsock > 0)
		close(q->lsock);
	q->in = NULL;
	q->sock = q->lsock = -1;
	if (q->pid > 0) {
		kill(q->pid, SIGTERM);
		if (waitpid(q->pid, &status, 0) < 0)
			status = -1;
		q->pid = -1;
	}
	unlink(q->path);
	return status;
}

/* QEMU's minor faults so far (/proc/<pid>/stat field 10). */
static long qc_minflt(pid_t pid)
{
	char path[64], buf[1024], *p;
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		/* After "pid (comm)": state ppid pgrp session tty tpgid flags minflt */
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %ld", &v) != 1)
			v = -1;
	}
	fclose(f);
	return v;
}

static double qc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A BAR mapping, as /proc/<pid>/maps shows it. */
struct qc_map {
	unsigned long start, end, off;
	char name[256];
	char line[512];
};

/*
 * QEMU's mappings of the device's file: our DMABUFs (named
 * "/dmabuf:<vfio device>:<bdf>/<bar>") or stock's vfio device file
 * ("[vfio-device]"; QEMU has one vfio device).  The one @len bytes long
 * into @m (0, or -1 unless there is exactly one); returns the number of
 * mappings of the file, or -1.
 */
static int qc_find_bar(pid_t pid, const char *file, unsigned long len, struct qc_map *m)
{
	char path[64], line[512];
	int found = 0, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct qc_map c = { 0 };

		if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %255[^\n]", &c.start, &c.end,
			   &c.off, c.name) < 4 || !strstr(c.name, file))
			continue;
		n++;
		if (c.end - c.start != len)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(c.line, sizeof(c.line), "%s", line);
		*m = c;
		found++;
	}
	fclose(f);
	return found == 1 ? n : -1;
}

/* The fault counters of our device @bdf (src/stats.c). */
struct qc_stats {
	long long pte, pmd, pud, fallbacks, sigbus, live_bar;
};

static int qc_read_stats(const char *bdf, struct qc_stats *s)
{
	char path[PATH_MAX], name[64];
	long long val;
	int seen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/vfio-pci-dmabuf/%s/stats", bdf);
	f = fopen(path, "r");
	if (!f)
		return -1;
	memset(s, 0, sizeof(*s));
	while (fscanf(f, "%63s %lld", name, &val) == 2) {
		long long *p = NULL;

		if (!strcmp(name, "faults_pte"))
			p = &s->pte;
		else if (!strcmp(name, "faults_pmd"))
			p = &s->pmd;
		else if (!strcmp(name, "faults_pud"))
			p = &s->pud;
		else if (!strcmp(name, "fallbacks"))
			p = &s->fallbacks;
		else if (!strcmp(name, "sigbus"))
			p = &s->sigbus;
		else if (!strcmp(name, "live_bar_mmaps"))
			p = &s->live_bar;
		if (p) {
			*p = val;
			seen++;
		}
	}
	fclose(f);
	return seen == 6 ? 0 : -1;
}

/* Lines in QEMU's log so far. */
static int qc_log_lines(struct qc *q)
{
	int c, n = 0;
	FILE *f = fopen(q->log, "r");

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/*
 * Program BAR2 at QC_BAR_GPA through config space and check it reads
 * back (printed if not); decode stays off.  0, or -1.
 */
static int qc_place_bar2(struct qc *q, uint32_t *flags)
{
	uint32_t lo = 0, hi = 0;

	if (qc_cfg_read(q, PCI_BASE_ADDRESS_2, flags))
		return -1;
	*flags &= 0xf;
	if (qc_cfg_write(q, PCI_BASE_ADDRESS_2, (uint32_t)QC_BAR_GPA) ||
	    qc_cfg_write(q, PCI_BASE_ADDRESS_3, (uint32_t)(QC_BAR_GPA >> 32)) ||
	    qc_cfg_read(q, PCI_BASE_ADDRESS_2, &lo) ||
	    qc_cfg_read(q, PCI_BASE_ADDRESS_3, &hi))
		return -1;
	if ((((uint64_t)hi << 32) | (lo & ~0xfu)) == QC_BAR_GPA)
		return 0;
	ksft_print_msg("BAR2 placement: flags 0x%x, read back 0x%08x 0x%08x, QEMU log %d lines\n",
		       *flags, lo, hi, qc_log_lines(q));
	return -1;
}

/*
 * Memory decode on or off, read back with BAR2 (printed if they do not
 * hold).  0, or -1.
 */
static int qc_set_decode(struct qc *q, int on)
{
	uint32_t cmd, back = 0, lo = 0, hi = 0;

	if (qc_cfg_read(q, PCI_COMMAND, &cmd))
		return -1;
	cmd &= 0xffff;
	cmd = on ? (cmd | PCI_COMMAND_MEMORY) : (cmd & ~PCI_COMMAND_MEMORY);
	if (qc_cfg_write(q, PCI_COMMAND, cmd) || qc_cfg_read(q, PCI_COMMAND, &back) ||
	    qc_cfg_read(q, PCI_BASE_ADDRESS_2, &lo) || qc_cfg_read(q, PCI_BASE_ADDRESS_3, &hi))
		return -1;
	if ((back & 0xffff) != cmd || (((uint64_t)hi << 32) | (lo & ~0xfu)) != QC_BAR_GPA) {
		ksft_print_msg("decode %s: command 0x%x read back 0x%x, BAR2 0x%08x 0x%08x, QEMU log %d lines\n",
			       on ? "on" : "off", cmd, back, lo, hi, qc_log_lines(q));
		return -1;
	}
	return 0;
}

/* QEMU writes @len bytes of pattern @seed at BAR offset @off (qtest "write"). */
static int qc_write_pattern(struct qc *q, uint64_t off, size_t len, uint64_t seed)
{
	size_t n = 0, hexlen = 2 * len + 64;
	char *cmd = malloc(hexlen + 64), resp[64];
	int ret = -1;

	if (!cmd)
		return -1;
	n = snprintf(cmd, 64, "write 0x%llx 0x%zx 0x", (unsigned long long)(QC_BAR_GPA + off), len);
	for (size_t i = 0; i < len / 8; i++) {
		uint64_t w = vpd_pattern(seed, i);

		/* Guest memory is little endian: bytes in address order. */
		for (int b = 0; b < 8; b++)
			n += sprintf(cmd + n, "%02x", (unsigned int)((w >> (8 * b)) & 0xff));
	}
	cmd[n++] = '\n';
	if (write(q->sock, cmd, n) == (ssize_t)n && fgets(resp, sizeof(resp), q->in) &&
	    !strncmp(resp, "OK", 2))
		ret = 0;
	free(cmd);
	return ret;
}

/*
 * QEMU reads @len bytes at BAR offset @off (qtest "read"): the index of the
 * first word that is not pattern @seed, -1 if all are, -2 on error.
 */
static long qc_check_pattern(struct qc *q, uint64_t off, size_t len, uint64_t seed)
{
	size_t cap = 2 * len + 64;
	char *resp = malloc(cap), cmd[64];
	long bad = -2;
	int n;

	if (!resp)
		return -2;
	n = snprintf(cmd, sizeof(cmd), "read 0x%llx 0x%zx\n",
		     (unsigned long long)(QC_BAR_GPA + off), len);
	if (write(q->sock, cmd, n) != n || !fgets(resp, cap, q->in) ||
	    strncmp(resp, "OK 0x", 5) || strlen(resp) < 5 + 2 * len)
		goto out;
	bad = -1;
	for (size_t i = 0; i < len / 8 && bad == -1; i++) {
		uint64_t w = 0;

		for (int b = 0; b < 8; b++) {
			unsigned int byte;

			if (sscanf(resp + 5 + 16 * i + 2 * b, "%2x", &byte) != 1)
				byte = 0x100;
			w |= (uint64_t)(byte & 0xff) << (8 * b);
		}
		if (w != vpd_pattern(seed, i))
			bad = (long)i;
	}
out:
	free(resp);
	return bad;
}

/* ------------------------------------------------------------------------ */
/* client: the 64 MiB twins, ours and stock, through each QEMU              */
/* ------------------------------------------------------------------------ */

FIXTURE(client) {
	struct qc q;
	const char *bdf;
	const char *witness;
	char vfio_name[32];
};

FIXTURE_VARIANT(client) {
	const struct qc_vmm *vmm;
	const char *role;
	const char *witness_role;
	const char *driver;
	int ours;
};

FIXTURE_VARIANT_ADD(client, qemu72_ours) {
	.vmm = &qemu72, .role = "VPD_DEV_OURS", .witness_role = "VPD_DEV_OURS_W",
	.driver = "vfio-pci-dmabuf", .ours = 1,
};

FIXTURE_VARIANT_ADD(client, qemu72_stock) {
	.vmm = &qemu72, .role = "VPD_DEV_STOCK", .witness_role = "VPD_DEV_STOCK_W",
	.driver = "vfio-pci", .ours = 0,
};

FIXTURE_VARIANT_ADD(client, qemu10_ours) {
	.vmm = &qemu10, .role = "VPD_DEV_OURS", .witness_role = "VPD_DEV_OURS_W",
	.driver = "vfio-pci-dmabuf", .ours = 1,
};

FIXTURE_VARIANT_ADD(client, qemu10_stock) {
	.vmm = &qemu10, .role = "VPD_DEV_STOCK", .witness_role = "VPD_DEV_STOCK_W",
	.driver = "vfio-pci", .ours = 0,
};

FIXTURE_SETUP(client)
{
	char drv[64];

	self->q.pid = -1;
	self->bdf = vpd_role_bdf(variant->role);
	self->witness = vpd_role_bdf(variant->witness_role);
	ASSERT_NE(NULL, self->bdf);
	ASSERT_NE(NULL, self->witness);
	ASSERT_EQ(0, vpd_driver_of(self->bdf, drv, sizeof(drv)));
	ASSERT_STREQ(variant->driver, drv);
	ASSERT_EQ(0, vpd_vfio_dev_name(self->bdf, self->vfio_name, sizeof(self->vfio_name)));
	ASSERT_EQ(0, qc_check_version(variant->vmm));
}

FIXTURE_TEARDOWN(client)
{
	if (self->q.pid > 0)
		qc_stop(&self->q);
}

/*
 * QEMU's mapping of BAR2 and data through it, both ways.  The region
 * offset is the vfio-pci layout (index << 40) for both drivers; the
 * mapping's file differs: our DMABUF, named after vfio device, PCI address
 * and BAR, or stock's vfio device file.
 */
TEST_F_TIMEOUT(client, bar2_maps_and_data, 300)
{
	const uint64_t off_q = 3 * SZ_2M + 5 * SZ_4K;	/* QEMU writes here */
	const uint64_t off_t = SZ_64M - 2 * SZ_4K;	/* the test writes here */
	const uint64_t seed = 0x9e3700 + getpid();
	struct qc_stats base = { 0 }, s0 = { 0 }, s1 = { 0 };
	struct qc *q = &self->q;
	char why[256] = "", want[128];
	struct qc_map m;
	uint32_t id, flags;
	uint64_t v, *host;
	long bad, flt0, flt1;
	int status, maps;

	if (variant->ours)
		ASSERT_EQ(0, qc_read_stats(self->bdf, &base));
	ASSERT_EQ(0, qc_start(q, variant->vmm, self->bdf, variant->ours ? "ours" : "stock",
			      why, sizeof(why))) {
		TH_LOG("%s", why);
		qc_dump_log(q);
	}
	/* The device QEMU assigned, seen by a would-be guest. */
	ASSERT_EQ(0, qc_cfg_read(q, PCI_VENDOR_ID, &id)) qc_explain(q);
	EXPECT_EQ(0x11101af4u, id);
	ASSERT_EQ(0, qc_place_bar2(q, &flags)) qc_explain(q);
	EXPECT_EQ(PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH, flags);

	/*
	 * QEMU mapped BAR0 (its page) and BAR2 at realize, with either
	 * driver.  Ours: each a DMABUF named after vfio device, PCI address
	 * and BAR, the offset column the region offset QEMU passed (2 << 40).
	 * Stock: the vfio device file; the offset column is the region offset
	 * from 6.10, the BAR's physical address before (vfio-pci up to 6.9
	 * rewrites vm_pgoff to the PFN it maps).
	 */
	snprintf(want, sizeof(want), "/dmabuf:%s:%s/", self->vfio_name, self->bdf);
	maps = qc_find_bar(q->pid, variant->ours ? want : "[vfio-device]", SZ_64M, &m);
	ASSERT_LE(0, maps) qc_dump_maps(q);
	ksft_print_msg("%s %s maps: %s\n", variant->vmm->dir, variant->driver, m.line);
	EXPECT_EQ(2, maps) qc_dump_maps(q);
	if (variant->ours) {
		strcat(want, "2");
		EXPECT_STREQ(want, m.name);
		EXPECT_EQ(2UL << 40, m.off);
		ASSERT_EQ(0, qc_read_stats(self->bdf, &s0));
		/* Each of QEMU's mappings counted live (they share one DMABUF). */
		EXPECT_EQ(base.live_bar + maps, s0.live_bar);
	} else {
		EXPECT_NE(NULL, strstr(m.name, "[vfio-device]")) TH_LOG("name %s", m.name);
		unsigned long want_off = 2UL << 40;

		if (vpd_kernel_version() < 6010)
			want_off = vpd_bar_start(self->bdf, 2);
		EXPECT_EQ(want_off, m.off);
	}
	if (!strcmp(variant->vmm->dir, "10.0"))
		EXPECT_EQ(0, m.start % SZ_64M) TH_LOG("QEMU 10.0 aligns to the BAR size");

	flt0 = qc_minflt(q->pid);
	ASSERT_EQ(0, qc_set_decode(q, 1)) qc_explain(q);

	/* QEMU -> device: a 4 KiB block and the BAR's last word. */
	ASSERT_EQ(0, qc_write_pattern(q, off_q, QC_BLOCK, seed)) qc_explain(q);
	ASSERT_EQ(0, qc_cmd(q, NULL, 0, "writeq 0x%llx 0x%llx",
			    (unsigned long long)(QC_BAR_GPA + SZ_64M - 8),
			    (unsigned long long)vpd_pattern(seed, 999))) qc_explain(q);
	host = vpd_map_witness(self->witness, 2, SZ_64M);
	ASSERT_NE(MAP_FAILED, host) TH_LOG("witness mmap: %s", strerror(errno));
	bad = vpd_check(host + off_q / 8, QC_BLOCK, seed);
	EXPECT_EQ(-1, bad) TH_LOG("QEMU's write not in the backing memory at word %ld", bad);
	EXPECT_EQ(vpd_pattern(seed, 999), host[SZ_64M / 8 - 1]);

	/* Device -> QEMU: the test writes through the witness, QEMU reads. */
	vpd_fill(host + off_t / 8, QC_BLOCK, seed + 1);
	bad = qc_check_pattern(q, off_t, QC_BLOCK, seed + 1);
	EXPECT_EQ(-1, bad) TH_LOG("QEMU read the wrong data at word %ld", bad);
	host[0] = vpd_pattern(seed, 7);
	ASSERT_EQ(0, qc_cmd_val(q, &v, "readq 0x%llx", (unsigned long long)QC_BAR_GPA)) qc_explain(q);
	EXPECT_EQ(vpd_pattern(seed, 7), v);
	munmap(host, SZ_64M);

	flt1 = qc_minflt(q->pid);
	ksft_print_msg("%s %s: QEMU minor faults across decode-on and the accesses: %ld\n",
		       variant->vmm->dir, variant->driver, flt1 - flt0);
	if (variant->ours) {
		ASSERT_EQ(0, qc_read_stats(self->bdf, &s1));
		ksft_print_msg("%s ours: faults pte %lld pmd %lld pud %lld fallbacks %lld sigbus %lld\n",
			       variant->vmm->dir, s1.pte - s0.pte, s1.pmd - s0.pmd,
			       s1.pud - s0.pud, s1.fallbacks - s0.fallbacks,
			       s1.sigbus - s0.sigbus);
		EXPECT_EQ(0, s1.sigbus - s0.sigbus);
		EXPECT_LE(1, (s1.pte - s0.pte) + (s1.pmd - s0.pmd) + (s1.pud - s0.pud));
	}

	/* Decode off, as a guest would before moving the BAR. */
	ASSERT_EQ(0, qc_set_decode(q, 0)) qc_explain(q);
	EXPECT_FALSE(qc_log_has_vfio(q));
	qc_dump_log(q);
	status = qc_stop(q);
	EXPECT_TRUE(WIFEXITED(status) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM))
		TH_LOG("QEMU wait status 0x%x", status);
	if (variant->ours) {
		ASSERT_EQ(0, qc_read_stats(self->bdf, &s1));
		EXPECT_EQ(base.live_bar, s1.live_bar) TH_LOG("QEMU's mapping released");
	}
}

/* ------------------------------------------------------------------------ */
/* big: the 1 GiB BAR (ours), the entries each QEMU's mapping gets          */
/* ------------------------------------------------------------------------ */

FIXTURE(big) {
	struct qc q;
	const char *bdf;
	char vfio_name[32];
	int huge;
};

FIXTURE_VARIANT(big) {
	const struct qc_vmm *vmm;
};

FIXTURE_VARIANT_ADD(big, qemu72) { .vmm = &qemu72 };
FIXTURE_VARIANT_ADD(big, qemu10) { .vmm = &qemu10 };

FIXTURE_SETUP(big)
{
	char drv[64];

	self->q.pid = -1;
	self->bdf = vpd_role_bdf("VPD_DEV_BIG");
	ASSERT_NE(NULL, self->bdf);
	ASSERT_EQ(0, vpd_driver_of(self->bdf, drv, sizeof(drv)));
	ASSERT_STREQ("vfio-pci-dmabuf", drv);
	ASSERT_EQ(0, vpd_vfio_dev_name(self->bdf, self->vfio_name, sizeof(self->vfio_name)));
	self->huge = vpd_huge_pfnmap();
	ASSERT_LE(0, self->huge) TH_LOG("the module does not report its huge PFN mappings");
	ASSERT_EQ(0, qc_check_version(variant->vmm));
}

FIXTURE_TEARDOWN(big)
{
	if (self->q.pid > 0)
		qc_stop(&self->q);
}

/*
 * The faults a 1 GiB mapping at [start, start + 1 GiB) takes when every
 * 2 MiB window is touched: what the driver's fault path gives on this
 * kernel (huge: VPD_HUGE_* mask).
 */
static void qc_expected(unsigned long start, int huge, struct qc_stats *e)
{
	unsigned long end = start + SZ_1G;
	unsigned long lo = (start + SZ_2M - 1) & ~(SZ_2M - 1), hi = end & ~(SZ_2M - 1);

	memset(e, 0, sizeof(*e));
	if (!huge) {
		/* The first fault maps the whole VMA. */
		e->pte = 1;
	} else if ((huge & VPD_HUGE_PUD) && !(start % SZ_1G)) {
		e->pud = 1;
	} else {
		/* Whole 2 MiB windows one PMD each; a partial window one fault-around. */
		e->pmd = (hi - lo) / SZ_2M;
		e->pte = (start != lo) + (end != hi);
	}
}

TEST_F_TIMEOUT(big, huge_faults, 900)
{
	struct qc_stats s0, sd, s1, e;
	struct qc *q = &self->q;
	char why[256] = "", want[128];
	double t0, t1;
	long flt0, flt1;
	struct qc_map m;
	uint32_t flags;
	uint64_t v;
	int status;

	ASSERT_EQ(0, qc_start(q, variant->vmm, self->bdf, "big", why, sizeof(why))) {
		TH_LOG("%s", why);
		qc_dump_log(q);
	}
	ASSERT_EQ(0, qc_place_bar2(q, &flags)) qc_explain(q);
	snprintf(want, sizeof(want), "/dmabuf:%s:%s/2", self->vfio_name, self->bdf);
	ASSERT_LE(0, qc_find_bar(q->pid, want, SZ_1G, &m)) qc_dump_maps(q);
	ksft_print_msg("%s big maps: %s\n", variant->vmm->dir, m.line);
	ksft_print_msg("%s big: mapping at 0x%lx: %s-aligned\n", variant->vmm->dir, m.start,
		       !(m.start % SZ_1G) ? "1 GiB" : !(m.start % SZ_2M) ? "2 MiB" : "4 KiB");
	if (!strcmp(variant->vmm->dir, "10.0"))
		EXPECT_EQ(0, m.start % SZ_1G) TH_LOG("QEMU 10.0 aligns to the BAR size");

	ASSERT_EQ(0, qc_read_stats(self->bdf, &s0));
	flt0 = qc_minflt(q->pid);
	/*
	 * Decode on: QEMU maps the BAR into the machine's memory and for DMA
	 * (type1 faults the mapping in).  Then one read per 2 MiB of the BAR
	 * and its last word: every 2 MiB window of the mapping is touched
	 * whatever its alignment, also where the DMA mapping faulted nothing.
	 */
	t0 = qc_now();
	ASSERT_EQ(0, qc_set_decode(q, 1)) qc_explain(q);
	t1 = qc_now();
	ASSERT_EQ(0, qc_read_stats(self->bdf, &sd));
	ASSERT_EQ(0, qc_cmd(q, NULL, 0, "writeq 0x%llx 0x5eedb16", QC_BAR_GPA + SZ_1G - 8)) qc_explain(q);
	for (unsigned long off = 0; off < SZ_1G; off += SZ_2M)
		ASSERT_EQ(0, qc_cmd_val(q, &v, "readq 0x%llx", QC_BAR_GPA + off)) qc_explain(q);
	ASSERT_EQ(0, qc_cmd_val(q, &v, "readq 0x%llx", QC_BAR_GPA + SZ_1G - 8)) qc_explain(q);
	EXPECT_EQ(0x5eedb16, v);
	ksft_print_msg("%s big: decode on (QEMU maps the BAR, and for DMA) %.1f s, 514 qtest accesses %.1f s\n",
		       variant->vmm->dir, t1 - t0, qc_now() - t1);
	flt1 = qc_minflt(q->pid);
	ASSERT_EQ(0, qc_read_stats(self->bdf, &s1));

	ksft_print_msg("%s big: of which at decode on (QEMU's DMA mapping): pte %lld pmd %lld pud %lld\n",
		       variant->vmm->dir, sd.pte - s0.pte, sd.pmd - s0.pmd, sd.pud - s0.pud);
	qc_expected(m.start, self->huge, &e);
	ksft_print_msg("%s big (huge_pfnmap 0x%x): faults pte %lld pmd %lld pud %lld fallbacks %lld sigbus %lld; expected pte %lld pmd %lld pud %lld; QEMU minor faults %ld\n",
		       variant->vmm->dir, self->huge, s1.pte - s0.pte, s1.pmd - s0.pmd,
		       s1.pud - s0.pud, s1.fallbacks - s0.fallbacks, s1.sigbus - s0.sigbus,
		       e.pte, e.pmd, e.pud, flt1 - flt0);
	/*
	 * Exact: QEMU's DMA mapping at decode on faults the whole mapping in
	 * (vfio type1 resolves every PFN), and the accesses through qtest
	 * fault nothing more.
	 */
	EXPECT_EQ(e.pte, sd.pte - s0.pte);
	EXPECT_EQ(e.pmd, sd.pmd - s0.pmd);
	EXPECT_EQ(e.pud, sd.pud - s0.pud);
	EXPECT_EQ(e.pte, s1.pte - s0.pte);
	EXPECT_EQ(e.pmd, s1.pmd - s0.pmd);
	EXPECT_EQ(e.pud, s1.pud - s0.pud);
	EXPECT_EQ(0, s1.sigbus - s0.sigbus);

	ASSERT_EQ(0, qc_set_decode(q, 0)) qc_explain(q);
	EXPECT_FALSE(qc_log_has_vfio(q));
	qc_dump_log(q);
	status = qc_stop(q);
	EXPECT_TRUE(WIFEXITED(status) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM))
		TH_LOG("QEMU wait status 0x%x", status);
}

TEST_HARNESS_MAIN
