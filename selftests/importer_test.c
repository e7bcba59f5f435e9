// SPDX-License-Identifier: GPL-2.0
/*
 * Importers of exported BAR DMABUFs (VFIO_DEVICE_FEATURE_DMA_BUF): a
 * peer-to-peer importer attaches, maps and is invalidated at every revoke
 * point, through the test importer module (selftests/importer,
 * /sys/kernel/debug/vpd_test_importer/).  The attaching device is the
 * exporting device itself, so the mapping is of the "bus address" type: every
 * DMA address is the BAR's bus address plus the range offset.
 *
 * The contract:
 *  - attach succeeds only for a dynamic importer that allows peer-to-peer
 *    and has an invalidate callback, on a kernel with PCI P2PDMA; any other
 *    importer, and every importer on a kernel without P2PDMA, gets
 *    EOPNOTSUPP; a DMABUF revoked at attach time gives ENODEV;
 *  - each revocation invalidates the importer (which unmaps), map fails with
 *    ENODEV while revoked, and memory becoming usable again invalidates once
 *    more, after which a new map gives the same addresses;
 *  - a permanent revoke (VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE) and closing the
 *    device end the DMABUF for good.
 *
 * Where the kernel's vfio-pci has the export too (7.3), every test runs on
 * the identical device bound to vfio-pci (variant "stock") and must give the
 * same results.
 */
#include <stdarg.h>
#include <sys/wait.h>

#include "vpd_vfio.h"
#include "uapi/linux/vfio_pci_dmabuf.h"
#include "kselftest_harness.h"

#define SZ_4K	0x1000ULL
#define SZ_64K	0x10000ULL
#define SZ_1M	0x100000ULL
#define SZ_2M	0x200000ULL
#define SZ_64M	0x4000000ULL

#define IMP_DIR		"/sys/kernel/debug/vpd_test_importer"
#define IMP_SG_MAX	16

/* ------------------------------------------------------------------------ */
/* the importer module                                                      */
/* ------------------------------------------------------------------------ */

/* One command; 0 or -errno of the operation. */
static int imp_cmd(const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int fd, ret = 0;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(IMP_DIR "/control", O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, strlen(buf)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

struct imp_status {
	int p2pdma, pinned_p2p, attached, mapped, invalidations, last_map_err;
	unsigned int nents;
	unsigned long long total_len;
	unsigned long long sg_addr[IMP_SG_MAX], sg_len[IMP_SG_MAX];
};

static int imp_status(struct imp_status *st)
{
	char line[256];
	unsigned int i;
	FILE *f;

	memset(st, 0, sizeof(*st));
	st->p2pdma = st->invalidations = -1;
	f = fopen(IMP_DIR "/status", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, l;

		sscanf(line, "p2pdma=%d", &st->p2pdma);
		sscanf(line, "pinned_p2p=%d", &st->pinned_p2p);
		sscanf(line, "attached=%d", &st->attached);
		sscanf(line, "mapped=%d", &st->mapped);
		sscanf(line, "invalidations=%d", &st->invalidations);
		sscanf(line, "last_map_err=%d", &st->last_map_err);
		sscanf(line, "nents=%u", &st->nents);
		sscanf(line, "total_len=%llx", &st->total_len);
		if (sscanf(line, "sg%u=%llx %llx", &i, &a, &l) == 3 && i < IMP_SG_MAX) {
			st->sg_addr[i] = a;
			st->sg_len[i] = l;
		}
	}
	fclose(f);
	return 0;
}

static int imp_attach(int dmabuf, const char *bdf, int p2p, int dynamic)
{
	return imp_cmd("attach %d %s %d %d", dmabuf, bdf, p2p, dynamic);
}

/* ------------------------------------------------------------------------ */
/* export, revoke, addresses                                                */
/* ------------------------------------------------------------------------ */

struct range {
	unsigned long long off, len;
};

static int dma_buf_feature_probe(int devfd)
{
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
			 VFIO_DEVICE_FEATURE_DMA_BUF,
	};

	return ioctl(devfd, VFIO_DEVICE_FEATURE, &feat) ? -errno : 0;
}

/* A DMABUF of @n ranges of BAR @bar: its fd or -errno. */
static int export_ranges(int devfd, unsigned int bar, const struct range *r, unsigned int n)
{
	size_t sz = sizeof(struct vfio_device_feature) +
		    sizeof(struct vfio_device_feature_dma_buf) +
		    n * sizeof(struct vfio_region_dma_range);
	struct vfio_device_feature *feat = calloc(1, sz);
	struct vfio_device_feature_dma_buf *db = (void *)feat->data;
	int fd;

	feat->argsz = sz;
	feat->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	db->region_index = bar;
	db->open_flags = O_RDWR | O_CLOEXEC;
	db->nr_ranges = n;
	for (unsigned int i = 0; i < n; i++) {
		db->dma_ranges[i].offset = r[i].off;
		db->dma_ranges[i].length = r[i].len;
	}
	fd = ioctl(devfd, VFIO_DEVICE_FEATURE, feat);
	if (fd < 0)
		fd = -errno;
	free(feat);
	return fd;
}

static int revoke_dmabuf(int devfd, int dmabuf)
{
	char buf[sizeof(struct vfio_device_feature) +
		 sizeof(struct vfio_device_feature_dma_buf_revoke)] __attribute__((aligned(8)));
	struct vfio_device_feature *feat = (void *)buf;
	struct vfio_device_feature_dma_buf_revoke *rv = (void *)feat->data;

	memset(buf, 0, sizeof(buf));
	feat->argsz = sizeof(buf);
	feat->flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE;
	rv->dmabuf_fd = dmabuf;
	return ioctl(devfd, VFIO_DEVICE_FEATURE, feat) ? -errno : 0;
}

/*
 * Address runs in DMABUF order with adjacent ones merged: how an exporter
 * cuts the ranges into entries (one per range, adjacent ranges merged,
 * large ones split) does not matter, what the entries cover in which order
 * does.
 */
struct runs {
	unsigned int n;
	unsigned long long addr[2 * IMP_SG_MAX], len[2 * IMP_SG_MAX];
};

static void runs_add(struct runs *r, unsigned long long addr, unsigned long long len)
{
	if (r->n && r->addr[r->n - 1] + r->len[r->n - 1] == addr) {
		r->len[r->n - 1] += len;
		return;
	}
	if (r->n < 2 * IMP_SG_MAX) {
		r->addr[r->n] = addr;
		r->len[r->n] = len;
		r->n++;
	}
}

static void runs_expected(struct runs *r, unsigned long long base, const struct range *rg,
			  unsigned int n)
{
	memset(r, 0, sizeof(*r));
	for (unsigned int i = 0; i < n; i++)
		runs_add(r, base + rg[i].off, rg[i].len);
}

static void runs_seen(struct runs *r, const struct imp_status *st)
{
	memset(r, 0, sizeof(*r));
	for (unsigned int i = 0; i < st->nents && i < IMP_SG_MAX; i++)
		runs_add(r, st->sg_addr[i], st->sg_len[i]);
}

static void log_status(struct __test_metadata *_metadata, const char *what,
		       const struct imp_status *st)
{
	TH_LOG("%s: mapped=%d invalidations=%d last_map_err=%d nents=%u total=%#llx",
	       what, st->mapped, st->invalidations, st->last_map_err, st->nents, st->total_len);
	for (unsigned int i = 0; i < st->nents && i < IMP_SG_MAX; i++)
		TH_LOG("  sg%u = %#llx + %#llx", i, st->sg_addr[i], st->sg_len[i]);
}

/*
 * Map and check the entries against BAR base + range offsets.  Returns the
 * importer status after the map.
 */
static void map_and_check(struct __test_metadata *_metadata, unsigned long long base,
			  const struct range *rg, unsigned int n, struct imp_status *st)
{
	unsigned long long total = 0;
	struct runs want, seen;

	ASSERT_EQ(0, imp_cmd("map"));
	ASSERT_EQ(0, imp_status(st));
	EXPECT_EQ(1, st->mapped);
	EXPECT_EQ(0, st->last_map_err);
	for (unsigned int i = 0; i < n; i++)
		total += rg[i].len;
	EXPECT_EQ(total, st->total_len);
	EXPECT_GE(st->nents, 1);
	EXPECT_LE(st->nents, IMP_SG_MAX);
	runs_expected(&want, base, rg, n);
	runs_seen(&seen, st);
	EXPECT_LE(st->nents, n) TH_LOG("more entries than ranges");
	EXPECT_EQ(want.n, seen.n);
	for (unsigned int i = 0; i < want.n && i < seen.n; i++) {
		EXPECT_EQ(want.addr[i], seen.addr[i]) TH_LOG("run %u", i);
		EXPECT_EQ(want.len[i], seen.len[i]) TH_LOG("run %u", i);
	}
	if (_metadata->exit_code)
		log_status(_metadata, "after map", st);
}

/* Same entries as @ref (a status after an earlier map). */
static void expect_same_entries(struct __test_metadata *_metadata,
				const struct imp_status *ref, const struct imp_status *st)
{
	EXPECT_EQ(ref->nents, st->nents);
	EXPECT_EQ(ref->total_len, st->total_len);
	for (unsigned int i = 0; i < ref->nents && i < IMP_SG_MAX; i++) {
		EXPECT_EQ(ref->sg_addr[i], st->sg_addr[i]) TH_LOG("sg%u", i);
		EXPECT_EQ(ref->sg_len[i], st->sg_len[i]) TH_LOG("sg%u", i);
	}
}

/* Revoked now: the importer was invalidated (@inv in all) and unmapped,
 * and a new map fails with ENODEV. */
static void expect_revoked(struct __test_metadata *_metadata, int inv, const char *what)
{
	struct imp_status st;

	ASSERT_EQ(0, imp_status(&st));
	EXPECT_EQ(inv, st.invalidations) TH_LOG("%s: invalidations", what);
	EXPECT_EQ(0, st.mapped) TH_LOG("%s: still mapped", what);
	EXPECT_EQ(-ENODEV, imp_cmd("map")) TH_LOG("%s: map while revoked", what);
	ASSERT_EQ(0, imp_status(&st));
	EXPECT_EQ(0, st.mapped);
	EXPECT_EQ(-ENODEV, st.last_map_err);
	EXPECT_EQ(inv, st.invalidations) TH_LOG("%s: a failed map invalidated", what);
}

/* Usable again: @inv invalidations in all, and a map gives @ref's entries. */
static void expect_restored(struct __test_metadata *_metadata, int inv,
			    const struct imp_status *ref, const char *what)
{
	struct imp_status st;

	ASSERT_EQ(0, imp_status(&st));
	EXPECT_EQ(inv, st.invalidations) TH_LOG("%s: invalidations after restore", what);
	EXPECT_EQ(0, st.mapped);
	EXPECT_EQ(0, imp_cmd("map")) TH_LOG("%s: map after restore", what);
	ASSERT_EQ(0, imp_status(&st));
	EXPECT_EQ(1, st.mapped);
	expect_same_entries(_metadata, ref, &st);
	EXPECT_EQ(inv, st.invalidations) TH_LOG("%s: the map invalidated", what);
}

/* ------------------------------------------------------------------------ */
/* fixture: one device, its DMABUF, the importer                            */
/* ------------------------------------------------------------------------ */

/* Two ranges of BAR2, out of BAR order and apart: two runs. */
static const struct range ranges_apart[] = {
	{ 8 * SZ_1M, SZ_2M },
	{ SZ_1M, SZ_64K },
};

/* Two adjacent ranges: one run (one entry or two). */
static const struct range ranges_adjacent[] = {
	{ 4 * SZ_1M, SZ_1M },
	{ 5 * SZ_1M, SZ_1M },
};

/* One device bound to one of the two drivers, its DMABUF, the importer. */
struct ctx {
	struct vpd_dev dev;
	struct vfio_region_info bar2;
	unsigned long long base;	/* BAR2 bus address */
	int dmabuf;			/* ranges_apart */
	int p2pdma, pinned_p2p;
};

static void ctx_setup(struct __test_metadata *_metadata, struct ctx *c, const char *role,
		      const char *driver, int ours)
{
	const char *bdf = vpd_role_bdf(role);
	struct imp_status st;
	char drv[64];
	int ret;

	c->dmabuf = -1;
	c->dev.fd = c->dev.group = c->dev.container = -1;
	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, access(IMP_DIR "/control", W_OK))
		TH_LOG("the test importer module is not loaded");
	/* A test that died attached must not leak into this one. */
	imp_cmd("detach");
	ASSERT_EQ(0, imp_status(&st));
	ASSERT_EQ(0, st.attached);
	ASSERT_TRUE(st.p2pdma == 0 || st.p2pdma == 1);
	c->p2pdma = st.p2pdma;
	c->pinned_p2p = st.pinned_p2p;

	ASSERT_EQ(0, vpd_driver_of(bdf, drv, sizeof(drv)));
	ASSERT_STREQ(driver, drv);
	ASSERT_EQ(0, vpd_open(&c->dev, bdf));
	ASSERT_EQ(0, vpd_region_info(&c->dev, VFIO_PCI_BAR2_REGION_INDEX, &c->bar2));
	ASSERT_GE(c->bar2.size, 16 * SZ_1M);
	c->base = vpd_bar_start(bdf, 2);
	ASSERT_NE(0, c->base);

	ret = dma_buf_feature_probe(c->dev.fd);
	if (ret && !ours)
		SKIP(return, "vfio-pci has no VFIO_DEVICE_FEATURE_DMA_BUF here");
	ASSERT_EQ(0, ret) TH_LOG("VFIO_DEVICE_FEATURE_DMA_BUF probe: %s", strerror(-ret));
	c->dmabuf = export_ranges(c->dev.fd, 2, ranges_apart, 2);
	ASSERT_GE(c->dmabuf, 0) TH_LOG("export: %s", strerror(-c->dmabuf));
}

static void ctx_teardown(struct ctx *c)
{
	imp_cmd("detach");
	if (c->dmabuf >= 0)
		close(c->dmabuf);
	vpd_close(&c->dev);
}

/*
 * Attach the peer-to-peer dynamic importer and map.  False on a kernel
 * without P2PDMA, after checking the attach was refused with EOPNOTSUPP
 * (the contract there): the caller then ends the test.
 */
static bool attach_and_map(struct __test_metadata *_metadata, struct ctx *c,
			   struct imp_status *st)
{
	int ret = imp_attach(c->dmabuf, c->dev.bdf, 1, 1);

	if (!c->p2pdma) {
		EXPECT_EQ(-EOPNOTSUPP, ret) TH_LOG("attach without P2PDMA: %s", strerror(-ret));
		return false;
	}
	EXPECT_EQ(0, ret) TH_LOG("attach: %s", strerror(-ret));
	if (ret)
		return false;
	map_and_check(_metadata, c->base, ranges_apart, 2, st);
	EXPECT_EQ(0, st->invalidations);
	return !_metadata->exit_code;
}

/* The ivshmem twins (64 MiB RAM-like BAR2). */
FIXTURE(imp) {
	struct ctx c;
};

FIXTURE_VARIANT(imp) {
	const char *role;
	const char *driver;
	int ours;
};

FIXTURE_VARIANT_ADD(imp, ours) {
	.role = "VPD_DEV_OURS", .driver = "vfio-pci-dmabuf", .ours = 1,
};

FIXTURE_VARIANT_ADD(imp, stock) {
	.role = "VPD_DEV_STOCK", .driver = "vfio-pci", .ours = 0,
};

FIXTURE_SETUP(imp)
{
	ctx_setup(_metadata, &self->c, variant->role, variant->driver, variant->ours);
}

FIXTURE_TEARDOWN(imp)
{
	ctx_teardown(&self->c);
}

/* The NVMe twins: FLR, power management, reset; BAR2 is the CMB. */
FIXTURE(nvme) {
	struct ctx c;
};

FIXTURE_VARIANT(nvme) {
	const char *role;
	const char *driver;
	int ours;
};

FIXTURE_VARIANT_ADD(nvme, ours) {
	.role = "VPD_DEV_NVME", .driver = "vfio-pci-dmabuf", .ours = 1,
};

FIXTURE_VARIANT_ADD(nvme, stock) {
	.role = "VPD_DEV_NVME_STOCK", .driver = "vfio-pci", .ours = 0,
};

FIXTURE_SETUP(nvme)
{
	ctx_setup(_metadata, &self->c, variant->role, variant->driver, variant->ours);
}

FIXTURE_TEARDOWN(nvme)
{
	ctx_teardown(&self->c);
}

/* For the record: BAR address, ranges, and the entries seen. */
static void print_entries(const struct ctx *c, const struct range *rg, const struct imp_status *st)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "%s BAR2 at %#llx, ranges %#llx+%#llx %#llx+%#llx: %u entries",
		     c->dev.bdf, c->base, rg[0].off, rg[0].len, rg[1].off, rg[1].len, st->nents);
	for (unsigned int i = 0; i < st->nents && i < IMP_SG_MAX && n < (int)sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - n, " %#llx+%#llx", st->sg_addr[i], st->sg_len[i]);
	ksft_print_msg("%s\n", buf);
}

/* Every importer that is not a revocable peer-to-peer one is refused. */
TEST_F(imp, refusals)
{
	static const struct {
		int p2p, dynamic;
	} combos[] = { { 0, 1 }, { 0, 0 }, { 1, 0 }, { 1, 1 } };
	struct ctx *c = &self->c;
	struct imp_status st;

	for (size_t i = 0; i < ARRAY_SIZE(combos); i++) {
		int p2p = combos[i].p2p, dyn = combos[i].dynamic;
		int ret, want = -EOPNOTSUPP;

		if (p2p && dyn && c->p2pdma)
			continue;	/* the one accepted: every other test */
		/* A pinned importer asking for P2P needs the dma-buf API of
		 * revocable attachments; older APIs cannot express it. */
		if (p2p && !dyn && !c->pinned_p2p)
			want = -EPROTONOSUPPORT;
		ret = imp_attach(c->dmabuf, c->dev.bdf, p2p, dyn);
		EXPECT_EQ(want, ret) TH_LOG("p2p=%d dynamic=%d: %s", p2p, dyn, strerror(-ret));
		ASSERT_EQ(0, imp_status(&st));
		EXPECT_EQ(ret ? 0 : 1, st.attached);
		imp_cmd("detach");
	}
	/* The importer itself: a bad fd, a fd that is no DMABUF. */
	EXPECT_EQ(-EBADF, imp_attach(1000, c->dev.bdf, 1, 1));
	EXPECT_EQ(-EINVAL, imp_attach(c->dev.fd, c->dev.bdf, 1, 1));
}

/* Map: one entry per range (or merged/split runs) at BAR + offset. */
TEST_F(imp, map_addresses)
{
	struct ctx *c = &self->c;
	struct imp_status st, st2;
	int adj;

	if (!attach_and_map(_metadata, c, &st))
		return;
	print_entries(c, ranges_apart, &st);
	EXPECT_EQ(-EALREADY, imp_cmd("map"));

	/* Unmap by the importer: no invalidation; a new map is the same. */
	EXPECT_EQ(0, imp_cmd("unmap"));
	EXPECT_EQ(-ENOENT, imp_cmd("unmap"));
	ASSERT_EQ(0, imp_cmd("map"));
	ASSERT_EQ(0, imp_status(&st2));
	EXPECT_EQ(0, st2.invalidations);
	expect_same_entries(_metadata, &st, &st2);

	/* Detach while mapped, attach again. */
	EXPECT_EQ(0, imp_cmd("detach"));
	EXPECT_EQ(-ENOENT, imp_cmd("map"));
	ASSERT_EQ(0, imp_attach(c->dmabuf, c->dev.bdf, 1, 1));
	EXPECT_EQ(-EBUSY, imp_attach(c->dmabuf, c->dev.bdf, 1, 1));
	ASSERT_EQ(0, imp_cmd("map"));
	ASSERT_EQ(0, imp_status(&st2));
	expect_same_entries(_metadata, &st, &st2);
	EXPECT_EQ(0, imp_cmd("detach"));

	/* Adjacent ranges. */
	adj = export_ranges(c->dev.fd, 2, ranges_adjacent, 2);
	ASSERT_GE(adj, 0);
	ASSERT_EQ(0, imp_attach(adj, c->dev.bdf, 1, 1));
	map_and_check(_metadata, c->base, ranges_adjacent, 2, &st2);
	print_entries(c, ranges_adjacent, &st2);
	EXPECT_EQ(0, imp_cmd("detach"));
	close(adj);
}

/* The importer's reference keeps the DMABUF alive after its fd is closed. */
TEST_F(imp, fd_closed_while_attached)
{
	struct ctx *c = &self->c;
	struct imp_status st, st2;

	if (!attach_and_map(_metadata, c, &st))
		return;
	close(c->dmabuf);
	c->dmabuf = -1;
	EXPECT_EQ(0, imp_cmd("unmap"));
	EXPECT_EQ(0, imp_cmd("map"));
	ASSERT_EQ(0, imp_status(&st2));
	expect_same_entries(_metadata, &st, &st2);
	/* ... and its revocation still reaches the importer. */
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 0));
	expect_revoked(_metadata, 1, "memory decode off");
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 1));
	expect_restored(_metadata, 2, &st, "memory decode on");
}

static void memory_decode_cycles(struct __test_metadata *_metadata, struct ctx *c)
{
	struct imp_status st, now;

	if (!attach_and_map(_metadata, c, &st))
		return;
	print_entries(c, ranges_apart, &st);
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 0));
	expect_revoked(_metadata, 1, "memory decode off");
	/* Writing the command register again without MEM changes nothing. */
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 0));
	expect_revoked(_metadata, 1, "memory decode off twice");
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 1));
	expect_restored(_metadata, 2, &st, "memory decode on");
	/* ... nor does writing it with MEM on again. */
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 1));
	ASSERT_EQ(0, imp_status(&now));
	EXPECT_EQ(2, now.invalidations);
	EXPECT_EQ(1, now.mapped);
	/* A second cycle. */
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 0));
	expect_revoked(_metadata, 3, "memory decode off again");
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 1));
	expect_restored(_metadata, 4, &st, "memory decode on again");
}

TEST_F(imp, revoke_memory_decode)
{
	memory_decode_cycles(_metadata, &self->c);
}

TEST_F(nvme, revoke_memory_decode)
{
	memory_decode_cycles(_metadata, &self->c);
}

/* Attaching while revoked: ENODEV; after memory is back, attach works. */
TEST_F(imp, attach_while_revoked)
{
	struct ctx *c = &self->c;
	struct imp_status st;
	int ret;

	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 0));
	ret = imp_attach(c->dmabuf, c->dev.bdf, 1, 1);
	EXPECT_EQ(c->p2pdma ? -ENODEV : -EOPNOTSUPP, ret) TH_LOG("%s", strerror(-ret));
	if (!ret)
		imp_cmd("detach");
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 1));
	attach_and_map(_metadata, c, &st);
}

/* A DMABUF exported while memory decode is off starts revoked. */
TEST_F(imp, export_while_revoked)
{
	struct ctx *c = &self->c;
	struct imp_status st;
	int fd, ret;

	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 0));
	fd = export_ranges(c->dev.fd, 2, ranges_apart, 2);
	ASSERT_GE(fd, 0) TH_LOG("export with memory decode off: %s", strerror(-fd));
	ret = imp_attach(fd, c->dev.bdf, 1, 1);
	EXPECT_EQ(c->p2pdma ? -ENODEV : -EOPNOTSUPP, ret) TH_LOG("%s", strerror(-ret));
	if (!ret)
		imp_cmd("detach");
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 1));
	ret = imp_attach(fd, c->dev.bdf, 1, 1);
	if (c->p2pdma) {
		ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
		map_and_check(_metadata, c->base, ranges_apart, 2, &st);
		imp_cmd("detach");
	} else {
		EXPECT_EQ(-EOPNOTSUPP, ret);
	}
	close(fd);
}

/* A permanent revoke: no way back, not even through a memory cycle. */
TEST_F(imp, revoke_permanent)
{
	struct ctx *c = &self->c;
	struct imp_status st;
	int ret;

	if (!variant->ours)
		SKIP(return, "VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE is ours only");
	if (!attach_and_map(_metadata, c, &st)) {
		/* No importer here: the revoke itself still works. */
		EXPECT_EQ(0, revoke_dmabuf(c->dev.fd, c->dmabuf));
		return;
	}
	ASSERT_EQ(0, revoke_dmabuf(c->dev.fd, c->dmabuf));
	expect_revoked(_metadata, 1, "permanent revoke");
	/* A memory cycle neither invalidates again nor makes it mappable. */
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 0));
	ASSERT_EQ(0, vpd_set_mem_decode(&c->dev, 1));
	EXPECT_EQ(-ENODEV, imp_cmd("map"));
	ASSERT_EQ(0, imp_status(&st));
	ksft_print_msg("invalidations of a permanently revoked DMABUF after a memory cycle: %d\n",
		       st.invalidations);
	/* Nothing to re-arm: no second invalidation. */
	EXPECT_EQ(1, st.invalidations);
	EXPECT_EQ(0, st.mapped);
	EXPECT_EQ(0, imp_cmd("detach"));
	ret = imp_attach(c->dmabuf, c->dev.bdf, 1, 1);
	EXPECT_EQ(-ENODEV, ret) TH_LOG("attach after a permanent revoke: %s", strerror(-ret));
	if (!ret)
		imp_cmd("detach");
}

/* Closing every vfio fd ends the DMABUF: invalidated, no map, no attach. */
TEST_F(imp, device_close)
{
	struct ctx *c = &self->c;
	struct imp_status st;
	int ret;

	if (!attach_and_map(_metadata, c, &st))
		return;
	vpd_close(&c->dev);
	expect_revoked(_metadata, 1, "device closed");
	EXPECT_EQ(0, imp_cmd("detach"));
	ret = imp_attach(c->dmabuf, c->dev.bdf, 1, 1);
	EXPECT_EQ(-ENODEV, ret) TH_LOG("attach after close: %s", strerror(-ret));
	if (!ret)
		imp_cmd("detach");
}

TEST_F_TIMEOUT(nvme, revoke_d3hot, 120)
{
	struct ctx *c = &self->c;
	unsigned int pm = vpd_find_cap(&c->dev, PCI_CAP_ID_PM);
	struct imp_status st;
	uint16_t pmcsr;

	ASSERT_NE(0, pm);
	if (!attach_and_map(_metadata, c, &st))
		return;
	ASSERT_EQ(0, vpd_cfg_read16(&c->dev, pm + PCI_PM_CTRL, &pmcsr));
	ASSERT_EQ(0, vpd_cfg_write16(&c->dev, pm + PCI_PM_CTRL,
				     vpd_pmcsr_state(pmcsr, VPD_PM_STATE_D3HOT)));
	expect_revoked(_metadata, 1, "D3hot");
	ASSERT_EQ(0, vpd_cfg_write16(&c->dev, pm + PCI_PM_CTRL,
				     vpd_pmcsr_state(pmcsr, VPD_PM_STATE_D0)));
	expect_restored(_metadata, 2, &st, "D0");
}

/* FLR: revoked and restored within the config write. */
TEST_F_TIMEOUT(nvme, revoke_flr, 120)
{
	struct ctx *c = &self->c;
	unsigned int exp = vpd_find_cap(&c->dev, PCI_CAP_ID_EXP);
	struct imp_status st, now;
	uint32_t devcap = 0;
	uint16_t devctl;

	ASSERT_NE(0, exp);
	ASSERT_EQ(0, vpd_cfg_read(&c->dev, exp + PCI_EXP_DEVCAP, &devcap, 4));
	ASSERT_TRUE(devcap & PCI_EXP_DEVCAP_FLR) TH_LOG("no FLR");
	if (!attach_and_map(_metadata, c, &st))
		return;
	ASSERT_EQ(0, vpd_cfg_read16(&c->dev, exp + PCI_EXP_DEVCTL, &devctl));
	ASSERT_EQ(0, vpd_cfg_write16(&c->dev, exp + PCI_EXP_DEVCTL,
				     devctl | PCI_EXP_DEVCTL_BCR_FLR));
	ASSERT_EQ(0, imp_status(&now));
	EXPECT_EQ(0, now.mapped) TH_LOG("FLR did not unmap the importer");
	expect_restored(_metadata, 2, &st, "FLR");
}

TEST_F_TIMEOUT(nvme, revoke_device_reset, 120)
{
	struct ctx *c = &self->c;
	struct imp_status st, now;

	if (!attach_and_map(_metadata, c, &st))
		return;
	ASSERT_EQ(0, ioctl(c->dev.fd, VFIO_DEVICE_RESET)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, imp_status(&now));
	EXPECT_EQ(0, now.mapped) TH_LOG("reset did not unmap the importer");
	expect_restored(_metadata, 2, &st, "VFIO_DEVICE_RESET");
}

TEST_F_TIMEOUT(nvme, revoke_low_power, 120)
{
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat),
		.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
	};
	struct ctx *c = &self->c;
	struct imp_status st;

	/* Every kernel we support has low-power entry (6.0+): never skipped. */
	feat.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		     VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	ASSERT_EQ(0, ioctl(c->dev.fd, VFIO_DEVICE_FEATURE, &feat))
		TH_LOG("PROBE of low power entry: %s", strerror(errno));
	if (!attach_and_map(_metadata, c, &st))
		return;
	feat.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY;
	ASSERT_EQ(0, ioctl(c->dev.fd, VFIO_DEVICE_FEATURE, &feat))
		TH_LOG("low power entry: %s", strerror(errno));
	expect_revoked(_metadata, 1, "low power");
	feat.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	ASSERT_EQ(0, ioctl(c->dev.fd, VFIO_DEVICE_FEATURE, &feat));
	expect_restored(_metadata, 2, &st, "low power exit");
}

/* Device close on the NVMe twin too (reset on close). */
TEST_F(nvme, device_close)
{
	struct ctx *c = &self->c;
	struct imp_status st;

	if (!attach_and_map(_metadata, c, &st))
		return;
	vpd_close(&c->dev);
	expect_revoked(_metadata, 1, "device closed");
}

/* ------------------------------------------------------------------------ */
/* hot reset started through a sibling's fd                                 */
/* ------------------------------------------------------------------------ */

FIXTURE(sibling) {
	int unused;
};

FIXTURE_SETUP(sibling)
{
	imp_cmd("detach");
}

FIXTURE_TEARDOWN(sibling)
{
	imp_cmd("detach");
}

TEST_F_TIMEOUT(sibling, hot_reset, 120)
{
	const char *b0 = vpd_role_bdf("VPD_DEV_RST0"), *b1 = vpd_role_bdf("VPD_DEV_RST1");
	struct imp_status st, ref;
	struct vpd_dev d0;
	int fd1, group1 = -1, dmabuf, ret;
	unsigned long long base;

	ASSERT_NE(NULL, b0);
	ASSERT_NE(NULL, b1);
	imp_cmd("detach");
	ASSERT_EQ(0, imp_status(&st));
	ASSERT_EQ(0, vpd_open(&d0, b0));
	fd1 = vpd_open_sibling(&d0, b1, &group1);
	ASSERT_GE(fd1, 0) TH_LOG("sibling %s: %s", b1, strerror(-fd1));
	base = vpd_bar_start(b0, 2);
	ASSERT_NE(0, base);
	dmabuf = export_ranges(d0.fd, 2, ranges_apart, 2);
	ASSERT_GE(dmabuf, 0) TH_LOG("export: %s", strerror(-dmabuf));
	ret = imp_attach(dmabuf, b0, 1, 1);
	if (!st.p2pdma) {
		EXPECT_EQ(-EOPNOTSUPP, ret);
		goto out;
	}
	ASSERT_EQ(0, ret) TH_LOG("attach: %s", strerror(-ret));
	map_and_check(_metadata, base, ranges_apart, 2, &ref);

	ret = vpd_hot_reset(fd1, &d0, group1);
	ASSERT_EQ(0, ret) TH_LOG("hot reset: %s", strerror(-ret));
	ASSERT_EQ(0, imp_status(&st));
	EXPECT_EQ(0, st.mapped) TH_LOG("hot reset did not unmap the importer");
	expect_restored(_metadata, 2, &ref, "hot reset through the sibling");
out:
	imp_cmd("detach");
	close(dmabuf);
	close(fd1);
	if (group1 >= 0)
		close(group1);
	vpd_close(&d0);
}

TEST_HARNESS_MAIN
