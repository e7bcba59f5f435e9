#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run the vpd_find_pfn benchmark and write build/bench/core.json.

(a) instructions per lookup: instr_driver under callgrind with
    --toggle-collect on the implementation's symbol, so only instructions
    executed inside the lookup function count;
(b) nanoseconds per lookup: the Google Benchmark binary.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

RANGES = [1, 4, 64, 1024, 4096]
SYMBOL = {"ours": "vpd_find_pfn", "linear": "vpd_linear_find_pfn"}


def instructions(driver, impl, ranges, lookups, outdir):
    out = os.path.join(outdir, f"callgrind.{impl}.{ranges}")
    subprocess.run(
        ["valgrind", "--tool=callgrind", "--toggle-collect=" + SYMBOL[impl],
         "--callgrind-out-file=" + out, driver, impl, str(ranges), str(lookups)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total = None
    with open(out) as f:
        for line in f:
            m = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if m:
                total = int(m.group(1))
    if total is None:
        sys.exit(f"no instruction total in {out}")
    return total / lookups


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--gbench", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--lookups", type=int, default=20000)
    ap.add_argument("--min-time", default="0.2")
    args = ap.parse_args()

    outdir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(outdir, exist_ok=True)
    gb_json = os.path.join(outdir, "gbench.json")
    subprocess.run([args.gbench, "--benchmark_out=" + gb_json, "--benchmark_out_format=json",
                    "--benchmark_min_time=" + args.min_time],
                   check=True, stdout=subprocess.DEVNULL)
    with open(gb_json) as f:
        gb = json.load(f)
    ns = {}
    for b in gb["benchmarks"]:
        impl, n = b["name"].split("/")[:2]
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        ns[(impl, int(n))] = b["real_time"] * scale

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in RANGES:
            row = {"ranges": n}
            for impl in ("ours", "linear"):
                row[impl + "_instr"] = round(instructions(args.driver, impl, n, args.lookups, tmp), 2)
            for impl in ("ours", "linear"):
                row[impl + "_ns"] = round(ns[(impl, n)], 2)
            rows.append(row)
    with open(args.out, "w") as f:
        json.dump({"find_pfn": rows}, f, indent=2)
        f.write("\n")
    for r in rows:
        print("ranges %5d: instr ours %8.1f linear %10.1f (x%.2f)   ns ours %7.1f linear %9.1f (x%.2f)"
              % (r["ranges"], r["ours_instr"], r["linear_instr"],
                 r["linear_instr"] / r["ours_instr"], r["ours_ns"], r["linear_ns"],
                 r["linear_ns"] / r["ours_ns"]))


if __name__ == "__main__":
    main()
