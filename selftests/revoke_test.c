// SPDX-License-Identifier: GPL-2.0
/*
 * Revocation of DMABUF-backed BAR mappings at every revoke point: memory
 * decode off (reaching fork copies and split VMAs), unbind while mapped,
 * D3hot, FLR, VFIO_DEVICE_RESET and low-power entry on the NVMe twins, and
 * a hot reset started through a sibling function's fd.  Each runs on our
 * driver and on stock vfio-pci (variant "stock") where the twin exists.
 */
#include "kselftest_harness.h"

#define VPD_FIXTURE_TWIN
#define VPD_FIXTURE_NVME
#include "vpd_fixtures.h"
#include "vpd_export.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>

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
	if (!variant->ours) {
		int miss = vpd_stock_misses_fork_copy(map);

		ASSERT_LE(0, miss);
		if (miss) {
			munmap(map, 3 * SZ_2M);
			SKIP(return, "vfio-pci on this kernel never revokes a fork copy (fork calls open() before copying the entries; the copy is on no vma_list)");
		}
	}
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
	/* The child catches its SIGBUS itself: any signal that ends it is a failure. */
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("the fork child was killed by signal %d",
		       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
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
 * Unbinding a mapped device: the user is asked (request notifier) to let
 * go; unbind completes once the mapping and the fds are gone; the device
 * then binds again.
 */
TEST_F_TIMEOUT(twin, unbind_while_mapped, 120)
{
	char irq_buf[sizeof(struct vfio_irq_set) + sizeof(int)], drv[64];
	struct vfio_irq_set *irq = (struct vfio_irq_set *)irq_buf;
	struct vpd_unbind_job job = { .bdf = self->dev.bdf };
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
	ASSERT_EQ(0, pthread_create(&thread, NULL, vpd_unbind_thread, &job));

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
	EXPECT_EQ(0, vpd_write_file("/sys/bus/pci/drivers_probe", self->dev.bdf));
	EXPECT_EQ(0, vpd_driver_of(self->dev.bdf, drv, sizeof(drv)));
	EXPECT_STREQ(variant->driver, drv);
}

/* ------------------------------------------------------------------------ */
/* revoke points on the NVMe twins (FLR, PM, reset, low power)              */
/* ------------------------------------------------------------------------ */

/* Re-touching after a revoke takes a new fault: the PTEs were zapped. */
static long refaults(uint64_t *map)
{
	return vpd_touch_all((uint8_t *)map, CMB_TEST_LEN);
}

TEST_F(nvme, revoke_d3hot)
{
	unsigned int pm = vpd_find_cap(&self->dev, PCI_CAP_ID_PM);
	uint16_t pmcsr;
	uint64_t v;

	ASSERT_NE(0, pm);
	ASSERT_EQ(0, vpd_cfg_read16(&self->dev, pm + PCI_PM_CTRL, &pmcsr));
	ASSERT_EQ(0, vpd_cfg_write16(&self->dev, pm + PCI_PM_CTRL,
				     vpd_pmcsr_state(pmcsr, VPD_PM_STATE_D3HOT)));
	EXPECT_EQ(SIGBUS, vpd_touch(&self->map[0], 0, &v));
	ASSERT_EQ(0, vpd_cfg_write16(&self->dev, pm + PCI_PM_CTRL,
				     vpd_pmcsr_state(pmcsr, VPD_PM_STATE_D0)));
	EXPECT_GT(refaults(self->map), 0);
	EXPECT_EQ(0, vpd_touch(&self->map[0], 0, &v));
	/* The controller memory buffer survives: data intact. */
	EXPECT_EQ(-1, vpd_check(self->map, CMB_TEST_LEN, 0x5eed));
}

TEST_F(nvme, revoke_flr)
{
	unsigned int exp = vpd_find_cap(&self->dev, PCI_CAP_ID_EXP);
	uint32_t devcap;
	uint16_t devctl;
	uint64_t v;

	ASSERT_NE(0, exp);
	ASSERT_EQ(0, vpd_cfg_read(&self->dev, exp + PCI_EXP_DEVCAP, &devcap, 4));
	ASSERT_TRUE(devcap & PCI_EXP_DEVCAP_FLR) TH_LOG("no FLR");
	ASSERT_EQ(0, vpd_cfg_read16(&self->dev, exp + PCI_EXP_DEVCTL, &devctl));
	ASSERT_EQ(0, vpd_cfg_write16(&self->dev, exp + PCI_EXP_DEVCTL,
				     devctl | PCI_EXP_DEVCTL_BCR_FLR));
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

/*
 * Low-power entry (VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, 6.0+: every kernel
 * we support has it, so it is never skipped): the mapping faults with
 * SIGBUS until low-power exit.
 */
TEST_F(nvme, revoke_low_power)
{
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
			 VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
	};
	uint64_t v;

	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_FEATURE, &feat))
		TH_LOG("PROBE of low power entry: %s", strerror(errno));
	feat.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_FEATURE, &feat))
		TH_LOG("low power entry: %s", strerror(errno));
	EXPECT_EQ(SIGBUS, vpd_touch(&self->map[0], 0, &v));
	feat.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_FEATURE, &feat))
		TH_LOG("low power exit: %s", strerror(errno));
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
	struct vfio_region_info bar2;
	struct vpd_dev d0;
	int fd1, group1 = -1, ret;
	uint64_t *map, v;
	size_t len = SZ_2M;

	ASSERT_NE(NULL, b0);
	ASSERT_NE(NULL, b1);
	ASSERT_EQ(0, vpd_open(&d0, b0));
	fd1 = vpd_open_sibling(&d0, b1, &group1);
	ASSERT_GE(fd1, 0) TH_LOG("sibling %s: %s", b1, strerror(-fd1));

	ASSERT_EQ(0, vpd_region_info(&d0, VFIO_PCI_BAR2_REGION_INDEX, &bar2));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d0.fd, bar2.offset);
	ASSERT_NE(MAP_FAILED, map);
	vpd_fill(map, len, 0x4e5e7);

	/* Reset issued through the sibling (function 1), not through d0. */
	ret = vpd_hot_reset(fd1, &d0, group1);
	ASSERT_EQ(0, ret) TH_LOG("hot reset: %s", strerror(-ret));

	EXPECT_GT(vpd_touch_all((uint8_t *)map, len), 0) TH_LOG("mapping was not zapped");
	EXPECT_EQ(0, vpd_touch(&map[0], 0, &v));
	EXPECT_EQ(-1, vpd_check(map, len, 0x4e5e7));

	munmap(map, len);
	close(fd1);
	if (group1 >= 0)
		close(group1);
	vpd_close(&d0);
}

TEST_HARNESS_MAIN
