/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the exported-DMABUF selftests: the export, revoke and memattr
 * device features, passing a DMABUF fd to another process (SCM_RIGHTS, or
 * pidfd_getfd() where the kernel has no unix sockets), probing every 2 MiB
 * window of a mapping for SIGBUS, and patterns laid out over the ranges of
 * an export.
 *
 * Patterns: a BAR-indexed pattern has word vpd_pattern(seed, y / 8) at BAR
 * offset y; a buffer-indexed pattern has vpd_pattern(seed, x / 8) at offset
 * x of the DMABUF.  @stride (a power of two, 8..4096) thins a pattern out to
 * the words at offsets that are multiples of it: ranges are page-aligned, so
 * a word is in the thinned BAR pattern exactly when its buffer offset is a
 * multiple of @stride too.
 */
#ifndef VPD_EXPORT_H
#define VPD_EXPORT_H

#include <dirent.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "vpd_vfio.h"
#include "uapi/linux/vfio_pci_dmabuf.h"

#define VPD_SZ_4K	0x1000UL
#define VPD_SZ_2M	0x200000UL
#define VPD_MAX_RANGES	4096

/* --- device features ------------------------------------------------------ */

/*
 * VFIO_DEVICE_FEATURE with @flags (feature number included) and a payload of
 * @len bytes.  Returns the ioctl's non-negative result or -errno.
 */
static inline int vpd_feature(int devfd, uint32_t flags, const void *data, size_t len)
{
	size_t argsz = sizeof(struct vfio_device_feature) + len;
	struct vfio_device_feature *feat = calloc(1, argsz);
	int ret;

	if (!feat)
		return -ENOMEM;
	feat->argsz = argsz;
	feat->flags = flags;
	if (len)
		memcpy(feat->data, data, len);
	ret = ioctl(devfd, VFIO_DEVICE_FEATURE, feat);
	if (ret < 0)
		ret = -errno;
	free(feat);
	return ret;
}

/* VFIO_DEVICE_FEATURE_PROBE | @op for feature @feature: 0 or -errno. */
static inline int vpd_feature_probe(int devfd, uint32_t op, uint32_t feature)
{
	return vpd_feature(devfd, VFIO_DEVICE_FEATURE_PROBE | op | feature, NULL, 0);
}

/*
 * The export request, every field given: @op is GET (or anything else, to
 * test refusals), @nr_ranges is what the header claims, @nr_copy how many
 * ranges of @r the argument carries.  Returns the DMABUF fd or -errno.
 */
static inline int vpd_export_raw(int devfd, uint32_t op, uint32_t region,
				 uint32_t open_flags, uint32_t flags,
				 uint32_t nr_ranges,
				 const struct vfio_region_dma_range *r,
				 uint32_t nr_copy)
{
	size_t len = sizeof(struct vfio_device_feature_dma_buf) +
		     (size_t)nr_copy * sizeof(struct vfio_region_dma_range);
	struct vfio_device_feature_dma_buf *db = calloc(1, len);
	int ret;

	if (!db)
		return -ENOMEM;
	db->region_index = region;
	db->open_flags = open_flags;
	db->flags = flags;
	db->nr_ranges = nr_ranges;
	if (nr_copy)
		memcpy(db->dma_ranges, r, nr_copy * sizeof(*r));
	ret = vpd_feature(devfd, op | VFIO_DEVICE_FEATURE_DMA_BUF, db, len);
	free(db);
	return ret;
}

/* Export @nr ranges of BAR @bar: the DMABUF fd (O_RDWR | O_CLOEXEC) or -errno. */
static inline int vpd_export(int devfd, unsigned int bar,
			     const struct vfio_region_dma_range *r, unsigned int nr)
{
	return vpd_export_raw(devfd, VFIO_DEVICE_FEATURE_GET, bar, O_RDWR | O_CLOEXEC,
			      0, nr, r, nr);
}

/* Permanent revocation of @dmabuf_fd through @devfd: 0 or -errno. */
static inline int vpd_revoke(int devfd, int dmabuf_fd)
{
	struct vfio_device_feature_dma_buf_revoke rv = { .dmabuf_fd = dmabuf_fd };

	return vpd_feature(devfd, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_BUF_REVOKE,
			   &rv, sizeof(rv));
}

/* Memory attribute of @dmabuf_fd's mappings: 0 or -errno. */
static inline int vpd_memattr(int devfd, int dmabuf_fd, uint32_t attr)
{
	struct vfio_device_feature_dma_buf_memattr ma = {
		.dmabuf_fd = dmabuf_fd, .memattr = attr,
	};

	return vpd_feature(devfd, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_BUF_MEMATTR,
			   &ma, sizeof(ma));
}

/* --- ranges and patterns ---------------------------------------------------- */

static inline uint64_t vpd_ranges_len(const struct vfio_region_dma_range *r, unsigned int nr)
{
	uint64_t len = 0;

	for (unsigned int i = 0; i < nr; i++)
		len += r[i].length;
	return len;
}

/* Fill the words of every range of the BAR mapped at @bar (BAR-indexed). */
static inline void vpd_fill_bar_ranges(volatile uint8_t *bar,
				       const struct vfio_region_dma_range *r,
				       unsigned int nr, uint64_t seed, size_t stride)
{
	for (unsigned int i = 0; i < nr; i++)
		for (uint64_t y = r[i].offset; y < r[i].offset + r[i].length; y += stride)
			*(volatile uint64_t *)(bar + y) = vpd_pattern(seed, y / 8);
}

/*
 * Check that bytes [off, off + len) of the buffer, mapped at @p, hold the
 * BAR-indexed pattern of the ranges they come from.  Returns -1, or the
 * buffer offset of the first wrong word.
 */
static inline int64_t vpd_check_export(const volatile uint8_t *p, uint64_t off,
				       uint64_t len, const struct vfio_region_dma_range *r,
				       unsigned int nr, uint64_t seed, size_t stride)
{
	uint64_t base = 0;

	for (unsigned int i = 0; i < nr; base += r[i].length, i++) {
		uint64_t lo = base > off ? base : off;
		uint64_t hi = base + r[i].length < off + len ? base + r[i].length : off + len;

		for (uint64_t x = lo; x < hi; x += stride) {
			uint64_t y = r[i].offset + (x - base);

			if (*(const volatile uint64_t *)(p + (x - off)) != vpd_pattern(seed, y / 8))
				return (int64_t)x;
		}
	}
	return -1;
}

/* Fill @len bytes of the buffer mapped at @p, from buffer offset @off (buffer-indexed). */
static inline void vpd_fill_export(volatile uint8_t *p, uint64_t off, uint64_t len,
				   uint64_t seed, size_t stride)
{
	for (uint64_t x = 0; x < len; x += stride)
		*(volatile uint64_t *)(p + x) = vpd_pattern(seed, (off + x) / 8);
}

/*
 * Check that the BAR mapped at @bar holds, in every range, the
 * buffer-indexed pattern @seed written through the export.  Returns -1 or the
 * BAR offset of the first wrong word.
 */
static inline int64_t vpd_check_bar_ranges(const volatile uint8_t *bar,
					   const struct vfio_region_dma_range *r,
					   unsigned int nr, uint64_t seed, size_t stride)
{
	uint64_t base = 0;

	for (unsigned int i = 0; i < nr; base += r[i].length, i++)
		for (uint64_t x = 0; x < r[i].length; x += stride)
			if (*(const volatile uint64_t *)(bar + r[i].offset + x) !=
			    vpd_pattern(seed, (base + x) / 8))
				return (int64_t)(r[i].offset + x);
	return -1;
}

/* Whether BAR offset @y lies in one of the ranges. */
static inline int vpd_in_ranges(const struct vfio_region_dma_range *r, unsigned int nr,
				uint64_t y)
{
	for (unsigned int i = 0; i < nr; i++)
		if (y >= r[i].offset && y < r[i].offset + r[i].length)
			return 1;
	return 0;
}

/* --- probing a revoked mapping ---------------------------------------------- */

struct vpd_window_probe {
	unsigned long windows;		/* windows probed */
	unsigned long sigbus;		/* windows where every access raised SIGBUS */
	long first_ok;			/* first window with an access that completed, or -1 */
	int other_sig;			/* a signal other than SIGBUS, 0 if none */
};

/*
 * Probe every @win-sized window of [p, p + len): read the first word and
 * write the last word of each (the write stores @poison; it must never land).
 */
static inline struct vpd_window_probe vpd_probe_windows(volatile uint8_t *p, size_t len,
							size_t win, uint64_t poison)
{
	struct vpd_window_probe res = { .first_ok = -1 };

	for (size_t off = 0; off < len; off += win) {
		size_t end = off + win < len ? off + win : len;
		uint64_t v = 0;
		int s1, s2;

		s1 = vpd_touch((volatile uint64_t *)(p + off), 0, &v);
		v = poison;
		s2 = vpd_touch((volatile uint64_t *)(p + end - 8), 1, &v);
		res.windows++;
		if (s1 == SIGBUS && s2 == SIGBUS)
			res.sigbus++;
		else if (res.first_ok < 0)
			res.first_ok = (long)(off / win);
		if ((s1 && s1 != SIGBUS) || (s2 && s2 != SIGBUS))
			res.other_sig = s1 && s1 != SIGBUS ? s1 : s2;
	}
	return res;
}

/* --- fd passing -------------------------------------------------------------- */

/* Send @len bytes of @data, with @fd attached unless it is negative. */
static inline int vpd_send_fd(int sock, int fd, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/*
 * Receive up to @len bytes into @data and the fd attached, if any (else
 * *fd = -1).  Returns the byte count, 0 at EOF, -1 on error.
 */
static inline ssize_t vpd_recv_fd(int sock, void *data, size_t len, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	return n;
}

/*
 * A copy of process @pid's fd @fd (pidfd_getfd(), 5.6+): fd passing for
 * kernels without unix sockets.  The new fd or -1 with errno set.
 */
static inline int vpd_pidfd_getfd(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), ret, e;

	if (pidfd < 0)
		return -1;
	ret = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	e = errno;
	close(pidfd);
	errno = e;
	return ret;
}

/* --- system state -------------------------------------------------------------- */

static inline int vpd_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Bind @bdf (no fd open on it) to driver @to, whatever it is bound to now:
 * driver_override, unbind, drivers_probe.  0, -ENXIO if it did not bind, or
 * -errno of a sysfs write.
 */
static inline int vpd_bind_to(const char *bdf, const char *to)
{
	char path[PATH_MAX], drv[64];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	ret = vpd_write_file(path, to);
	if (ret)
		return ret;
	if (vpd_driver_of(bdf, drv, sizeof(drv)) == 0 && !strcmp(drv, to))
		return 0;
	if (drv[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		ret = vpd_write_file(path, bdf);
		if (ret)
			return ret;
	}
	ret = vpd_write_file("/sys/bus/pci/drivers_probe", bdf);
	if (ret)
		return ret;
	if (vpd_driver_of(bdf, drv, sizeof(drv)) || strcmp(drv, to))
		return -ENXIO;
	return 0;
}

/*
 * An unbind (or any sysfs write that may block) run by a thread, not a
 * child: a child would inherit the mappings and the fds that keep the
 * write from completing.
 */
struct vpd_unbind_job {
	char path[PATH_MAX];
	const char *bdf;
	int ret;
	volatile int done;
};

static inline void *vpd_unbind_thread(void *arg)
{
	struct vpd_unbind_job *job = arg;

	job->ret = vpd_write_file(job->path, job->bdf);
	job->done = 1;
	return NULL;
}

/* /sys/module/vfio_pci_dmabuf/refcnt, -1 if unreadable. */
static inline long vpd_module_refcnt(void)
{
	FILE *f = fopen("/sys/module/vfio_pci_dmabuf/refcnt", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The vfio device name (vfioN) of @bdf, "" where sysfs does not show it. */
static inline void vpd_vfio_name(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "vfio", 4)) {
			size_t n = strlen(de->d_name);

			if (n >= len)
				n = len - 1;
			memcpy(buf, de->d_name, n);
			buf[n] = '\0';
			break;
		}
	closedir(dir);
}

/*
 * The /proc/self/maps line of the mapping that starts at @addr: its end,
 * offset column and name.  0, or -1 when there is none.
 */
static inline int vpd_maps_entry(const void *addr, unsigned long *end,
				 unsigned long long *off, char *name, size_t len)
{
	char line[512];
	int ret = -1;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		unsigned long long o;
		char n[256] = "";

		if (sscanf(line, "%lx-%lx %*s %llx %*s %*s %255s", &s, &e, &o, n) < 3)
			continue;
		if (s != (unsigned long)addr)
			continue;
		*end = e;
		*off = o;
		snprintf(name, len, "%s", n);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/*
 * Count this process's fds that reach a vfio object (group, container,
 * device, iommufd); *others gets how many fds numbered 3 and up it has.
 */
static inline int vpd_count_vfio_fds(int *others)
{
	char path[300], link[256];
	struct dirent *de;
	int n = 0, all = 0;
	DIR *dir = opendir("/proc/self/fd");

	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		ssize_t l;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		if (l < 0)
			continue;
		link[l] = '\0';
		if (atoi(de->d_name) >= 3)
			all++;
		if (!strncmp(link, "/dev/vfio", 9) || !strncmp(link, "anon_inode:[vfio", 16) ||
		    !strncmp(link, "/dev/iommu", 10))
			n++;
	}
	closedir(dir);
	if (others)
		*others = all - 1;	/* minus the directory being read */
	return n;
}

/* "exited 0", "killed by signal 7 (Bus error)", ... */
static inline const char *vpd_wait_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status 0x%x", status);
	return buf;
}

#endif /* VPD_EXPORT_H */
