#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/vm/parse-results on synthetic logs."""
import importlib.machinery
import importlib.util
import json
import os
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
loader = importlib.machinery.SourceFileLoader('parse_results', os.path.join(HERE, 'parse-results'))
spec = importlib.util.spec_from_loader('parse_results', loader)
pr = importlib.util.module_from_spec(spec)
loader.exec_module(pr)

GOOD_RESULTS = """VPD-BEGIN kernel=x
VPD-SETUP-OK
VPD-KUNIT-BEGIN
VPD-KUNIT-END
VPD-SELFTEST-BEGIN t
TAP version 13
1..3
ok 1 a.b.c
ok 2 a.b.d # SKIP not here
ok 3 a.b.e
VPD-SELFTEST-END t rc=0
VPD-KMEMLEAK-BEGIN
VPD-KMEMLEAK-END
VPD-END
"""

GOOD_CONSOLE = """[    1.000000] KTAP version 1
[    1.000001] 1..1
[    1.000002]     KTAP version 1
[    1.000003]     # Subtest: suite
[    1.000004]     1..2
[    1.000005]     ok 1 one
[    1.000006]     ok 2 two
[    1.000007] # suite: pass:2 fail:0 skip:0 total:2
[    1.000008] # Totals: pass:2 fail:0 skip:0 total:2
[    1.000009] ok 1 suite
"""


def run(console, results, kunit=True):
    with tempfile.TemporaryDirectory() as d:
        c, r, o = (os.path.join(d, n) for n in ('c', 'r', 'o'))
        for path, text in ((c, console), (r, results)):
            with open(path, 'w') as f:
                f.write(text)
        argv = ['--console', c, '--results', r, '--out', o, '--kernel', 'k']
        if kunit:
            argv.append('--kunit')
        import sys
        old = sys.argv
        sys.argv = ['parse-results'] + argv
        try:
            import contextlib, io
            with contextlib.redirect_stdout(io.StringIO()):
                rc = pr.main()
        finally:
            sys.argv = old
        with open(o) as f:
            return rc, json.load(f)


class ParseResults(unittest.TestCase):
    def test_good_run(self):
        rc, r = run(GOOD_CONSOLE, GOOD_RESULTS)
        self.assertEqual(rc, 0)
        self.assertEqual(r['kunit'], {'passed': 2, 'failed': 0, 'skipped': 0})
        self.assertEqual(r['selftests'], {'passed': 2, 'failed': 0, 'skipped': 1})
        self.assertEqual(r['splats'], 0)

    def test_failed_selftest(self):
        rc, r = run(GOOD_CONSOLE, GOOD_RESULTS.replace('ok 3 a.b.e', 'not ok 3 a.b.e'))
        self.assertEqual(rc, 1)
        self.assertEqual(r['selftests']['failed'], 1)

    def test_selftest_died_midway(self):
        res = GOOD_RESULTS.replace('ok 3 a.b.e\n', '').replace('rc=0', 'rc=139')
        rc, r = run(GOOD_CONSOLE, res)
        self.assertEqual(rc, 1)
        self.assertEqual(r['selftests']['failed'], 1)

    def test_vm_never_finished(self):
        res = GOOD_RESULTS.split('VPD-SELFTEST-END')[0]
        rc, r = run(GOOD_CONSOLE, res)
        self.assertEqual(rc, 1)
        self.assertTrue(r['problems'])

    def test_warn_splat(self):
        con = GOOD_CONSOLE + "[    2.0] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2\n"
        rc, r = run(con, GOOD_RESULTS)
        self.assertEqual(rc, 1)
        self.assertEqual(r['splats'], 1)

    def test_lockdep_and_kasan_splats(self):
        con = GOOD_CONSOLE + ("[ 3.0] ======================================================\n"
                              "[ 3.0] WARNING: possible circular locking dependency detected\n"
                              "[ 4.0] BUG: KASAN: slab-use-after-free in f+0x1/0x2\n")
        rc, r = run(con, GOOD_RESULTS)
        self.assertEqual(rc, 1)
        self.assertEqual(r['splats'], 2)

    def test_kmemleak(self):
        res = GOOD_RESULTS.replace('VPD-KMEMLEAK-BEGIN\n',
                                   'VPD-KMEMLEAK-BEGIN\nunreferenced object 0xffff888 (size 64):\n')
        rc, r = run(GOOD_CONSOLE, res)
        self.assertEqual(rc, 1)
        self.assertEqual(r['splats'], 1)

    def test_kunit_failure_and_crash(self):
        rc, r = run(GOOD_CONSOLE.replace('fail:0', 'fail:1'), GOOD_RESULTS)
        self.assertEqual(rc, 1)
        self.assertEqual(r['kunit']['failed'], 1)
        crashed = GOOD_CONSOLE.split('# suite:')[0]
        rc, r = run(crashed, GOOD_RESULTS)
        self.assertEqual(rc, 1)

    def test_kunit_expected_but_absent(self):
        rc, r = run('', GOOD_RESULTS)
        self.assertEqual(rc, 1)


if __name__ == '__main__':
    unittest.main(verbosity=1)
