// SPDX-License-Identifier: GPL-2.0
/*
 * get_user_pages() on DMABUF-backed BAR mappings fails cleanly, as it does
 * on vfio-pci's: O_DIRECT I/O, process_vm_readv(), vmsplice() and futexes on
 * 4 KiB-, PMD- and PUD-mapped ranges.
 */
#include "kselftest_harness.h"

#define VPD_FIXTURE_TWIN
#include "vpd_fixtures.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/uio.h>

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

VPD_FIXTURE_NONE(big);

/*
 * get_user_pages() on a 1 GiB, 1 GiB-aligned mapping (one PUD where the
 * module inserts PUDs, the whole VMA at once where it maps no huge pages)
 * fails too.
 */
TEST_F_TIMEOUT(big, gup_refused_pud, VPD_BIG_TIMEOUT)
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

TEST_HARNESS_MAIN
