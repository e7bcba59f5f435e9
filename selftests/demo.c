// SPDX-License-Identifier: GPL-2.0
/*
 * `make demo`: what the driver does, in plain words, next to stock vfio-pci
 * on an identical device.  Prints its report as TAP comments and ends with
 * one TAP result, so the VM harness checks it like any other test.
 */
#include "vpd_export.h"

#define SZ_4K	0x1000UL
#define SZ_2M	0x200000UL
#define SZ_1G	0x40000000UL

static int failed;

#define say(...) printf("# " __VA_ARGS__)

static void fail(const char *what)
{
	say("  !! %s\n", what);
	failed = 1;
}

static void maps_line(void *addr)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strtoul(line, NULL, 16) == (unsigned long)addr)
			say("   %s", line);
	fclose(f);
}


/*
 * The helper process: holds nothing but the DMABUF fd it receives.  Maps
 * the slice, checks it sees the BAR bytes of the two ranges, writes a
 * marker, waits for the primary's revocation and checks it is cut off.
 * Exit status: 0 when everything went as told.
 */
static int helper(int sock, const uint64_t off[2], const uint64_t len[2])
{
	size_t total = len[0] + len[1];
	uint64_t *m, v;
	int fd, ok = 1;
	char c;

	if (vpd_recv_fd(sock, &c, 1, &fd) != 1 || fd < 0)
		return 10;
	m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 11;
	/* The primary filled the BAR with pattern(seed, word index in the BAR). */
	for (int r = 0, base = 0; r < 2; base += len[r] / 8, r++)
		for (size_t w = 0; w < len[r] / 8; w += 511)
			if (m[base + w] != vpd_pattern(0x5eed, off[r] / 8 + w))
				ok = 0;
	say("   helper (pid %d, only the DMABUF fd): mapped %zu KiB, sees the BAR bytes of both ranges: %s\n",
	    getpid(), total >> 10, ok ? "yes" : "NO");
	m[0] = 0x4e1f;
	if (write(sock, "w", 1) != 1 || read(sock, &c, 1) != 1)
		return 12;
	/* Revoked for good by now. */
	v = 0;
	if (vpd_touch(&m[0], 0, &v) == SIGBUS)
		say("   helper: after the revoke, reading the mapping -> SIGBUS\n");
	else
		ok = 0;
	if (mmap(NULL, total, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED && errno == ENODEV)
		say("   helper: mapping it again -> ENODEV\n");
	else
		ok = 0;
	return ok ? 0 : 13;
}

/* 4. A slice handed to a helper process, then revoked for good. */
static void handoff(struct vpd_dev *ours, uint64_t *bar, size_t bar_len)
{
	const struct vfio_region_dma_range r[2] = {
		{ 4 * SZ_2M, SZ_2M }, { 16 * SZ_2M + 3 * SZ_4K, 16 * SZ_4K },
	};
	const uint64_t off[2] = { r[0].offset, r[1].offset };
	const uint64_t len[2] = { r[0].length, r[1].length };
	int sv[2], dmabuf, status;
	char c;
	pid_t pid;

	say("4. A slice of the BAR handed to another process, then revoked.\n");
	vpd_fill(bar, bar_len, 0x5eed);
	dmabuf = vpd_export(ours->fd, VFIO_PCI_BAR2_REGION_INDEX, r, 2);
	if (dmabuf < 0) {
		fail("export failed");
		return;
	}
	say("   primary: exported BAR2 [%llu KiB, +%llu KiB) and [%llu KiB, +%llu KiB) as one DMABUF\n",
	    (unsigned long long)off[0] >> 10, (unsigned long long)len[0] >> 10,
	    (unsigned long long)off[1] >> 10, (unsigned long long)len[1] >> 10);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		fail("socketpair");
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* Drop every fd but the socket: the helper gets only the DMABUF. */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != sv[1])
				close(fd);
		_exit(helper(sv[1], off, len));
	}
	close(sv[1]);
	if (vpd_send_fd(sv[0], dmabuf, "f", 1)) {
		fail("SCM_RIGHTS");
		return;
	}
	say("   primary: sent the DMABUF fd over a unix socket (SCM_RIGHTS)\n");
	if (read(sv[0], &c, 1) != 1)
		fail("helper died");
	say("   primary: the helper's write shows in the BAR at %llu KiB: %s\n",
	    (unsigned long long)off[0] >> 10,
	    bar[off[0] / 8] == 0x4e1f ? "yes" : "NO");
	if (bar[off[0] / 8] != 0x4e1f)
		fail("helper's write not seen");
	if (vpd_revoke(ours->fd, dmabuf))
		fail("revoke failed");
	else
		say("   primary: VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE\n");
	if (write(sv[0], "r", 1) != 1)
		fail("helper died");
	if (waitpid(pid, &status, 0) != pid)
		fail("lost the helper");
	else if (WIFSIGNALED(status))
		fail("the helper was killed by a signal");
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail("the helper saw something else");
	close(sv[0]);
	close(dmabuf);
}

int main(void)
{
	const char *ours_bdf = vpd_role_bdf("VPD_DEV_OURS");
	const char *stock_bdf = vpd_role_bdf("VPD_DEV_STOCK");
	const char *big_bdf = vpd_role_bdf("VPD_DEV_BIG");
	struct vfio_region_info bar2;
	struct vpd_dev ours, stock, big;
	char od[64] = "", sd[64] = "";
	uint64_t *map, v = 0;
	long o_al, s_al, o_un, s_un, b_al;
	int sig;

	printf("TAP version 13\n1..1\n");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!ours_bdf || !stock_bdf || vpd_open(&ours, ours_bdf) || vpd_open(&stock, stock_bdf)) {
		printf("not ok 1 demo # cannot open the devices\n");
		return 1;
	}
	vpd_driver_of(ours_bdf, od, sizeof(od));
	vpd_driver_of(stock_bdf, sd, sizeof(sd));
	vpd_region_info(&ours, VFIO_PCI_BAR2_REGION_INDEX, &bar2);

	say("\n");
	say("vfio-pci-dmabuf demo\n");
	say("====================\n");
	say("Two identical ivshmem devices with a %llu MiB RAM-like BAR2:\n",
	    (unsigned long long)bar2.size >> 20);
	say("  %s bound to %s\n", ours_bdf, od);
	say("  %s bound to %s\n", stock_bdf, sd);
	say("\n");

	/* 1. The mapping and its name. */
	say("1. A BAR mapping is a DMABUF.  The line in /proc/self/maps:\n");
	map = mmap(NULL, bar2.size, PROT_READ | PROT_WRITE, MAP_SHARED, ours.fd, bar2.offset);
	if (map == MAP_FAILED) {
		fail("mmap of BAR2 failed");
	} else {
		maps_line(map);
		say("   (path: /dmabuf:<vfio device>:<PCI address>/<BAR>; offset: the BAR's\n");
		say("   vfio region offset, as with vfio-pci)\n");
	}
	say("\n");

	/* 2. Faults. */
	o_al = vpd_bar2_faults(&ours, bar2.size, SZ_2M, 0);
	s_al = vpd_bar2_faults(&stock, bar2.size, SZ_2M, 0);
	o_un = vpd_bar2_faults(&ours, bar2.size, SZ_2M, SZ_4K);
	s_un = vpd_bar2_faults(&stock, bar2.size, SZ_2M, SZ_4K);
	say("2. Page faults taken to touch every page of the %llu MiB BAR:\n",
	    (unsigned long long)bar2.size >> 20);
	say("   %-32s %-18s %s\n", "", "vfio-pci-dmabuf", "vfio-pci");
	say("   %-32s %-18ld %ld\n", "VA 2 MiB-aligned", o_al, s_al);
	say("   %-32s %-18ld %ld\n", "VA 2 MiB-aligned + 4 KiB", o_un, s_un);
	if (o_al < 0 || o_un < 0 || o_al > s_al || o_un > s_un)
		fail("more faults than vfio-pci");
	if (big_bdf && !vpd_open(&big, big_bdf)) {
		b_al = vpd_bar2_faults(&big, SZ_1G, SZ_1G, 0);
		say("   %-32s %-18ld (no twin)\n", "1 GiB BAR, VA 1 GiB-aligned", b_al);
		vpd_close(&big);
	}
	say("\n");

	/* 3. Revocation. */
	say("3. Revocation: memory decode turned off through the command register.\n");
	if (map != MAP_FAILED) {
		vpd_fill(map, bar2.size, 0xde70);
		say("   wrote a pattern through the mapping (%llu MiB)\n",
		    (unsigned long long)bar2.size >> 20);
		if (vpd_set_mem_decode(&ours, 0))
			fail("config write failed");
		sig = vpd_touch(&map[0], 0, &v);
		say("   memory decode off -> reading the mapping: %s\n",
		    sig == SIGBUS ? "SIGBUS (the mapping is revoked)" :
		    sig ? "unexpected signal" : "it worked (NOT revoked)");
		if (sig != SIGBUS)
			fail("no SIGBUS while revoked");
		if (vpd_set_mem_decode(&ours, 1))
			fail("config write failed");
		sig = vpd_touch(&map[0], 0, &v);
		if (sig) {
			say("   memory decode on  -> reading the mapping: signal %d\n", sig);
			fail("mapping did not come back");
		} else {
			long bad = vpd_check(map, bar2.size, 0xde70);

			say("   memory decode on  -> reading the mapping: ok, data %s\n",
			    bad < 0 ? "intact" : "CHANGED");
			if (bad >= 0)
				fail("data changed");
		}
		say("\n");
		handoff(&ours, map, bar2.size);
		munmap(map, bar2.size);
	}
	say("\n");

	vpd_close(&ours);
	vpd_close(&stock);
	printf("%s 1 demo\n", failed ? "not ok" : "ok");
	return failed;
}
