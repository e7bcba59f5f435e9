// SPDX-License-Identifier: GPL-2.0
/*
 * What the driver is doing: counters per device in debugfs, and the
 * tracepoints (src/trace.h, created here).
 *
 *   /sys/kernel/debug/vfio-pci-dmabuf/<PCI address>/stats
 *
 * one "name value" line per counter, since the device was bound.  The
 * counters are atomics, bumped without any lock; "live_exports" is read
 * from the export list under exports_lock.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/seq_file.h>

#include "vpd.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* The module's debugfs directory; per-device directories live below it. */
static struct dentry *vpd_debugfs_root;

static const char *const vpd_stat_names[VPD_NR_STATS] = {
	[VPD_STAT_FAULT_PTE]		= "faults_pte",
	[VPD_STAT_FAULT_PMD]		= "faults_pmd",
	[VPD_STAT_FAULT_PUD]		= "faults_pud",
	[VPD_STAT_FALLBACK]		= "fallbacks",
	[VPD_STAT_SIGBUS]		= "sigbus",
	[VPD_STAT_BAR_MMAPS]		= "bar_mmaps",
	[VPD_STAT_LIVE_BAR_VMAS]	= "live_bar_mmaps",
	[VPD_STAT_LIVE_BAR_BUFS]	= "live_bar_dmabufs",
	[VPD_STAT_EXPORTS]		= "exports",
	[VPD_STAT_EXPORT_MMAPS]		= "export_mmaps",
	[VPD_STAT_REVOKE_WINDOWS]	= "revoke_windows",
	[VPD_STAT_EXPORTS_REVOKED]	= "exports_revoked",
	[VPD_STAT_EXPORTS_RESTORED]	= "exports_restored",
	[VPD_STAT_EXPORTS_GONE]		= "exports_revoked_for_good",
};

/*
 * A fault's outcome, counted on the device that served it: a huge fault
 * sent back is a fallback, SIGBUS (revoked, or no PFN there) is refused.
 */
void vpd_stat_fault(struct vpd_device *vpd, unsigned int order, vm_fault_t ret)
{
	enum vpd_stat s;

	if (ret & VM_FAULT_FALLBACK)
		s = VPD_STAT_FALLBACK;
	else if (ret & VM_FAULT_SIGBUS)
		s = VPD_STAT_SIGBUS;
	else if (!(ret & VM_FAULT_NOPAGE))
		return;
	else if (order == PUD_SHIFT - PAGE_SHIFT)
		s = VPD_STAT_FAULT_PUD;
	else if (order == PMD_SHIFT - PAGE_SHIFT)
		s = VPD_STAT_FAULT_PMD;
	else
		s = VPD_STAT_FAULT_PTE;
	vpd_stat_inc(vpd, s);
}

static int vpd_stats_show(struct seq_file *m, void *unused)
{
	struct vpd_device *vpd = m->private;
	struct vpd_export *e;
	unsigned int i, live = 0;

	for (i = 0; i < VPD_NR_STATS; i++)
		seq_printf(m, "%s %lld\n", vpd_stat_names[i],
			   (long long)atomic64_read(&vpd->stats[i]));

	down_read(&vpd->exports_lock);
	list_for_each_entry(e, &vpd->exports, node)
		live++;
	up_read(&vpd->exports_lock);
	seq_printf(m, "live_exports %u\n", live);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpd_stats);

/* At probe.  debugfs failures are not errors: the device works without. */
void vpd_stats_register(struct vpd_device *vpd)
{
	vpd->debugfs = debugfs_create_dir(pci_name(vpd->core.pdev),
					  vpd_debugfs_root);
	debugfs_create_file("stats", 0444, vpd->debugfs, vpd, &vpd_stats_fops);
}

/* At remove, before the device is freed: no reader may still see it. */
void vpd_stats_unregister(struct vpd_device *vpd)
{
	debugfs_remove_recursive(vpd->debugfs);
	vpd->debugfs = NULL;
}

void vpd_stats_init_module(void)
{
	vpd_debugfs_root = debugfs_create_dir(VPD_DRIVER_NAME, NULL);
}

void vpd_stats_exit_module(void)
{
	debugfs_remove_recursive(vpd_debugfs_root);
}
