# SPDX-License-Identifier: GPL-2.0
#
# vfio-pci-dmabuf
#
#   make                      build the module for the running kernel
#   make KDIR=/path/to/build  build it against any kernel build tree
#   make demo                 the driver next to vfio-pci in a VM, in plain words
#   make check                hosted core tests + the VM tests on all kernels
#   make check-host           hosted unit tests, compile checks, short fuzz
#   make vmtest KERNEL=name   the VM tests on one kernel (stock-6.1,
#                             debug-6.12, debug-7.3)
#   make fuzz FUZZ_TIME=600   differential fuzzing of the core
#   make bench-core           benchmark of the core's PFN lookup
#   make stress STRESS_TIME=120   the race stress alone on the debug kernels
#
# When kbuild reads this file (KERNELRELEASE is set) it only pulls in Kbuild.

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

VPD_ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?= stock-6.1 debug-6.12 debug-7.3

.PHONY: all modules clean check vmtest harness-selftest kernels demo stress

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(VPD_ROOT) modules

clean: clean-host
	$(MAKE) -C $(KDIR) M=$(VPD_ROOT) clean 2>/dev/null || true
	rm -rf $(VPD_ROOT)/build

-include $(VPD_ROOT)/mk/host.mk

# Fetch/build the test kernels into the cache (idempotent).
kernels:
	@for k in $(KERNELS); do $(VPD_ROOT)/scripts/kernel ensure $$k >/dev/null || exit 1; done

vmtest:
	$(VPD_ROOT)/scripts/vmtest --kernel $(KERNEL) $(if $(FILTER),--filter '$(FILTER)')

demo:
	@$(VPD_ROOT)/scripts/demo $(DEMO_KERNEL)

# The race stress (selftests/stress_test.c) alone, STRESS_TIME seconds per
# variant on each of STRESS_KERNELS; it prints its figures.
STRESS_TIME ?= 120
STRESS_KERNELS ?= debug-6.12 debug-7.3
stress:
	@STRESS_TIME=$(STRESS_TIME) $(if $(STRESS_OUT),STRESS_OUT=$(STRESS_OUT)) \
		$(VPD_ROOT)/scripts/stress $(STRESS_KERNELS)

harness-selftest:
	$(VPD_ROOT)/scripts/vmtest-selftest

# The whole test suite.  Every stage runs even when an earlier one failed;
# the last line is the summary.
check:
	@$(VPD_ROOT)/scripts/check $(KERNELS)

endif
