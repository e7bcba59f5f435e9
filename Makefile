# SPDX-License-Identifier: GPL-2.0
#
# vfio-pci-dmabuf
#
#   make                      build the module for the running kernel
#   make KDIR=/path/to/build  build it against any kernel build tree
#   make install              install the module (lib/modules/<release>/updates),
#                             run depmod, install the UAPI header and an example
#                             modprobe.d file (INSTALL_MOD_PATH=, DESTDIR= for a
#                             staging root); make uninstall undoes it
#   make dkms-install         register, build and install through DKMS (rebuilt
#                             for every new kernel); make dkms-uninstall
#   make demo                 the driver next to vfio-pci in a VM, in plain words
#   make check                hosted core tests + the VM tests on all kernels
#   make check-host           hosted unit tests, compile checks, short fuzz,
#                             the result parser's unit tests, the selftests'
#                             fault counter in fork children
#   make vmtest KERNEL=name   the VM tests on one kernel (stock-6.1, debug-6.1,
#                             debug-6.12, debug-7.3)
#   make fuzz FUZZ_TIME=600   differential fuzzing of the core
#   make bench-core           benchmark of the core's PFN lookup
#   make bench                ours against vfio-pci in a VM per kernel
#                             (BENCH_KERNELS, BENCH_REPS): build/bench/report.*
#   make stress STRESS_TIME=120   the race stress alone on the debug kernels
#
# When kbuild reads this file (it reads Kbuild first; KBUILD_EXTMOD is set)
# it only pulls in Kbuild.  Not keyed on KERNELRELEASE: DKMS passes that on
# the command line of the outer make.

ifneq ($(KBUILD_EXTMOD),)
include $(src)/Kbuild
else

VPD_ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
KDIR ?= /lib/modules/$(shell uname -r)/build
KERNELS ?= stock-6.1 debug-6.1 debug-6.12 debug-7.3

.PHONY: all modules clean check vmtest harness-selftest kernels demo stress bench \
	install uninstall dkms-install dkms-uninstall

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(VPD_ROOT) modules

# --- install ------------------------------------------------------------------
# The module goes to $(INSTALL_MOD_PATH)/lib/modules/<release>/updates (found
# before the kernel's own modules); the header and the modprobe.d example to
# $(DESTDIR).  An existing /etc/modprobe.d file is left alone.
# UTS_RELEASE, not include/config/kernel.release: Debian's headers packages
# carry the upstream version there (6.1.192) and the ABI name (6.1.0-57-amd64)
# only in utsrelease.h.
KRELEASE ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
VPD_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' $(VPD_ROOT)/dkms.conf)
DESTDIR ?=
INSTALL_MOD_PATH ?= $(DESTDIR)
INCLUDEDIR ?= /usr/include
MODPROBE_CONF := $(DESTDIR)/etc/modprobe.d/vfio-pci-dmabuf.conf
VPD_INSTALLED_KOS := vfio-pci-dmabuf.ko vfio-pci-dmabuf-kunit.ko

install: modules
	@test -n "$(KRELEASE)" || { echo "install: no kernel release in $(KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(VPD_ROOT) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=updates modules_install
	/sbin/depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)
	install -D -m 0644 $(VPD_ROOT)/include/uapi/linux/vfio_pci_dmabuf.h \
		$(DESTDIR)$(INCLUDEDIR)/linux/vfio_pci_dmabuf.h
	test -e $(MODPROBE_CONF) || install -D -m 0644 \
		$(VPD_ROOT)/scripts/modprobe.d/vfio-pci-dmabuf.conf $(MODPROBE_CONF)

# The modprobe.d file is the administrator's once installed: kept.
uninstall:
	rm -f $(addprefix $(INSTALL_MOD_PATH)/lib/modules/$(KRELEASE)/updates/,$(VPD_INSTALLED_KOS))
	/sbin/depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)
	rm -f $(DESTDIR)$(INCLUDEDIR)/linux/vfio_pci_dmabuf.h

# --- DKMS -----------------------------------------------------------------------
# DKMS_SOURCE_TREE and DKMS_ARGS (e.g. --dkmstree/--sourcetree/--installtree,
# --kernelsourcedir, --no-depmod) let scripts/dkms-test run all of it in
# scratch directories; by default it is the host's DKMS for the running kernel.
DKMS ?= dkms
DKMS_SOURCE_TREE ?= /usr/src
DKMS_ARGS ?=
DKMS_KERNEL ?= $(shell uname -r)
VPD_DKMS_SRC := $(DKMS_SOURCE_TREE)/vfio-pci-dmabuf-$(VPD_VERSION)
VPD_DKMS_MV := -m vfio-pci-dmabuf -v $(VPD_VERSION)

dkms-install:
	rm -rf $(VPD_DKMS_SRC)
	mkdir -p $(VPD_DKMS_SRC)/tests
	cp -r $(addprefix $(VPD_ROOT)/,Kbuild Makefile dkms.conf LICENSE src include kunit scripts mk) \
		$(VPD_DKMS_SRC)/
	cp -r $(VPD_ROOT)/tests/cases $(VPD_DKMS_SRC)/tests/
	rm -rf $(VPD_DKMS_SRC)/include/generated
	$(DKMS) add $(VPD_DKMS_MV) $(DKMS_ARGS)
	$(DKMS) build $(VPD_DKMS_MV) -k $(DKMS_KERNEL) $(DKMS_ARGS)
	$(DKMS) install $(VPD_DKMS_MV) -k $(DKMS_KERNEL) $(DKMS_ARGS)

dkms-uninstall:
	$(DKMS) remove $(VPD_DKMS_MV) --all $(DKMS_ARGS)
	rm -rf $(VPD_DKMS_SRC)

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

# Ours against stock vfio-pci, one VM per kernel, then the report
# (build/bench/report.json, report.md, *.png).  Not part of `make check`:
# it measures, it asserts nothing.
BENCH_KERNELS ?= stock-6.1 perf-6.12 perf-7.3
BENCH_REPS ?= 7
bench:
	@BENCH_REPS=$(BENCH_REPS) $(VPD_ROOT)/scripts/bench $(BENCH_KERNELS)

# The whole test suite.  Every stage runs even when an earlier one failed;
# the last line is the summary.
check:
	@$(VPD_ROOT)/scripts/check $(KERNELS)

endif
