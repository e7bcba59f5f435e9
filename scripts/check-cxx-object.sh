#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-cxx-object.sh OBJ OBJDUMP NM MODULE_SYMVERS
#
# Fail the build when a C++ object needs what a kernel module cannot give it:
#  - sections the kernel never processes for modules: .init_array/.ctors
#    (global constructors would silently never run), .eh_frame and
#    .gcc_except_table (exceptions/unwinding), .tbss/.tdata (TLS);
#  - an undefined symbol that is not a kernel export.  Weak undefined symbols
#    (g++'s __cxa_pure_virtual) are not caught by modpost and would resolve
#    to NULL, so every undefined symbol, weak or not, must be listed in the
#    kernel's Module.symvers.
set -eu
obj=$1 objdump=$2 nm=$3 symvers=$4
rc=0

bad_sections=$($objdump -h "$obj" | awk '{ print $2 }' |
	grep -E '^\.(init_array|ctors|fini_array|dtors|eh_frame|gcc_except_table|tbss|tdata)' || true)
if [ -n "$bad_sections" ]; then
	echo "$obj: forbidden C++ sections:" $bad_sections >&2
	rc=1
fi

if [ ! -f "$symvers" ]; then
	echo "$obj: $symvers missing: cannot check undefined symbols" >&2
	exit 1
fi
for sym in $($nm -u "$obj" | awk '{ print $NF }'); do
	if ! awk -v s="$sym" '$2 == s { found = 1; exit } END { exit !found }' "$symvers"; then
		echo "$obj: undefined symbol '$sym' is not a kernel export" >&2
		rc=1
	fi
done
exit $rc
