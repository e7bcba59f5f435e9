// SPDX-License-Identifier: GPL-2.0
/*
 * The DMABUF behind a BAR mmap: a single-range buffer describing exactly the
 * mapped span of the BAR.  It is never handed out as an fd; it exists so
 * that the mapping's vm_file is a DMABUF (named after the device and BAR in
 * /proc/<pid>/maps and debugfs bufinfo) that owns the vfio device file.
 * (DMABUFs exported as fds are src/export.c's.)
 */
#include <linux/dma-buf.h>
#include <linux/file.h>
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

/* The last reference to the DMABUF's file is gone: no VMA uses it. */
static void vpd_bar_buf_release(struct dma_buf *dmabuf)
{
	struct vpd_bar_buf *buf = dmabuf->priv;

	trace_vpd_release(false, buf->base.bar, buf->table.total_len);
	vpd_stat_dec(buf->vpd, VPD_STAT_LIVE_BAR_BUFS);
	/* Drops the reference taken in vpd_bar_buf_create(); @vpd may go. */
	fput(buf->vfio_file);
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
 * Create the DMABUF for one BAR mapping described by @map.  Takes a
 * reference on @vfio_file that the DMABUF owns from then on.  Returns the
 * buffer with the DMABUF file's initial reference held by the caller
 * (buf->dmabuf->file), or an ERR_PTR().
 */
struct vpd_bar_buf *vpd_bar_buf_create(struct vpd_device *vpd,
				       struct file *vfio_file,
				       const struct vpd_bar_map *map)
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

	ret = vpd_table_init(&buf->table, 1, &map->range, 1);
	if (ret)
		goto err_free_buf;

	buf->vpd = vpd;
	buf->base = (struct vpd_buf) {
		.kind = VPD_BUF_BAR,
		.bar = map->bar,
		.pgoff_adjust = map->pgoff_adjust,
		.table = &buf->table,
	};

	name = vpd_dmabuf_name(vpd, map->bar);
	if (!name) {
		ret = -ENOMEM;
		goto err_free_buf;
	}

	exp_info.ops = &vpd_bar_buf_ops;
	exp_info.size = map->range.len;
	/* Never installed as an fd: only the file mode matters. */
	exp_info.flags = O_RDWR;
	exp_info.priv = buf;

	/* The DMABUF takes the device file: released in vpd_bar_buf_release(). */
	buf->vfio_file = get_file(vfio_file);

	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_put_file;
	}
	buf->base.dmabuf = dmabuf;

	/* Ownership of @name passes to the DMABUF, which kfree()s it. */
	spin_lock(&dmabuf->name_lock);
	dmabuf->name = name;
	spin_unlock(&dmabuf->name_lock);

	vpd_compat_share_mapping(core_vdev, dmabuf->file);
	vpd_stat_inc(vpd, VPD_STAT_LIVE_BAR_BUFS);
	return buf;

err_put_file:
	fput(buf->vfio_file);
	kfree(name);
err_free_buf:
	kfree(buf);
	return ERR_PTR(ret);
}
