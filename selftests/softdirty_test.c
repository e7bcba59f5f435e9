// SPDX-License-Identifier: GPL-2.0
/*
 * A write after a soft-dirty reset must make progress.
 *
 * `echo 4 > /proc/<pid>/clear_refs` (CRIU, working-set tools) clears
 * VM_SOFTDIRTY and makes the VMA's new entries read-only (write
 * notification).  A write to a PMD-mapped window of a PFN map then reaches
 * the driver's huge_fault through wp_huge_pmd() with a present read-only
 * entry; an insert without "write" leaves it read-only and the write
 * faults forever.  Each case runs in a child with a deadline: ours must
 * complete, stock vfio-pci's outcome is reported.
 */
#include <sys/wait.h>

#include "vpd_export.h"
#include "kselftest_harness.h"

#define SZ_2M	0x200000UL
#define DEADLINE 20	/* seconds: a livelocked write never finishes */

/* Whether /proc/self/smaps lists the VMA at @addr with VmFlags "sd". */
static int vma_soft_dirty(void *addr)
{
	char line[512];
	int in = 0, sd = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		/* A VMA's header line: "start-end perms offset dev inode [path]". */
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			in = (unsigned long)addr >= s && (unsigned long)addr < e;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			sd = strstr(line, " sd") != NULL;
			break;
		}
	}
	fclose(f);
	return sd;
}

static int clear_soft_dirty(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "4", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Child: map @len of @fd at @off at a 2 MiB-aligned VA, reset soft-dirty,
 * read (if @read_first), then write.  Exit codes: 0 done, 2 mmap,
 * 3 the VMA was not soft-dirty before, 4 still soft-dirty after, 5 data.
 */
static void child(int fd, off_t off, size_t len, int read_first)
{
	volatile uint64_t *map;

	map = vpd_mmap_at(fd, off, len, SZ_2M, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	if (map == MAP_FAILED)
		_exit(2);
	if (vma_soft_dirty((void *)map) != 1)
		_exit(3);
	if (clear_soft_dirty() || vma_soft_dirty((void *)map) != 0)
		_exit(4);
	/* A read now inserts read-only entries: the write then takes the wp path. */
	if (read_first)
		(void)map[0];
	map[0] = 0x50f7d127;
	map[len / 8 - 1] = 0x50f7d128;
	_exit(map[0] == 0x50f7d127 && map[len / 8 - 1] == 0x50f7d128 ? 0 : 5);
}

/*
 * Run the child; returns its wait status.  A child that has not finished
 * after DEADLINE s is killed (SIGKILL: nothing the harness set up can
 * block it).
 */
static int run(int fd, off_t off, size_t len, int read_first)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		child(fd, off, len, read_first);
	if (pid < 0)
		return -1;
	for (int ms = 0; ms < DEADLINE * 1000; ms += 100) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		usleep(100 * 1000);
	}
	kill(pid, SIGKILL);
	return waitpid(pid, &status, 0) == pid ? status : -1;
}

static const char *describe(int status)
{
	static char buf[64];

	if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		snprintf(buf, sizeof(buf), "no progress in %d s (livelock), killed", DEADLINE);
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "signal %d", WTERMSIG(status));
	else
		snprintf(buf, sizeof(buf), "status %#x", status);
	return buf;
}

FIXTURE(sd) {
	struct vpd_dev dev;
	struct vfio_region_info bar2;
};

FIXTURE_VARIANT(sd) {
	const char *role;
	int ours;
};

FIXTURE_VARIANT_ADD(sd, ours) { .role = "VPD_DEV_OURS", .ours = 1 };
FIXTURE_VARIANT_ADD(sd, stock) { .role = "VPD_DEV_STOCK", .ours = 0 };

FIXTURE_SETUP(sd)
{
	const char *bdf = vpd_role_bdf(variant->role);

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vpd_open(&self->dev, bdf));
	ASSERT_EQ(0, vpd_region_info(&self->dev, VFIO_PCI_BAR2_REGION_INDEX, &self->bar2));
}

FIXTURE_TEARDOWN(sd)
{
	vpd_close(&self->dev);
}

/* The first access after the reset is a write. */
TEST_F_TIMEOUT(sd, bar_write_after_reset, 2 * DEADLINE + 30)
{
	int st = run(self->dev.fd, self->bar2.offset, 2 * SZ_2M, 0);

	ksft_print_msg("SOFTDIRTY %s BAR, write first: %s\n",
		       variant->ours ? "ours" : "stock", describe(st));
	ASSERT_NE(-1, st);
	ASSERT_FALSE(WIFEXITED(st) && WEXITSTATUS(st) >= 2 && WEXITSTATUS(st) <= 4)
		TH_LOG("setup failed in the child: %s", describe(st));
	if (variant->ours) {
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("%s", describe(st));
	}
}

/* Reset, read (a read-only huge entry now exists), then write. */
TEST_F_TIMEOUT(sd, bar_reset_read_write, 2 * DEADLINE + 30)
{
	int st = run(self->dev.fd, self->bar2.offset, 2 * SZ_2M, 1);

	ksft_print_msg("SOFTDIRTY %s BAR, reset, read, write: %s\n",
		       variant->ours ? "ours" : "stock", describe(st));
	ASSERT_NE(-1, st);
	ASSERT_FALSE(WIFEXITED(st) && WEXITSTATUS(st) >= 2 && WEXITSTATUS(st) <= 4)
		TH_LOG("setup failed in the child: %s", describe(st));
	if (variant->ours) {
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("%s", describe(st));
	}
}

/*
 * The same on a mapping of an exported DMABUF (stock's cannot be mmap()ed).
 * Ours completes at once; a livelock would overrun the 30 s default.
 */
TEST(export_write_after_reset)
{
	const struct vfio_region_dma_range r = { 4 * SZ_2M, 2 * SZ_2M };
	const char *bdf = vpd_role_bdf("VPD_DEV_OURS");
	struct vpd_dev dev;
	int fd, st;

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vpd_open(&dev, bdf));
	fd = vpd_export(dev.fd, VFIO_PCI_BAR2_REGION_INDEX, &r, 1);
	ASSERT_GE(fd, 0);
	st = run(fd, 0, 2 * SZ_2M, 0);
	ksft_print_msg("SOFTDIRTY ours export, write first: %s\n", describe(st));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("%s", describe(st));
	st = run(fd, 0, 2 * SZ_2M, 1);
	ksft_print_msg("SOFTDIRTY ours export, reset, read, write: %s\n", describe(st));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("%s", describe(st));
	close(fd);
	vpd_close(&dev);
}

TEST_HARNESS_MAIN
