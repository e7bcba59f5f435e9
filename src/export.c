// SPDX-License-Identifier: GPL-2.0
/*
 * Exported DMABUFs: VFIO_DEVICE_FEATURE_DMA_BUF served on every kernel, the
 * DMABUF's ops (mmap by any process holding the fd, P2P importers where the
 * kernel can map BAR ranges for them), and the REVOKE and MEMATTR features
 * of include/uapi/linux/vfio_pci_dmabuf.h.  Revocation lives in
 * src/revoke.c, the fault path in src/mm.c.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

#include "uapi/linux/vfio_pci_dmabuf.h"
#include "compat.h"
#include "trace.h"
#include "vpd.h"

static_assert(VPD_MAX_RANGES * sizeof(struct vfio_region_dma_range) <= SZ_64K);
static_assert(sizeof(struct vpd_dma_range) == sizeof(struct vfio_region_dma_range));
static_assert(offsetof(struct vpd_dma_range, length) ==
	      offsetof(struct vfio_region_dma_range, length));
/* vpd_export_from_feature() reads the fd first. */
static_assert(offsetof(struct vfio_device_feature_dma_buf_revoke, dmabuf_fd) == 0);
static_assert(offsetof(struct vfio_device_feature_dma_buf_memattr, dmabuf_fd) == 0);

static const struct dma_buf_ops vpd_export_ops;

/* The CPU page protection of a mapping with @memattr. */
pgprot_t vpd_export_pgprot(pgprot_t prot, u32 memattr)
{
	if (memattr == VFIO_DMA_BUF_MEMATTR_WC)
		return pgprot_decrypted(pgprot_writecombine(prot));
	return pgprot_decrypted(pgprot_noncached(prot));
}

/*
 * Importers: only dynamic ones that can be revoked and accept P2P memory
 * (as upstream), and only where the kernel can map BAR ranges for them.
 */
static int vpd_export_attach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct vpd_export *e = dmabuf->priv;

	if (!VPD_P2P_IMPORTERS || !attach->peer2peer ||
	    !vpd_compat_attach_revocable(attach))
		return -EOPNOTSUPP;
	if (READ_ONCE(e->revoked))
		return -ENODEV;
	return 0;
}

static struct sg_table *vpd_export_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	struct vpd_export *e = attach->dmabuf->priv;
	struct sg_table *sgt;

	dma_resv_assert_held(attach->dmabuf->resv);

	if (e->revoked)
		return ERR_PTR(-ENODEV);
	sgt = vpd_compat_map_ranges(attach, e->provider, &e->table, dir);
	if (!IS_ERR(sgt))
		WRITE_ONCE(e->nr_mapped, e->nr_mapped + 1);
	return sgt;
}

static void vpd_export_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	struct vpd_export *e = attach->dmabuf->priv;

	dma_resv_assert_held(attach->dmabuf->resv);

	vpd_compat_unmap_ranges(attach, sgt, dir);
	vpd_export_unmapped(e);
}

/*
 * mmap() of the DMABUF fd (the dma-buf core has checked that the range
 * lies inside the buffer).  Same VMA flags and fault path as BAR mappings.
 */
static int vpd_export_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct vpd_export *e = dmabuf->priv;
	struct vpd_device *vpd;
	int idx, ret = 0;
	u32 memattr = VFIO_DMA_BUF_MEMATTR_NC;

	/*
	 * Shared mappings only.  VM_MAYSHARE, not VM_SHARED: the mm clears
	 * VM_SHARED (and VM_MAYWRITE) for MAP_SHARED of a read-only fd, which
	 * is no copy-on-write mapping either.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	vpd = vpd_export_device_get(e, &idx);
	if (vpd) {
		down_read(&vpd->exports_lock);
		if (e->gone)
			ret = -ENODEV;
		memattr = e->memattr;
		up_read(&vpd->exports_lock);
		if (!ret) {
			vpd_stat_inc(vpd, VPD_STAT_EXPORT_MMAPS);
			trace_vpd_mmap(vpd->core.pdev, true, e->base.bar,
				       (unsigned long long)vma->vm_pgoff << PAGE_SHIFT,
				       vma->vm_end - vma->vm_start);
		}
	} else {
		ret = -ENODEV;
	}
	vpd_export_device_put(idx);
	if (ret)
		return ret;

	vma->vm_private_data = &e->base;
	vma->vm_page_prot = vpd_export_pgprot(vma->vm_page_prot, memattr);
	vpd_compat_vm_flags_set(vma, VPD_VM_ALLOW_ANY_UNCACHED | VM_IO |
				VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &vpd_export_vm_ops;
	return 0;
}

/* The last reference to the DMABUF's file is gone. */
static void vpd_export_release(struct dma_buf *dmabuf)
{
	struct vpd_export *e = dmabuf->priv;

	trace_vpd_release(true, e->base.bar, e->table.total_len);
	vpd_export_unlink(e);
	kfree(e);
}

static const struct dma_buf_ops vpd_export_ops = {
	.attach		= vpd_export_attach,
	.map_dma_buf	= vpd_export_map,
	.unmap_dma_buf	= vpd_export_unmap,
	.mmap		= vpd_export_mmap,
	.release	= vpd_export_release,
};

/*
 * VFIO_DEVICE_FEATURE_DMA_BUF: export ranges of a BAR.  Same checks, order
 * and errnos as upstream's vfio_pci_core_feature_dma_buf(), plus our cap on
 * the number of ranges (E2BIG).  Returns the new fd.
 */
int vpd_export_feature(struct vpd_device *vpd, u32 flags, void __user *arg,
		       size_t argsz)
{
	struct vfio_device_feature_dma_buf __user *uarg = arg;
	struct vfio_pci_core_device *vdev = &vpd->core;
	struct vpd_bar_desc bars[PCI_STD_NUM_BARS];
	struct vfio_device_feature_dma_buf hdr;
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct vpd_dma_range *ranges;
	struct vpd_export_req req;
	struct dma_buf *dmabuf;
	unsigned long long size;
	struct vpd_export *e;
	char *name;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET,
				 sizeof(hdr));
	if (ret != 1)
		return ret;

	if (copy_from_user(&hdr, uarg, sizeof(hdr)))
		return -EFAULT;

	req = (struct vpd_export_req) {
		.region_index = hdr.region_index,
		.open_flags = hdr.open_flags,
		.flags = hdr.flags,
		.nr_ranges = hdr.nr_ranges,
	};
	vpd_bar_descs(vdev, bars);
	ret = vpd_export_check_header(&req, bars);
	if (ret)
		return ret;
	/* As upstream: the BAR's resources must be claimed. */
	if (vpd_compat_claim_bar(vdev, req.region_index))
		return -ENODEV;

	/* nr_ranges <= VPD_MAX_RANGES: at most 64 KiB. */
	ranges = memdup_user(&uarg->dma_ranges,
			     array_size(req.nr_ranges, sizeof(*ranges)));
	if (IS_ERR(ranges))
		return PTR_ERR(ranges);

	e = kzalloc(struct_size(e, table.segs, req.nr_ranges),
		    GFP_KERNEL_ACCOUNT);
	if (!e) {
		ret = -ENOMEM;
		goto err_free_ranges;
	}
	ret = vpd_export_build(&req, ranges, bars, &e->table, req.nr_ranges);
	if (ret)
		goto err_free_export;
	/* Not memory, or smaller than a page: nothing to map (upstream: no provider). */
	if (!bars[req.region_index].mmap_ok) {
		ret = -EINVAL;
		goto err_free_export;
	}
	if (VPD_P2P_IMPORTERS) {
		e->provider = vpd_compat_p2p_provider(vdev->pdev,
						      req.region_index);
		if (!e->provider) {
			ret = -EINVAL;
			goto err_free_export;
		}
	}
	kfree(ranges);
	ranges = NULL;

	e->base = (struct vpd_buf) {
		.kind = VPD_BUF_EXPORT,
		.bar = req.region_index,
		.pgoff_adjust = 0,
		.table = &e->table,
	};
	e->memattr = VFIO_DMA_BUF_MEMATTR_NC;
	INIT_LIST_HEAD(&e->node);

	name = vpd_dmabuf_name(vpd, req.region_index);
	if (!name) {
		ret = -ENOMEM;
		goto err_free_export;
	}

	exp_info.ops = &vpd_export_ops;
	exp_info.size = e->table.total_len;
	exp_info.flags = req.open_flags;
	exp_info.priv = e;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		kfree(name);
		goto err_free_export;
	}
	e->base.dmabuf = dmabuf;

	/* Ownership of @name passes to the DMABUF, which kfree()s it. */
	spin_lock(&dmabuf->name_lock);
	dmabuf->name = name;
	spin_unlock(&dmabuf->name_lock);

	/* From here on the DMABUF's release frees @e (and unlinks it). */
	vpd_export_link(vpd, e);

	/*
	 * dma_buf_fd() takes over the DMABUF's reference when it succeeds:
	 * from then on another thread may close the fd and free @e.
	 */
	size = e->table.total_len;
	ret = dma_buf_fd(dmabuf, req.open_flags);
	if (ret < 0) {
		dma_buf_put(dmabuf);
		return ret;
	}
	vpd_stat_inc(vpd, VPD_STAT_EXPORTS);
	trace_vpd_export(vdev->pdev, req.region_index, req.nr_ranges, size, ret);
	return ret;

err_free_export:
	kfree(e);
err_free_ranges:
	kfree(ranges);
	return ret;
}

/*
 * The common part of our SET features: check the request, copy its
 * argument (@size bytes at @req, whose first member is the DMABUF fd) and
 * find the export it names, with a reference on its DMABUF (*@dmabufp).
 * NULL for a PROBE that succeeded; ERR_PTR(-EBADF) for no fd, -EINVAL for
 * a DMABUF that is not an export of this driver (or a bad request).
 */
static struct vpd_export *vpd_export_from_feature(u32 flags, void __user *arg,
						  size_t argsz, void *req,
						  size_t size,
						  struct dma_buf **dmabufp)
{
	struct dma_buf *dmabuf;
	s32 fd;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, size);
	if (ret != 1)
		return ERR_PTR(ret);
	if (copy_from_user(req, arg, size))
		return ERR_PTR(-EFAULT);
	memcpy(&fd, req, sizeof(fd));

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return ERR_CAST(dmabuf);
	if (dmabuf->ops != &vpd_export_ops) {
		dma_buf_put(dmabuf);
		return ERR_PTR(-EINVAL);
	}
	*dmabufp = dmabuf;
	return dmabuf->priv;
}

/* VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE: SET only. */
int vpd_export_revoke_feature(struct vpd_device *vpd, u32 flags,
			      void __user *arg, size_t argsz)
{
	struct vfio_device_feature_dma_buf_revoke req;
	struct dma_buf *dmabuf;
	struct vpd_export *e;
	int ret;

	e = vpd_export_from_feature(flags, arg, argsz, &req, sizeof(req), &dmabuf);
	if (IS_ERR_OR_NULL(e))
		return PTR_ERR_OR_ZERO(e);
	ret = vpd_export_revoke_for_good(vpd, e);
	dma_buf_put(dmabuf);
	return ret;
}

/* VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR: SET only. */
int vpd_export_memattr_feature(struct vpd_device *vpd, u32 flags,
			       void __user *arg, size_t argsz)
{
	struct vfio_device_feature_dma_buf_memattr req;
	struct dma_buf *dmabuf;
	struct vpd_export *e;
	int ret;

	e = vpd_export_from_feature(flags, arg, argsz, &req, sizeof(req), &dmabuf);
	if (IS_ERR_OR_NULL(e))
		return PTR_ERR_OR_ZERO(e);
	if (req.memattr != VFIO_DMA_BUF_MEMATTR_NC &&
	    req.memattr != VFIO_DMA_BUF_MEMATTR_WC)
		ret = -ENOENT;
	else
		ret = vpd_export_set_memattr(vpd, e, req.memattr);
	dma_buf_put(dmabuf);
	return ret;
}
