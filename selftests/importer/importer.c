// SPDX-License-Identifier: GPL-2.0
/*
 * vpd-test-importer: a dma-buf importer for the selftests.  It attaches a
 * PCI device to a DMABUF that user space names by fd, maps and unmaps the
 * attachment, and counts the exporter's invalidations, so that a test can
 * check what an exporter gives a peer-to-peer importer and when it takes it
 * away.
 *
 * debugfs, /sys/kernel/debug/vpd_test_importer/:
 *
 *   control  (write) one command per write(); the write returns the
 *            command's result (a negative result fails the write with that
 *            errno):
 *              attach <dmabuf fd> <pci device> <p2p 0|1> <dynamic 0|1>
 *                    the fd is looked up in the writer's process; the
 *                    attaching device is the PCI device (e.g. 0000:00:03.0)
 *                    dynamic=1: dma_buf_dynamic_attach() with an invalidate
 *                               callback, allow_peer2peer = p2p
 *                    dynamic=0, p2p=0: dma_buf_attach()
 *                    dynamic=0, p2p=1: importer ops asking for peer-to-peer
 *                               without an invalidate callback (a pinned
 *                               importer); EPROTONOSUPPORT where the dma-buf
 *                               API requires the callback (pinned_p2p=0)
 *              map     dma_buf_map_attachment(), DMA_BIDIRECTIONAL
 *              unmap   dma_buf_unmap_attachment()
 *              detach  unmap if mapped, dma_buf_detach(), drop the DMABUF
 *            Own errnos: EBUSY (attach while attached), ENOENT (nothing
 *            attached / nothing mapped), EALREADY (map while mapped),
 *            ENXIO (no such PCI device), EINVAL (bad command).
 *   status   (read) key=value lines:
 *              p2pdma=0|1       CONFIG_PCI_P2PDMA of this kernel
 *              pinned_p2p=0|1   whether "dynamic=0 p2p=1" can be expressed
 *              attached=0|1  dynamic=0|1  p2p=0|1  mapped=0|1
 *              invalidations=N  invalidate callbacks since the attach
 *              last_map_err=E   result of the last map (0 or -errno)
 *              nents=N          DMA entries of the current mapping
 *              total_len=0x..   sum of their lengths
 *              sg<i>=<dma address hex> <dma length hex>, i < 16
 *
 * One attachment at a time.  The invalidate callback unmaps (it runs with
 * the reservation lock held, as the map and unmap calls need).
 *
 * Locking: imp.lock (commands, status) is taken before the DMABUF's
 * reservation lock; the mapping state is written only under the reservation
 * lock, which is all the invalidate callback holds.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vpd_importer_probe.h"

#ifdef VPD_IMP_IMPORT_NS_IDENT
MODULE_IMPORT_NS(DMA_BUF);
#else
MODULE_IMPORT_NS("DMA_BUF");
#endif

#ifdef VPD_IMP_HAVE_INVALIDATE_MAPPINGS
#define IMP_INVALIDATE_OP invalidate_mappings
#else
#define IMP_INVALIDATE_OP move_notify
#endif

#define IMP_SG_MAX 16
#define IMP_DIR DMA_BIDIRECTIONAL

static struct {
	struct mutex lock;
	struct dentry *dir;

	/* under lock */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct pci_dev *pdev;
	bool dynamic, p2p;

	/*
	 * Written under the DMABUF's reservation lock (by the invalidate
	 * callback too), read under it.
	 */
	struct sg_table *sgt;
	unsigned int nents;
	u64 total_len;
	struct {
		u64 addr;
		u64 len;
	} sg[IMP_SG_MAX];
	int last_map_err;

	atomic_t invalidations;
} imp;

/* Drop the current mapping: reservation lock held. */
static void imp_unmap_locked(struct dma_buf_attachment *attach)
{
	dma_resv_assert_held(attach->dmabuf->resv);
	if (!imp.sgt)
		return;
	/*
	 * vfio-pci-core's unmap (7.3) frees the table with dma_buf_free_sgt(),
	 * which leaks the scatterlist: dma_buf_phys_vec_to_sgt() zeroed
	 * orig_nents, the count sg_free_table() frees.  Give it back for that
	 * exporter only, so that kmemleak still judges ours.
	 */
	if (attach->dmabuf->exp_name &&
	    !strcmp(attach->dmabuf->exp_name, "vfio_pci_core"))
		imp.sgt->orig_nents = imp.sgt->nents;
	dma_buf_unmap_attachment(attach, imp.sgt, IMP_DIR);
	imp.sgt = NULL;
	imp.nents = 0;
	imp.total_len = 0;
	memset(imp.sg, 0, sizeof(imp.sg));
}

/* The exporter revokes or moves the buffer: unmap now, count it. */
static void imp_invalidate(struct dma_buf_attachment *attach)
{
	imp_unmap_locked(attach);
	atomic_inc(&imp.invalidations);
}

static const struct dma_buf_attach_ops imp_ops_p2p = {
	.allow_peer2peer = true,
	.IMP_INVALIDATE_OP = imp_invalidate,
};

static const struct dma_buf_attach_ops imp_ops_no_p2p = {
	.allow_peer2peer = false,
	.IMP_INVALIDATE_OP = imp_invalidate,
};

#ifdef VPD_IMP_HAVE_ATTACH_REVOCABLE
/* A pinned importer that still asks for peer-to-peer: no callback. */
static const struct dma_buf_attach_ops imp_ops_pinned_p2p = {
	.allow_peer2peer = true,
};
#define IMP_PINNED_P2P 1
#else
#define IMP_PINNED_P2P 0
#endif

static int imp_attach(int fd, const char *bdf, unsigned int p2p,
		      unsigned int dynamic)
{
	const struct dma_buf_attach_ops *ops = NULL;
	unsigned int dom, bus, slot, fn;
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct pci_dev *pdev;
	char tail;

	if (p2p > 1 || dynamic > 1)
		return -EINVAL;
	if (sscanf(bdf, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &tail) != 4 ||
	    bus > 0xff || slot > 0x1f || fn > 7)
		return -EINVAL;
	if (imp.attach)
		return -EBUSY;

	if (dynamic) {
		ops = p2p ? &imp_ops_p2p : &imp_ops_no_p2p;
	} else if (p2p) {
#if IMP_PINNED_P2P
		ops = &imp_ops_pinned_p2p;
#else
		return -EPROTONOSUPPORT;
#endif
	}

	pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(slot, fn));
	if (!pdev)
		return -ENXIO;
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf)) {
		pci_dev_put(pdev);
		return PTR_ERR(dmabuf);
	}

	atomic_set(&imp.invalidations, 0);
	imp.last_map_err = 0;
	if (ops)
		attach = dma_buf_dynamic_attach(dmabuf, &pdev->dev, ops, NULL);
	else
		attach = dma_buf_attach(dmabuf, &pdev->dev);
	if (IS_ERR(attach)) {
		dma_buf_put(dmabuf);
		pci_dev_put(pdev);
		return PTR_ERR(attach);
	}
	imp.dmabuf = dmabuf;
	imp.attach = attach;
	imp.pdev = pdev;
	imp.dynamic = dynamic;
	imp.p2p = p2p;
	return 0;
}

static int imp_map(void)
{
	struct scatterlist *sg;
	struct sg_table *sgt;
	int ret = 0, i;

	if (!imp.attach)
		return -ENOENT;
	dma_resv_lock(imp.dmabuf->resv, NULL);
	if (imp.sgt) {
		ret = -EALREADY;
		goto out;
	}
	sgt = dma_buf_map_attachment(imp.attach, IMP_DIR);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		imp.last_map_err = ret;
		goto out;
	}
	imp.last_map_err = 0;
	imp.sgt = sgt;
	imp.nents = sgt->nents;
	imp.total_len = 0;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (i < IMP_SG_MAX) {
			imp.sg[i].addr = sg_dma_address(sg);
			imp.sg[i].len = sg_dma_len(sg);
		}
		imp.total_len += sg_dma_len(sg);
	}
out:
	dma_resv_unlock(imp.dmabuf->resv);
	return ret;
}

static int imp_unmap(void)
{
	int ret = 0;

	if (!imp.attach)
		return -ENOENT;
	dma_resv_lock(imp.dmabuf->resv, NULL);
	if (imp.sgt)
		imp_unmap_locked(imp.attach);
	else
		ret = -ENOENT;
	dma_resv_unlock(imp.dmabuf->resv);
	return ret;
}

static int imp_detach(void)
{
	if (!imp.attach)
		return -ENOENT;
	dma_resv_lock(imp.dmabuf->resv, NULL);
	imp_unmap_locked(imp.attach);
	dma_resv_unlock(imp.dmabuf->resv);
	dma_buf_detach(imp.dmabuf, imp.attach);
	dma_buf_put(imp.dmabuf);
	pci_dev_put(imp.pdev);
	imp.attach = NULL;
	imp.dmabuf = NULL;
	imp.pdev = NULL;
	return 0;
}

static ssize_t imp_control_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	char buf[128], bdf[32], *cmd, *args;
	unsigned int p2p, dynamic;
	int ret, fd;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	args = strim(buf);
	cmd = strsep(&args, " \t");

	mutex_lock(&imp.lock);
	if (!strcmp(cmd, "attach")) {
		if (args && sscanf(args, "%d %31s %u %u", &fd, bdf, &p2p, &dynamic) == 4)
			ret = imp_attach(fd, bdf, p2p, dynamic);
		else
			ret = -EINVAL;
	} else if (args) {
		ret = -EINVAL;
	} else if (!strcmp(cmd, "map")) {
		ret = imp_map();
	} else if (!strcmp(cmd, "unmap")) {
		ret = imp_unmap();
	} else if (!strcmp(cmd, "detach")) {
		ret = imp_detach();
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&imp.lock);
	return ret ? ret : (ssize_t)len;
}

static const struct file_operations imp_control_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = imp_control_write,
	.llseek = noop_llseek,
};

static int imp_status_show(struct seq_file *m, void *unused)
{
	unsigned int i;

	mutex_lock(&imp.lock);
	seq_printf(m, "p2pdma=%d\n", IS_ENABLED(CONFIG_PCI_P2PDMA) ? 1 : 0);
	seq_printf(m, "pinned_p2p=%d\n", IMP_PINNED_P2P);
	seq_printf(m, "attached=%d\n", imp.attach ? 1 : 0);
	if (imp.attach) {
		seq_printf(m, "device=%s\n", pci_name(imp.pdev));
		seq_printf(m, "dynamic=%d\n", imp.dynamic ? 1 : 0);
		seq_printf(m, "p2p=%d\n", imp.p2p ? 1 : 0);
		dma_resv_lock(imp.dmabuf->resv, NULL);
	}
	seq_printf(m, "mapped=%d\n", imp.sgt ? 1 : 0);
	seq_printf(m, "invalidations=%d\n", atomic_read(&imp.invalidations));
	seq_printf(m, "last_map_err=%d\n", imp.last_map_err);
	seq_printf(m, "nents=%u\n", imp.nents);
	seq_printf(m, "total_len=0x%llx\n", imp.total_len);
	for (i = 0; i < imp.nents && i < IMP_SG_MAX; i++)
		seq_printf(m, "sg%u=0x%llx 0x%llx\n", i, imp.sg[i].addr, imp.sg[i].len);
	if (imp.attach)
		dma_resv_unlock(imp.dmabuf->resv);
	mutex_unlock(&imp.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(imp_status);

static int __init imp_init(void)
{
	struct dentry *d;

	mutex_init(&imp.lock);
	imp.dir = debugfs_create_dir("vpd_test_importer", NULL);
	if (IS_ERR_OR_NULL(imp.dir))
		return imp.dir ? PTR_ERR(imp.dir) : -ENODEV;
	d = debugfs_create_file("control", 0200, imp.dir, NULL, &imp_control_fops);
	if (IS_ERR_OR_NULL(d))
		goto fail;
	d = debugfs_create_file("status", 0400, imp.dir, NULL, &imp_status_fops);
	if (IS_ERR_OR_NULL(d))
		goto fail;
	return 0;
fail:
	debugfs_remove_recursive(imp.dir);
	return d ? PTR_ERR(d) : -ENOMEM;
}

static void __exit imp_exit(void)
{
	debugfs_remove_recursive(imp.dir);
	mutex_lock(&imp.lock);
	imp_detach();
	mutex_unlock(&imp.lock);
	mutex_destroy(&imp.lock);
}

module_init(imp_init);
module_exit(imp_exit);
MODULE_DESCRIPTION("vfio-pci-dmabuf selftests: a dma-buf importer driven through debugfs");
MODULE_LICENSE("GPL");
