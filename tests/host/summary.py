#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print check-host's final line, "N passed, N failed", and fail if N failed > 0.

Counts the GoogleTest tests from its JSON report (a test binary that did not
build or did not report counts as one failure) plus one test per extra
NAME=pass|fail argument.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gtest-json", required=True)
    ap.add_argument("--gtest-status", required=True)
    ap.add_argument("extra", nargs="*", help="NAME=pass|fail")
    args = ap.parse_args()

    passed = failed = 0
    try:
        if args.gtest_status != "ok":
            raise OSError(args.gtest_status)
        with open(args.gtest_json) as f:
            report = json.load(f)
        total = report["tests"]
        bad = report["failures"] + report.get("errors", 0)
        passed += total - bad
        failed += bad
    except (OSError, ValueError, KeyError) as e:
        print(f"unit tests: no report ({e})")
        failed += 1
    for item in args.extra:
        name, _, status = item.partition("=")
        if status == "pass":
            passed += 1
        else:
            print(f"{name}: failed")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
