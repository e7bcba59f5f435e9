# SPDX-License-Identifier: GPL-2.0
#
# Hosted builds of the core: unit tests (GoogleTest, ASan+UBSan), the
# in-kernel-flags compile check, the differential fuzzer (libFuzzer) and the
# benchmark.  Included by the top-level Makefile (outside kbuild); also usable
# alone:  make -f mk/host.mk check-host
#
# Targets:
#   check-host   unit tests (death tests included) + kernel-flags check +
#                fuzz-short + the result parser's tests + touch-all; ends
#                with "N passed, N failed" and fails if anything failed
#   touch-all    the selftests' fault counter in fork children at every
#                stack offset (tests/host/touch_all_test.c)
#   fuzz         fuzz for $(FUZZ_TIME) seconds (default 600), FUZZ_JOBS=N
#                processes side by side
#   fuzz-short   fuzz for $(FUZZ_SHORT_TIME) seconds (default 30)
#   bench-core   writes build/bench/core.json
#   clean-host   removes build/host, build/fuzz, build/bench

VPD_ROOT ?= $(CURDIR)

# The makefile to re-invoke for the steps of check-host (this file when run
# alone, the top-level Makefile when included).
VPD_HOST_MAKEFILE := $(firstword $(MAKEFILE_LIST))

VPD_HOST_CXX ?= g++
VPD_HOST_CC ?= gcc
VPD_FUZZ_CXX ?= clang++
VPD_FUZZ_CC ?= clang
VPD_PYTHON ?= python3

FUZZ_TIME ?= 600
FUZZ_SHORT_TIME ?= 30

VPD_HOST_OUT := $(VPD_ROOT)/build/host
VPD_FUZZ_OUT := $(VPD_ROOT)/build/fuzz
VPD_BENCH_OUT := $(VPD_ROOT)/build/bench

VPD_CORE_SRC := $(VPD_ROOT)/src/core/core.cpp
VPD_CORE_DEPS := $(VPD_CORE_SRC) $(wildcard $(VPD_ROOT)/src/core/*.hpp) \
	$(VPD_ROOT)/src/core/kernel_rt.inc $(VPD_ROOT)/include/vfio_pci_dmabuf/core.h
VPD_CASES := $(wildcard $(VPD_ROOT)/tests/cases/*.h)

VPD_HOST_WARN := -Wall -Wextra -Werror
VPD_HOST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
VPD_HOST_CXXFLAGS := -std=gnu++17 -O1 -g $(VPD_HOST_WARN) $(VPD_HOST_SAN) \
	-I$(VPD_ROOT)/include -I$(VPD_ROOT)/bench

# The kernel's C++ flags (see Documentation/core.rst): the object must need
# no symbol, have no constructor/unwind/TLS section and use no SSE register.
VPD_KCHECK_CXXFLAGS := -std=gnu++17 -DVPD_IN_KERNEL -ffreestanding -fno-exceptions -fno-rtti \
	-fno-threadsafe-statics -fno-use-cxa-atexit -fno-unwind-tables \
	-fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-sse2 -mno-3dnow -mno-avx \
	-mno-red-zone -mcmodel=kernel -fno-pic -O2 -Wall -Wextra -Werror -I$(VPD_ROOT)/include

VPD_FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I$(VPD_ROOT)/include -I$(VPD_ROOT)/bench
VPD_BENCH_CXXFLAGS := -std=gnu++17 -O2 -DNDEBUG -Wall -Wextra -Werror \
	-I$(VPD_ROOT)/include -I$(VPD_ROOT)/bench

.PHONY: check-host host-tests kcheck-core touch-all fuzz fuzz-short bench-core clean-host

# --- unit tests ---------------------------------------------------------------

VPD_TEST_BIN := $(VPD_HOST_OUT)/core_tests
VPD_TEST_SRCS := $(wildcard $(VPD_ROOT)/tests/host/*.cpp)
VPD_TEST_OBJS := $(patsubst $(VPD_ROOT)/tests/host/%.cpp,$(VPD_HOST_OUT)/%.o,$(VPD_TEST_SRCS))

$(VPD_HOST_OUT)/core.o: $(VPD_CORE_DEPS)
	@mkdir -p $(@D)
	$(VPD_HOST_CXX) $(VPD_HOST_CXXFLAGS) -c $< -o $@

# The case tables omit the outputs of failing cases: C designated
# initialisers zero them, g++ warns about it.  reference_test checks the
# fuzzer's reference model against the case tables.
$(VPD_HOST_OUT)/%.o: $(VPD_ROOT)/tests/host/%.cpp $(VPD_CORE_DEPS) $(VPD_CASES) \
		$(VPD_ROOT)/tests/fuzz/reference.hpp
	@mkdir -p $(@D)
	$(VPD_HOST_CXX) $(VPD_HOST_CXXFLAGS) -Wno-missing-field-initializers -c $< -o $@

$(VPD_TEST_BIN): $(VPD_HOST_OUT)/core.o $(VPD_TEST_OBJS)
	$(VPD_HOST_CXX) $(VPD_HOST_SAN) $^ -o $@ -lgtest -lgtest_main -pthread

host-tests: $(VPD_TEST_BIN)

# --- in-kernel flags ------------------------------------------------------------

VPD_KCHECK_OBJ := $(VPD_HOST_OUT)/kcheck/core.o

$(VPD_KCHECK_OBJ): $(VPD_CORE_DEPS)
	@mkdir -p $(@D)
	$(VPD_HOST_CXX) $(VPD_KCHECK_CXXFLAGS) -c $< -o $@

kcheck-core: $(VPD_KCHECK_OBJ)
	@sh $(VPD_ROOT)/tests/host/kcheck.sh $(VPD_KCHECK_OBJ)

# --- fuzzer -------------------------------------------------------------------

VPD_FUZZ_BIN := $(VPD_FUZZ_OUT)/fuzz_core

$(VPD_FUZZ_OUT)/linear.o: $(VPD_ROOT)/bench/linear.c $(VPD_ROOT)/bench/linear.h \
		$(VPD_ROOT)/include/vfio_pci_dmabuf/core.h
	@mkdir -p $(@D)
	$(VPD_FUZZ_CC) $(VPD_FUZZ_FLAGS) -c $< -o $@

$(VPD_FUZZ_OUT)/core.o: $(VPD_CORE_DEPS)
	@mkdir -p $(@D)
	$(VPD_FUZZ_CXX) -std=gnu++17 $(VPD_FUZZ_FLAGS) -c $< -o $@

$(VPD_FUZZ_BIN): $(VPD_ROOT)/tests/fuzz/fuzz_core.cpp $(VPD_ROOT)/tests/fuzz/reference.hpp \
		$(VPD_FUZZ_OUT)/core.o $(VPD_FUZZ_OUT)/linear.o
	$(VPD_FUZZ_CXX) -std=gnu++17 $(VPD_FUZZ_FLAGS) $< $(VPD_FUZZ_OUT)/core.o \
		$(VPD_FUZZ_OUT)/linear.o -o $@

# $(1): seconds.  Prints "fuzz: N execs in S s (R/s; lookups N, bar_map N,
# export N, cfg_write N), no mismatch" or fails.
define vpd_run_fuzz
	@mkdir -p $(VPD_FUZZ_OUT)/corpus $(VPD_FUZZ_OUT)/artifacts
	@echo "fuzz: running $(1) s (log: $(VPD_FUZZ_OUT)/fuzz.log)"
	@if $(VPD_FUZZ_BIN) -max_total_time=$(1) -print_final_stats=1 -timeout=30 \
		-rss_limit_mb=4096 -artifact_prefix=$(VPD_FUZZ_OUT)/artifacts/ \
		$(VPD_FUZZ_OUT)/corpus > $(VPD_FUZZ_OUT)/fuzz.log 2>&1; then \
		execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(VPD_FUZZ_OUT)/fuzz.log); \
		rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $(VPD_FUZZ_OUT)/fuzz.log); \
		modes=$$(sed -n 's/^fuzz-modes: //p' $(VPD_FUZZ_OUT)/fuzz.log); \
		echo "fuzz: $$execs execs in $(1) s ($$rate/s; $$modes), no mismatch"; \
	else \
		grep -E "MISMATCH|ERROR|SUMMARY|Test unit written" $(VPD_FUZZ_OUT)/fuzz.log | head -20; \
		echo "fuzz: FAILED (see $(VPD_FUZZ_OUT)/fuzz.log)"; exit 1; \
	fi
endef

# FUZZ_JOBS=N: N fuzzing processes side by side (libFuzzer -jobs/-workers,
# one corpus); the executions of all of them are added up, and any job's
# mismatch or crash fails the run.
FUZZ_JOBS ?= 1

define vpd_run_fuzz_jobs
	@mkdir -p $(VPD_FUZZ_OUT)/corpus $(VPD_FUZZ_OUT)/artifacts
	@rm -f $(VPD_FUZZ_OUT)/fuzz-*.log
	@echo "fuzz: running $(FUZZ_JOBS) jobs for $(1) s (logs: $(VPD_FUZZ_OUT)/fuzz-*.log)"
	@cd $(VPD_FUZZ_OUT) && $(VPD_FUZZ_BIN) -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) \
		-max_total_time=$(1) -print_final_stats=1 -timeout=30 -rss_limit_mb=4096 \
		-artifact_prefix=$(VPD_FUZZ_OUT)/artifacts/ corpus > fuzz.log 2>&1; \
	logs=$$(ls $(VPD_FUZZ_OUT)/fuzz-*.log 2>/dev/null); \
	if [ -z "$$logs" ] || grep -lE "MISMATCH|ERROR|deadly signal|Test unit written" $$logs; then \
		grep -hE "MISMATCH|ERROR|SUMMARY|Test unit written" $$logs | head -20; \
		echo "fuzz: FAILED (see $(VPD_FUZZ_OUT)/fuzz-*.log)"; exit 1; \
	fi; \
	n=$$(echo $$logs | wc -w); \
	done=$$(grep -l '^stat::number_of_executed_units' $$logs | wc -l); \
	[ "$$done" = "$$n" ] || { echo "fuzz: FAILED: $$((n - done)) of $$n jobs did not finish"; exit 1; }; \
	execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$logs | awk '{ s += $$1 } END { print s }'); \
	echo "fuzz: $$execs execs in $(1) s by $$n jobs ($$((execs / $(1)))/s), no mismatch"
endef

fuzz: $(VPD_FUZZ_BIN)
ifeq ($(FUZZ_JOBS),1)
	$(call vpd_run_fuzz,$(FUZZ_TIME))
else
	$(call vpd_run_fuzz_jobs,$(FUZZ_TIME))
endif

fuzz-short: $(VPD_FUZZ_BIN)
	$(call vpd_run_fuzz,$(FUZZ_SHORT_TIME))

# --- the selftests' fault counter -------------------------------------------------

# vpd_touch_all() (selftests/vpd_vfio.h) in fork children at every stack offset.
$(VPD_HOST_OUT)/touch_all_test: $(VPD_ROOT)/tests/host/touch_all_test.c \
		$(VPD_ROOT)/selftests/vpd_vfio.h
	@mkdir -p $(@D)
	$(VPD_HOST_CC) -std=gnu11 -D_GNU_SOURCE -O2 -static -Wall -Wextra -Werror \
		-I$(VPD_ROOT)/selftests -I$(VPD_ROOT)/include $< -o $@

touch-all: $(VPD_HOST_OUT)/touch_all_test
	$<

# --- benchmark ------------------------------------------------------------------

$(VPD_BENCH_OUT)/core.o: $(VPD_CORE_DEPS)
	@mkdir -p $(@D)
	$(VPD_HOST_CXX) $(VPD_BENCH_CXXFLAGS) -c $< -o $@

$(VPD_BENCH_OUT)/linear.o: $(VPD_ROOT)/bench/linear.c $(VPD_ROOT)/bench/linear.h \
		$(VPD_ROOT)/include/vfio_pci_dmabuf/core.h
	@mkdir -p $(@D)
	$(VPD_HOST_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -I$(VPD_ROOT)/include -c $< -o $@

$(VPD_BENCH_OUT)/instr_driver: $(VPD_ROOT)/bench/instr_driver.cpp $(VPD_ROOT)/bench/workload.hpp \
		$(VPD_BENCH_OUT)/core.o $(VPD_BENCH_OUT)/linear.o
	$(VPD_HOST_CXX) $(VPD_BENCH_CXXFLAGS) $< $(VPD_BENCH_OUT)/core.o $(VPD_BENCH_OUT)/linear.o -o $@

$(VPD_BENCH_OUT)/gbench: $(VPD_ROOT)/bench/gbench.cpp $(VPD_ROOT)/bench/workload.hpp \
		$(VPD_BENCH_OUT)/core.o $(VPD_BENCH_OUT)/linear.o
	$(VPD_HOST_CXX) $(VPD_BENCH_CXXFLAGS) $< $(VPD_BENCH_OUT)/core.o $(VPD_BENCH_OUT)/linear.o \
		-o $@ -lbenchmark -pthread

bench-core: $(VPD_BENCH_OUT)/instr_driver $(VPD_BENCH_OUT)/gbench
	$(VPD_PYTHON) $(VPD_ROOT)/bench/collect.py --driver $(VPD_BENCH_OUT)/instr_driver \
		--gbench $(VPD_BENCH_OUT)/gbench --out $(VPD_BENCH_OUT)/core.json

# --- check-host -----------------------------------------------------------------

# Every step runs even if an earlier one failed; the last line is the count.
VPD_HOST_SUBMAKE = $(MAKE) --no-print-directory -f $(VPD_HOST_MAKEFILE) VPD_ROOT=$(VPD_ROOT)

check-host:
	@mkdir -p $(VPD_HOST_OUT); \
	rm -f $(VPD_HOST_OUT)/gtest.json; \
	if $(VPD_HOST_SUBMAKE) host-tests; then \
		$(VPD_TEST_BIN) --gtest_brief=1 --gtest_output=json:$(VPD_HOST_OUT)/gtest.json; \
		gtest=ok; \
	else gtest=build-failed; fi; \
	if $(VPD_HOST_SUBMAKE) kcheck-core; then kcheck=pass; else kcheck=fail; fi; \
	if $(VPD_HOST_SUBMAKE) fuzz-short; then fuzz=pass; else fuzz=fail; fi; \
	if $(VPD_HOST_SUBMAKE) touch-all; then touch_all=pass; else touch_all=fail; fi; \
	if $(VPD_PYTHON) -W error $(VPD_ROOT)/scripts/vm/test_parse_results.py; \
	then parser=pass; else parser=fail; fi; \
	$(VPD_PYTHON) $(VPD_ROOT)/tests/host/summary.py --gtest-json $(VPD_HOST_OUT)/gtest.json \
		--gtest-status $$gtest kernel-flags=$$kcheck fuzz-short=$$fuzz parser=$$parser \
		touch-all=$$touch_all

clean-host:
	rm -rf $(VPD_HOST_OUT) $(VPD_FUZZ_OUT) $(VPD_BENCH_OUT)
