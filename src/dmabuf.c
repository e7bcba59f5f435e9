// SPDX-License-Identifier: GPL-2.0
/*
 * The DMABUF behind BAR mmaps: one single-range buffer per BAR of an open
 * device, describing the whole (page-aligned) BAR and shared by every
 * mapping of that BAR, created by the BAR's first mmap and dropped when the
 * device is closed.  It is never handed out as an fd; it exists so that a
 * mapping's vm_file is a DMABUF (named after the device and BAR in
 * /proc/<pid>/maps and debugfs bufinfo).  The vfio device file a mapping was
 * made through is the VMA's own (vm_private_data, src/mm.c): a live mapping
 * keeps the device open, so the buffer always outlives its mappings.
 * (DMABUFs exported as fds are src/export.c's.)
 */
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "compat.h"
#include "trace.h"
#include "vpd.h"

static struct sg_table *vpd_bar_buf_map(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	/* Only ever mapped into user space through its own VMA. */
	return ERR_PTR(-EOPNOTSUPP);
}

static void vpd_bar_buf_unmap(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir)
{
}

static int vpd_bar_buf_attach(struct dma_buf *dmabuf,
			      struct dma_buf_attachment *attach)
{
	return -EOPNOTSUPP;
}

/*
 * The last reference to the DMABUF's file is gone: the device dropped its
 * own in vpd_bar_bufs_drop() and no VMA uses it.  The device may be gone by
 * now (the release can run after the device was freed): nothing here may
 * touch it.
 */
static void vpd_bar_buf_release(struct dma_buf *dmabuf)
{
	struct vpd_bar_buf *buf = dmabuf->priv;

	trace_vpd_release(false, buf->base.bar, buf->table.total_len);
	kfree(buf);
}

static const struct dma_buf_ops vpd_bar_buf_ops = {
	.attach		= vpd_bar_buf_attach,
	.map_dma_buf	= vpd_bar_buf_map,
	.unmap_dma_buf	= vpd_bar_buf_unmap,
	.release	= vpd_bar_buf_release,
};

/*
 * The name of a DMABUF of @vpd's BAR @bar, shown by /proc/<pid>/maps as
 * /dmabuf:<vfio device>:<PCI address>/<BAR>.  kfree() it, or hand it to the
 * DMABUF.
 */
char *vpd_dmabuf_name(struct vpd_device *vpd, unsigned int bar)
{
	return kasprintf(GFP_KERNEL_ACCOUNT, "%s:%s/%x",
			 dev_name(&vpd->core.vdev.device),
			 pci_name(vpd->core.pdev), bar);
}

/*
 * Create the DMABUF of BAR @whole->bar, @whole describing the whole BAR.
 * Returns the buffer with the DMABUF file's initial reference held by the
 * caller (buf->base.dmabuf), or an ERR_PTR().
 */
static struct vpd_bar_buf *vpd_bar_buf_create(struct vpd_device *vpd,
					      const struct vpd_bar_map *whole)
{
	struct vfio_device *core_vdev = &vpd->core.vdev;
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct vpd_bar_buf *buf;
	struct dma_buf *dmabuf;
	char *name;
	int ret;

	buf = kzalloc(struct_size(buf, table.segs, 1), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);

	ret = vpd_table_init(&buf->table, 1, &whole->range, 1);
	if (ret)
		goto err_free_buf;

	buf->vpd = vpd;
	buf->base = (struct vpd_buf) {
		.kind = VPD_BUF_BAR,
		.bar = whole->bar,
		.pgoff_adjust = whole->pgoff_adjust,
		.table = &buf->table,
	};

	name = vpd_dmabuf_name(vpd, whole->bar);
	if (!name) {
		ret = -ENOMEM;
		goto err_free_buf;
	}

	exp_info.ops = &vpd_bar_buf_ops;
	exp_info.size = whole->range.len;
	/* Never installed as an fd: only the file mode matters. */
	exp_info.flags = O_RDWR;
	exp_info.priv = buf;

	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_free_name;
	}
	buf->base.dmabuf = dmabuf;

	/* Ownership of @name passes to the DMABUF, which kfree()s it. */
	spin_lock(&dmabuf->name_lock);
	dmabuf->name = name;
	spin_unlock(&dmabuf->name_lock);

	vpd_compat_share_mapping(core_vdev, dmabuf->file);
	vpd_stat_inc(vpd, VPD_STAT_LIVE_BAR_BUFS);
	return buf;

err_free_name:
	kfree(name);
err_free_buf:
	kfree(buf);
	return ERR_PTR(ret);
}

/*
 * The whole mappable span of BAR @bar: vpd_bar_map() of @req (a request
 * that passed for part of that BAR) widened to all of it, so the same
 * checks pass.
 */
static int vpd_bar_whole_map(const struct vpd_bar_desc *bars,
			     const struct vpd_bar_mmap_req *req, unsigned int bar,
			     struct vpd_bar_map *whole)
{
	struct vpd_bar_mmap_req whole_req = *req;

	whole_req.vm_pgoff = (unsigned long long)bar <<
			     (VPD_VFIO_OFFSET_SHIFT - PAGE_SHIFT);
	whole_req.len = PAGE_ALIGN(bars[bar].len);
	return vpd_bar_map(bars, &whole_req, whole);
}

/*
 * The DMABUF behind every mapping of BAR @bar while the device is open,
 * for an mmap @req of part of it that passed vpd_bar_map() with @bars:
 * created by the BAR's first mmap, kept until vpd_bar_bufs_drop().  The
 * device holds the DMABUF's initial reference; the caller takes its own
 * for the VMA (the device cannot be closed meanwhile: the caller's mmap
 * holds a device file).
 */
struct vpd_bar_buf *vpd_bar_buf_get(struct vpd_device *vpd,
				    const struct vpd_bar_desc *bars,
				    const struct vpd_bar_mmap_req *req,
				    unsigned int bar)
{
	struct vpd_bar_map whole;
	struct vpd_bar_buf *buf;

	/*
	 * Published once complete (the release below), cleared only by the
	 * close, which no mmap can run alongside: the common case takes no
	 * lock.
	 */
	buf = smp_load_acquire(&vpd->bar_bufs[bar]);
	if (buf)
		return buf;

	mutex_lock(&vpd->bar_bufs_lock);
	buf = vpd->bar_bufs[bar];
	if (buf)
		goto out_unlock;
	if (WARN_ON_ONCE(vpd_bar_whole_map(bars, req, bar, &whole))) {
		buf = ERR_PTR(-EINVAL);
		goto out_unlock;
	}
	buf = vpd_bar_buf_create(vpd, &whole);
	/* Ownership of the initial reference passes to the device. */
	if (!IS_ERR(buf))
		smp_store_release(&vpd->bar_bufs[bar], buf);
out_unlock:
	mutex_unlock(&vpd->bar_bufs_lock);
	return buf;
}

/*
 * The device is being closed: drop its BAR DMABUFs.  No mapping of them is
 * left (each held a device file), so these are the last references unless
 * someone opened a DMABUF through /proc/<pid>/map_files; such a file can
 * neither be mapped (no mmap op) nor reach the device, whose file mapping
 * it stops sharing here.
 */
void vpd_bar_bufs_drop(struct vpd_device *vpd)
{
	unsigned int i;

	mutex_lock(&vpd->bar_bufs_lock);
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct vpd_bar_buf *buf = vpd->bar_bufs[i];

		if (!buf)
			continue;
		WRITE_ONCE(vpd->bar_bufs[i], NULL);
		vpd_compat_unshare_mapping(buf->base.dmabuf->file);
		buf->vpd = NULL;
		vpd_stat_dec(vpd, VPD_STAT_LIVE_BAR_BUFS);
		dma_buf_put(buf->base.dmabuf);
	}
	mutex_unlock(&vpd->bar_bufs_lock);
}
