#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Checks an object of the core built with the kernel's C++ flags: it must
# need no symbol at all (no C++ runtime, libgcc or libstdc++), carry no
# section the kernel module loader ignores or cannot handle (constructors,
# unwind tables, exception tables, TLS), and use no SSE/AVX register.
set -u
obj=$1
fail=0

undef=$(nm -u "$obj")
if [ -n "$undef" ]; then
	echo "kernel-flags: undefined symbols in $obj:"
	echo "$undef"
	fail=1
fi

bad=$(objdump -h "$obj" | awk '{print $2}' |
	grep -E '^\.(init_array|fini_array|ctors|dtors|eh_frame|gcc_except_table|tbss|tdata)')
if [ -n "$bad" ]; then
	echo "kernel-flags: forbidden sections in $obj:"
	echo "$bad"
	fail=1
fi

if objdump -d "$obj" | grep -Eq '%[xyz]mm[0-9]'; then
	echo "kernel-flags: SSE/AVX registers used in $obj:"
	objdump -d "$obj" | grep -E '%[xyz]mm[0-9]' | head
	fail=1
fi

if [ $fail -eq 0 ]; then
	echo "kernel-flags: $obj: no undefined symbols, no forbidden sections, no SSE registers"
fi
exit $fail
