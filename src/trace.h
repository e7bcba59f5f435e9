/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of vfio-pci-dmabuf (events/vfio_pci_dmabuf/ in tracefs).
 * Devices are given by PCI address fields, not strings: __assign_str()
 * changed its arguments in 6.10, and numbers need no compat.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vfio_pci_dmabuf

#if !defined(VPD_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define VPD_TRACE_H

#include <linux/pci.h>
#include <linux/tracepoint.h>

#define VPD_TRACE_PCI_FIELDS			\
	__field(u32, domain)			\
	__field(u16, devid)

#define VPD_TRACE_PCI_ASSIGN(pdev)				\
	do {							\
		__entry->domain = pci_domain_nr((pdev)->bus);	\
		__entry->devid = pci_dev_id(pdev);		\
	} while (0)

#define VPD_TRACE_PCI_FMT "%04x:%02x:%02x.%u"
#define VPD_TRACE_PCI_ARGS						\
	__entry->domain, __entry->devid >> 8,				\
	PCI_SLOT(__entry->devid & 0xff), PCI_FUNC(__entry->devid & 0xff)

/* A BAR mmap of the vfio device fd, or an mmap of an exported DMABUF. */
TRACE_EVENT(vpd_mmap,
	TP_PROTO(struct pci_dev *pdev, bool export, unsigned int bar,
		 unsigned long long offset, unsigned long len),
	TP_ARGS(pdev, export, bar, offset, len),
	TP_STRUCT__entry(
		VPD_TRACE_PCI_FIELDS
		__field(bool, export)
		__field(unsigned int, bar)
		__field(unsigned long long, offset)
		__field(unsigned long, len)
	),
	TP_fast_assign(
		VPD_TRACE_PCI_ASSIGN(pdev);
		__entry->export = export;
		__entry->bar = bar;
		__entry->offset = offset;
		__entry->len = len;
	),
	TP_printk(VPD_TRACE_PCI_FMT " %s BAR %u offset 0x%llx len 0x%lx",
		  VPD_TRACE_PCI_ARGS, __entry->export ? "export" : "bar",
		  __entry->bar, __entry->offset, __entry->len)
);

/*
 * A fault: the order asked for (0 for a 4 KiB fault, served by a run of
 * PTEs) and its result: 0x100 NOPAGE (mapped), 0x800 FALLBACK (the core
 * retries a smaller order), 0x2 SIGBUS (revoked), 0x1 OOM.
 */
TRACE_EVENT(vpd_fault,
	TP_PROTO(struct pci_dev *pdev, bool export, unsigned int bar,
		 unsigned long addr, unsigned int order, unsigned int result),
	TP_ARGS(pdev, export, bar, addr, order, result),
	TP_STRUCT__entry(
		VPD_TRACE_PCI_FIELDS
		__field(bool, export)
		__field(unsigned int, bar)
		__field(unsigned long, addr)
		__field(unsigned int, order)
		__field(unsigned int, result)
	),
	TP_fast_assign(
		VPD_TRACE_PCI_ASSIGN(pdev);
		__entry->export = export;
		__entry->bar = bar;
		__entry->addr = addr;
		__entry->order = order;
		__entry->result = result;
	),
	TP_printk(VPD_TRACE_PCI_FMT " %s BAR %u addr 0x%lx order %u result 0x%x",
		  VPD_TRACE_PCI_ARGS, __entry->export ? "export" : "bar",
		  __entry->bar, __entry->addr, __entry->order, __entry->result)
);

/*
 * The exports of a device are revoked (a window opens: reset, config
 * write, low power) or brought back to the device's state (sync).
 */
TRACE_EVENT(vpd_exports,
	TP_PROTO(struct pci_dev *pdev, bool revoke, unsigned int depth,
		 unsigned int nr_revoked, unsigned int nr_live),
	TP_ARGS(pdev, revoke, depth, nr_revoked, nr_live),
	TP_STRUCT__entry(
		VPD_TRACE_PCI_FIELDS
		__field(bool, revoke)
		__field(unsigned int, depth)
		__field(unsigned int, nr_revoked)
		__field(unsigned int, nr_live)
	),
	TP_fast_assign(
		VPD_TRACE_PCI_ASSIGN(pdev);
		__entry->revoke = revoke;
		__entry->depth = depth;
		__entry->nr_revoked = nr_revoked;
		__entry->nr_live = nr_live;
	),
	TP_printk(VPD_TRACE_PCI_FMT " %s depth %u: %u revoked, %u live",
		  VPD_TRACE_PCI_ARGS, __entry->revoke ? "revoke" : "sync",
		  __entry->depth, __entry->nr_revoked, __entry->nr_live)
);

/* An export is created (VFIO_DEVICE_FEATURE_DMA_BUF). */
TRACE_EVENT(vpd_export,
	TP_PROTO(struct pci_dev *pdev, unsigned int bar, unsigned int nr_ranges,
		 unsigned long long size, int fd),
	TP_ARGS(pdev, bar, nr_ranges, size, fd),
	TP_STRUCT__entry(
		VPD_TRACE_PCI_FIELDS
		__field(unsigned int, bar)
		__field(unsigned int, nr_ranges)
		__field(unsigned long long, size)
		__field(int, fd)
	),
	TP_fast_assign(
		VPD_TRACE_PCI_ASSIGN(pdev);
		__entry->bar = bar;
		__entry->nr_ranges = nr_ranges;
		__entry->size = size;
		__entry->fd = fd;
	),
	TP_printk(VPD_TRACE_PCI_FMT " BAR %u %u ranges size 0x%llx: fd %d",
		  VPD_TRACE_PCI_ARGS, __entry->bar, __entry->nr_ranges,
		  __entry->size, __entry->fd)
);

/*
 * An export is revoked for good: by VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE, or
 * by the device's close.
 */
TRACE_EVENT(vpd_export_gone,
	TP_PROTO(struct pci_dev *pdev, unsigned int bar, bool close),
	TP_ARGS(pdev, bar, close),
	TP_STRUCT__entry(
		VPD_TRACE_PCI_FIELDS
		__field(unsigned int, bar)
		__field(bool, close)
	),
	TP_fast_assign(
		VPD_TRACE_PCI_ASSIGN(pdev);
		__entry->bar = bar;
		__entry->close = close;
	),
	TP_printk(VPD_TRACE_PCI_FMT " BAR %u revoked for good by %s",
		  VPD_TRACE_PCI_ARGS, __entry->bar,
		  __entry->close ? "close" : "REVOKE")
);

/* A DMABUF is released: its last file reference is gone. */
TRACE_EVENT(vpd_release,
	TP_PROTO(bool export, unsigned int bar, unsigned long long size),
	TP_ARGS(export, bar, size),
	TP_STRUCT__entry(
		__field(bool, export)
		__field(unsigned int, bar)
		__field(unsigned long long, size)
	),
	TP_fast_assign(
		__entry->export = export;
		__entry->bar = bar;
		__entry->size = size;
	),
	TP_printk("%s BAR %u size 0x%llx", __entry->export ? "export" : "bar",
		  __entry->bar, __entry->size)
);

#endif /* VPD_TRACE_H */

/* Found as src/trace.h through the module's -I$(src) (Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH src
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
