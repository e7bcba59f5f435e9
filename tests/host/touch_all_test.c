// SPDX-License-Identifier: GPL-2.0
/*
 * The selftests' fault counter, vpd_touch_all(), in a fresh fork child:
 * touching memory the child already has mapped must count 0 faults,
 * wherever the stack happens to lie.
 *
 * Right after fork() every stack page of the child is copy-on-write, so a
 * counter whose own stack writes (getrusage()'s result, a spill) reach a
 * page the child has not written yet counts that fault as the mapping's.
 * Where that happens depends on the stack's offset in its page, which
 * exec randomizes: huge_revoke_test's fork tests failed all together in
 * one VM run and passed in the next.  Here the child calls the counter at
 * every 16-byte stack offset of a page (alloca), so the outcome does not
 * depend on the layout this process got.
 *
 * The test proves it can see the failure: a naive counter (the failure
 * mode of what vpd_touch_all() was, made plain) must miscount at some
 * offset, and vpd_touch_all() at none.  Exit status 0 and "touch_all: ok" when both hold.
 */
#include <alloca.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vpd_vfio.h"

#define PAGES 16

/*
 * A counter that keeps getrusage()'s result in stack the fork child has
 * not written, as huge_revoke_test's inlined counter did (its result sat
 * in the test function's frame): whether that costs a fault inside the
 * count depends on where the page boundaries fall.
 */
static __attribute__((noinline)) long naive_touch_all(const volatile uint8_t *p, size_t len)
{
	struct rusage ru[41];
	uint64_t sum = 0;
	long before;

	getrusage(RUSAGE_SELF, &ru[20]);
	before = ru[20].ru_minflt;
	for (size_t off = 0; off < len; off += 4096)
		sum += *(const volatile uint64_t *)(p + off);
	(void)sum;
	getrusage(RUSAGE_SELF, &ru[20]);
	return ru[20].ru_minflt - before;
}

/* The count, from a frame of its own below the child's padding. */
static __attribute__((noinline)) long measure(const volatile uint8_t *p, int naive)
{
	return naive ? naive_touch_all(p, PAGES * 4096) : vpd_touch_all(p, PAGES * 4096);
}

/*
 * In a fork child whose stack is @pad bytes deeper: the faults counted for
 * touching @p (mapped in the parent, so copied into the child), or -1.
 */
static long child_count(const volatile uint8_t *p, size_t pad, int naive)
{
	int fds[2], status;
	long n = -1;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		volatile uint8_t *gap = alloca(pad + 1);
		long r;

		gap[0] = 0;	/* the padding's lowest byte: written, as a frame's would be */
		r = measure(p, naive);
		_exit(write(fds[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fds[1]);
	if (read(fds[0], &n, sizeof(n)) != sizeof(n))
		n = -1;
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		n = -1;
	return n;
}

int main(void)
{
	uint8_t *p = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int naive_wrong = 0, wrong = 0, failed = 0;

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(p, 1, PAGES * 4096);	/* mapped before fork: the child inherits the entries */

	for (size_t pad = 0; pad < 4096; pad += 16) {
		long a = child_count(p, pad, 1), b = child_count(p, pad, 0);

		if (a < 0 || b < 0)
			failed++;
		naive_wrong += a != 0;
		if (b != 0) {
			if (!wrong)
				fprintf(stderr, "touch_all: %ld faults at stack pad %zu (expected 0)\n",
					b, pad);
			wrong++;
		}
	}
	printf("touch_all: 256 stack offsets: vpd_touch_all miscounted %u, "
	       "the naive counter %u, %u children failed\n", wrong, naive_wrong, failed);
	if (failed || wrong || !naive_wrong) {
		if (!naive_wrong)
			fprintf(stderr, "touch_all: the naive counter never miscounted: "
				"this test cannot see the failure it is for\n");
		return 1;
	}
	printf("touch_all: ok\n");
	return 0;
}
