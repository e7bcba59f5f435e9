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


def run(console, results, kunit=True, inventory=None, extra=()):
    """parse-results on these logs; with inventory (the file's text), checked
    against it, extra: more options (--kernel-name, --filter, ...)."""
    with tempfile.TemporaryDirectory() as d:
        c, r, o, i = (os.path.join(d, n) for n in ('c', 'r', 'o', 'i'))
        for path, text in ((c, console), (r, results), (i, inventory)):
            if text is not None:
                with open(path, 'w') as f:
                    f.write(text)
        argv = ['--console', c, '--results', r, '--out', o, '--kernel', 'k']
        if kunit:
            argv.append('--kunit')
        if inventory is not None:
            argv += ['--inventory', i]
        argv += list(extra)
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

    def test_failed_selftest_keeps_its_output(self):
        res = GOOD_RESULTS.replace(
            'ok 2 a.b.d # SKIP not here\nok 3 a.b.e',
            'ok 2 a.b.d # SKIP not here\n# RUN a.b.e ...\n# t.c:12:Expected 0 (0) == n (3)\n'
            '# FAIL a.b.e\nnot ok 3 a.b.e')
        rc, r = run(GOOD_CONSOLE, res)
        self.assertEqual(rc, 1)
        failed = [t for t in r['tests'] if t['result'] == 'fail']
        self.assertEqual(len(failed), 1)
        self.assertEqual(failed[0]['log'], ['# RUN a.b.e ...', '# t.c:12:Expected 0 (0) == n (3)',
                                            '# FAIL a.b.e'])
        self.assertNotIn('log', r['tests'][0])

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

    BENCH_RESULTS = """VPD-BEGIN kernel=x
VPD-SETUP-OK
VPD-BENCH-BEGIN
VPD-BENCH-INFO {"reps": 1, "huge_pfnmap": 3}
# touch took 1.0 s
VPD-BENCH-JSON {"bench": "cycle", "param": "4k", "driver": "ours", "rep": 0, "ns": 5}
VPD-BENCH-JSON {"bench": "cycle", "param": "4k", "driver": "stock", "rep": 0, "ns": 4}
VPD-BENCH-END rc=0
VPD-END
"""

    def bench(self, results, console=''):
        with tempfile.TemporaryDirectory() as d:
            b = os.path.join(d, 'bench.json')
            rc, r = run(console, results, kunit=False,
                        extra=('--bench', b, '--kernel-name', 'perf-6.12'))
            samples = None
            if os.path.exists(b):
                with open(b) as f:
                    samples = json.load(f)
            return rc, r, samples

    def test_bench_run(self):
        rc, r, b = self.bench(self.BENCH_RESULTS)
        self.assertEqual(rc, 0)
        self.assertEqual(b['kernel'], 'perf-6.12')
        self.assertEqual(b['info'], {'reps': 1, 'huge_pfnmap': 3})
        self.assertEqual([s['driver'] for s in b['samples']], ['ours', 'stock'])

    def test_bench_failures(self):
        for res in (self.BENCH_RESULTS.replace('rc=0', 'rc=1'),
                    self.BENCH_RESULTS.replace('# touch', 'VPD-BENCH-ERROR mmap (errno 12)\n# t'),
                    self.BENCH_RESULTS.split('VPD-BENCH-END')[0],
                    self.BENCH_RESULTS.replace('VPD-BENCH-BEGIN\n', '').split('VPD-BENCH-END')[0]
                    + 'VPD-END\n'):
            rc, r, _ = self.bench(res)
            self.assertEqual(rc, 1, res)
            self.assertTrue(r['problems'])
        rc, r, _ = self.bench(self.BENCH_RESULTS,
                              GOOD_CONSOLE + "[    2.0] BUG: KASAN: use-after-free in f\n")
        self.assertEqual(rc, 1)

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

    def test_kmemleak_counted_apart(self):
        res = GOOD_RESULTS.replace(
            'VPD-KMEMLEAK-BEGIN\n',
            'VPD-KMEMLEAK-BEGIN\nunreferenced object 0xffff888006e4e680 (size 96):\n'
            '  comm "insmod", pid 74, jiffies 4294906841\n'
            'unreferenced object 0xffff888006e4e700 (size 96):\n'
            '  comm "insmod", pid 74, jiffies 4294906841\n')
        rc, r = run(GOOD_CONSOLE, res)
        self.assertEqual(rc, 1)
        self.assertEqual(r['kmemleak'], 2)
        self.assertEqual(r['splats'], 2)
        self.assertTrue(r['splat_lines'][0].startswith('kmemleak: unreferenced object 0x'))
        rc, r = run(GOOD_CONSOLE, GOOD_RESULTS)
        self.assertEqual(r['kmemleak'], 0)

    # Splat headers as the kernel prints them, some behind a pr_fmt()
    # prefix: each must count as exactly one splat.
    SPLATS = (
        'watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [insmod:75]',
        'watchdog: Watchdog detected hard LOCKUP on cpu 1',
        'watchdog: CPU1: Watchdog detected hard LOCKUP on cpu 0',
        'NMI watchdog: Watchdog detected hard LOCKUP on cpu 1',
        'rcu: INFO: rcu_preempt self-detected stall on CPU',
        'rcu: INFO: rcu_sched detected stalls on CPUs/tasks:',
        'rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: {',
        'INFO: rcu_tasks detected stalls on tasks:',
        'INFO: task kworker/0:1:12 blocked for more than 120 seconds.',
        'INFO: task X blocked for more than 30 seconds.',
        'INFO: task insmod:80 blocked in I/O wait for more than 120 seconds.',
        'WARNING: possible circular locking dependency detected',
        'WARNING: possible recursive locking detected',
        'INFO: possible irq lock inversion dependency detected',
        'INFO: trying to register non-static key.',
        'BUG: KASAN: slab-out-of-bounds in vpd_plant_kasan_init+0xbd/0x1000 [vpd_plant_kasan]',
        'BUG: KASAN: slab-use-after-free in f+0x1/0x2',
        'BUG: KFENCE: out-of-bounds read in f+0x1/0x2',
        'BUG: sleeping function called from invalid context at mm/slub.c:4135',
        'BUG: kernel NULL pointer dereference, address: 0000000000000008',
        'workqueue: BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 31s!',
        'BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 31s!',
        'list_add corruption. next->prev should be prev (ffff8880), but was 0000000000000000. (next=ffff8881).',
        'list_del corruption, ffff888006a01820->next is LIST_POISON1 (dead000000000100)',
        'kernel BUG at mm/page_table_check.c:118!',
        'WARNING: CPU: 0 PID: 74 at vpd-plant-warn.c:13 vpd_plant_warn_init+0x1d/0x1000 [vpd_plant_warn]',
        'Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP KASAN',
        'general protection fault, probably for non-canonical address 0xdead: 0000 [#1]',
        'Kernel panic - not syncing: softlockup: hung tasks',
        'UBSAN: array-index-out-of-bounds in src/mm.c:12:3',
    )

    def test_splat_patterns(self):
        for line in self.SPLATS:
            for stamp in ('', '[   12.345678] ', '[   12.345678][    T1] '):
                with self.subTest(line=line, stamp=stamp):
                    rc, r = run(GOOD_CONSOLE + stamp + line + '\n', GOOD_RESULTS)
                    self.assertEqual(rc, 1)
                    self.assertEqual(r['splats'], 1)
                    self.assertEqual(r['splat_lines'], [line])

    # Lines that look like the above but are not splats.
    HARMLESS = (
        'rcu: Hierarchical RCU implementation.',
        'rcu: \tRCU event tracing is enabled.',
        'rcu: RCU calculated value of scheduler-enlistment delay is 25 jiffies.',
        'rcu: srcu_init: Setting srcu_struct sizes based on contention.',
        'watchdog: Delayed init of the lockup detector failed: -19',
        'watchdog: Hard watchdog permanently disabled',
        'NMI watchdog: Perf NMI watchdog permanently disabled',
        'kmemleak: Kernel memory leak detector initialized (mem pool available: 15022)',
        'kmemleak: Automatic memory scanning thread started',
        # counted from /sys/kernel/debug/kmemleak, not from this line
        'kmemleak: 4 new suspected memory leaks (see /sys/kernel/debug/kmemleak)',
        'Kernel command line: console=ttyS0 intel_iommu=on edd=off panic=-1',
        'ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PCI0], AE_NOT_FOUND',
        'x86/cpu: BUG: not a real prefix: BUG: KASAN: slab-out-of-bounds',
        'vfio-pci 0000:00:04.0: WARNING: is not a splat header',
        '        ok 3 BUG: in a test name',
        '    # case: EXPECTATION FAILED at x.c:1 WARNING: text',
        'softlockup: not a watchdog line',
        'Spectre V2 : Mitigation: Retpolines',
        'INFO: NMI handler (perf_event_nmi_handler) took too long to run: 1.2 msecs',
        'INFO: task insmod:80 is blocked on a mutex likely owned by task rmmod:81.',
        'list_add of an entry that went fine',
        'Freeing unused kernel image (initmem) memory: 1236K',
    )

    def test_harmless_lookalikes(self):
        for line in self.HARMLESS:
            with self.subTest(line=line):
                rc, r = run(GOOD_CONSOLE + '[    1.5] ' + line + '\n', GOOD_RESULTS)
                self.assertEqual(rc, 0)
                self.assertEqual(r['splats'], 0)

    def test_list_corruption_counted_once(self):
        msg = ('list_add corruption. prev->next should be next (ffff8880), but was '
               'ffff8881. (prev=ffff8882).')
        warn = ('------------[ cut here ]------------\n' + msg + '\n'
                'WARNING: CPU: 1 PID: 80 at lib/list_debug.c:32 '
                '__list_add_valid_or_report+0x99/0xd0\n'
                'Modules linked in: vfio_pci_dmabuf(O)\n')
        bug = (msg + '\n------------[ cut here ]------------\n'
               'kernel BUG at lib/list_debug.c:32!\n'
               'Oops: invalid opcode: 0000 [#1] SMP KASAN\n')
        for name, text, n in (('warn', warn, 1), ('bug', bug, 2), ('alone', msg + '\n', 1),
                              ('twice', warn + warn, 2)):
            with self.subTest(name):
                rc, r = run(GOOD_CONSOLE + text, GOOD_RESULTS)
                self.assertEqual(rc, 1)
                self.assertEqual(r['splats'], n)
                self.assertTrue(r['splat_lines'][0].startswith('list_add corruption.'))
        # The corruption message and its header are one entry.
        rc, r = run(GOOD_CONSOLE + warn, GOOD_RESULTS)
        self.assertIn('| WARNING: CPU: 1 PID: 80 at lib/list_debug.c:32', r['splat_lines'][0])
        # A header far from the message is a splat of its own.
        far = msg + '\n' + 'x\n' * 10 + 'WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2\n'
        rc, r = run(GOOD_CONSOLE + far, GOOD_RESULTS)
        self.assertEqual(r['splats'], 2)

    def test_soft_lockup_report(self):
        con = GOOD_CONSOLE + (
            'vpd-plant-softlockup: spinning for 5 s\n'
            'watchdog: BUG: soft lockup - CPU#0 stuck for 3s! [insmod:75]\n'
            'Modules linked in: vpd_plant_softlockup(O+) vfio_pci_dmabuf(O)\n'
            'irq event stamp: 653270\n'
            'CPU: 0 UID: 0 PID: 75 Comm: insmod Tainted: G           O       6.12.117 #1\n'
            'Call Trace:\n <TASK>\n vpd_plant_softlockup_init+0x34/0x1000 [vpd_plant_softlockup]\n'
            ' </TASK>\nvpd-plant-softlockup: done\n')
        rc, r = run(con, GOOD_RESULTS)
        self.assertEqual(rc, 1)
        self.assertEqual(r['splats'], 1)

    def test_rcu_stall_report(self):
        con = GOOD_CONSOLE + (
            'rcu: INFO: rcu_preempt self-detected stall on CPU\n'
            'rcu: \t0-....: (2100 ticks this GP) idle=1234/1/0x4000000000000000 '
            'softirq=1/1 fqs=1050\n'
            'rcu: \t(t=2100 jiffies g=1234 q=5 ncpus=2)\n'
            'rcu: INFO: Stall ended before state dump start\n')
        rc, r = run(con, GOOD_RESULTS)
        self.assertEqual(rc, 1)
        self.assertEqual(r['splats'], 1)

    def test_plant_load_failure(self):
        res = GOOD_RESULTS.replace('VPD-SETUP-OK\n', 'VPD-SETUP-OK\nVPD-PLANT-LOAD-FAIL leak\n')
        rc, r = run(GOOD_CONSOLE, res)
        self.assertEqual(rc, 1)
        self.assertEqual(r['problems'], ['VPD-PLANT-LOAD-FAIL leak'])

    def test_kunit_suite_of_a_loaded_module(self):
        # A suite in a module runs when the module loads, outside the
        # harness's KUnit block; its failure still counts.
        con = GOOD_CONSOLE + (
            'KTAP version 1\n1..1\n'
            '    KTAP version 1\n'
            '    # Subtest: vpd_plant_kunit\n'
            '    # module: vpd_plant_kunit\n'
            '    1..1\n'
            '    # vpd_plant_kunit_fails: EXPECTATION FAILED at vpd-plant-kunit.c:12\n'
            '    Expected 1 == 2, but\n'
            '\n'
            'planted failure\n'
            '    # vpd_plant_kunit_fails: pass:0 fail:1 skip:0 total:1\n'
            '    not ok 1 vpd_plant_kunit_fails\n'
            '# vpd_plant_kunit: pass:0 fail:1 skip:0 total:1\n'
            '# Totals: pass:0 fail:1 skip:0 total:1\n'
            'not ok 1 vpd_plant_kunit\n')
        res = GOOD_RESULTS.replace('VPD-KUNIT-BEGIN\nVPD-KUNIT-END\n', '')
        rc, r = run(con, res, kunit=False)
        self.assertEqual(rc, 1)
        self.assertEqual(r['kunit'], {'passed': 2, 'failed': 1, 'skipped': 0})
        self.assertEqual(r['splats'], 0)


INVENTORY = """# a comment
kernels stock-6.1 debug-6.1 debug-6.12 debug-7.3
binary t
test a.b.c
test a.b.d   # SKIP in GOOD_RESULTS
test a.b.e
skip *-6.1,debug-6.12 a.b.d: not before 6.19
kunit debug-* suite cases=2
"""


def tap(*lines):
    """One selftest binary t reporting these TAP result lines."""
    return GOOD_RESULTS.replace('1..3\nok 1 a.b.c\nok 2 a.b.d # SKIP not here\nok 3 a.b.e\n',
                                '1..%d\n%s' % (len(lines), ''.join(l + '\n' for l in lines)))


class Inventory(unittest.TestCase):
    def check(self, kernel='debug-6.12', console=GOOD_CONSOLE, results=GOOD_RESULTS,
              inventory=INVENTORY, extra=(), kunit=True):
        rc, r = run(console, results, kunit=kunit, inventory=inventory,
                    extra=['--kernel-name', kernel] + list(extra))
        inv = r['inventory']
        # Every inventory problem is also a problem of the run.
        self.assertEqual([p['text'] for p in inv['problems']],
                         [p for p in r['problems'] if p.startswith('inventory: ')])
        return rc, r, [p['kind'] for p in inv['problems']], inv

    def test_listed_run_is_green(self):
        rc, r, kinds, inv = self.check()
        self.assertEqual((rc, kinds, r['problems']), (0, [], []))
        self.assertEqual(inv['binaries'], ['t'])
        self.assertEqual(inv['tests_expected'], 3)
        self.assertEqual(inv['skips_allowed'], 1)
        self.assertEqual(inv['kunit_suites'], {'suite': 2})

    def test_missing_test(self):
        rc, r, kinds, _ = self.check(results=tap('ok 1 a.b.c', 'ok 2 a.b.d # SKIP x'))
        self.assertEqual((rc, kinds), (1, ['missing-test']))
        self.assertEqual(r['problems'], ['inventory: missing test t: a.b.e'])
        self.assertEqual(r['selftests']['failed'], 0)

    def test_test_not_listed(self):
        rc, r, kinds, _ = self.check(results=tap('ok 1 a.b.c', 'ok 2 a.b.d # SKIP x',
                                                 'ok 3 a.b.e', 'ok 4 a.b.f'))
        self.assertEqual((rc, kinds), (1, ['unknown-test']))
        self.assertIn('t: a.b.f is not in the inventory', r['problems'][0])

    def test_binary_not_listed(self):
        res = GOOD_RESULTS.replace('VPD-KMEMLEAK-BEGIN', 'VPD-SELFTEST-BEGIN u\n1..1\nok 1 x.y\n'
                                   'VPD-SELFTEST-END u rc=0\nVPD-KMEMLEAK-BEGIN')
        rc, r, kinds, _ = self.check(results=res)
        self.assertEqual((rc, kinds), (1, ['unknown-binary']))
        self.assertEqual(r['problems'], ['inventory: binary u is not in the inventory'])

    def test_missing_binary(self):
        inv = INVENTORY + 'binary v\ntest x.y\n'
        rc, r, kinds, _ = self.check(inventory=inv)
        self.assertEqual((rc, kinds), (1, ['missing-binary']))
        self.assertIn('missing binary v', r['problems'][0])
        # A filter that does not select v: v is not expected...
        rc, r, kinds, _ = self.check(inventory=inv, extra=['--filter', '^t$|kunit'])
        self.assertEqual((rc, kinds), (0, []))
        # ...one that does: v is missing.
        rc, r, kinds, _ = self.check(inventory=inv, extra=['--filter', '^[tv]$|kunit'])
        self.assertEqual((rc, kinds), (1, ['missing-binary']))

    def test_skip_allowed_per_kernel(self):
        for kernel in ('stock-6.1', 'debug-6.1', 'debug-6.12'):
            with self.subTest(kernel):
                rc, r, kinds, inv = self.check(kernel, console='', kunit=False,
                                               extra=['--filter', '^t$'])
                self.assertEqual((rc, kinds), (0, []))
                self.assertEqual(inv['skips_allowed'], 1)
        rc, r, kinds, _ = self.check('debug-7.3')
        self.assertEqual((rc, kinds), (1, ['unexpected-skip']))
        self.assertEqual(r['problems'], ['inventory: skip not allowed on debug-7.3: t: a.b.d'])
        # A skip counts as a skip, not as a failed test.
        self.assertEqual(r['selftests'], {'passed': 2, 'failed': 0, 'skipped': 1})

    def test_allowed_skip_that_passes_is_reported_only(self):
        res = GOOD_RESULTS.replace('ok 2 a.b.d # SKIP not here', 'ok 2 a.b.d')
        rc, r, kinds, inv = self.check(results=res)
        self.assertEqual((rc, kinds), (0, []))
        self.assertEqual(inv['allowed_skips_passed'], ['t: a.b.d'])
        self.assertEqual(inv['skips_allowed'], 0)

    def test_kernel_globs(self):
        inv = INVENTORY.replace('test a.b.e', 'test a.b.e kernels=debug-6.12,debug-7.3')
        # Not expected on 6.1: not missing there, and not listed if it ran.
        rc, r, kinds, _ = self.check('stock-6.1', results=tap('ok 1 a.b.c', 'ok 2 a.b.d'),
                                     console='', kunit=False, inventory=inv,
                                     extra=['--filter', '^t$'])
        self.assertEqual((rc, kinds), (0, []))
        rc, r, kinds, _ = self.check('debug-6.1', console='', kunit=False, inventory=inv,
                                     extra=['--filter', '^t$'])
        self.assertEqual((rc, kinds), (1, ['unknown-test']))
        # "*-6.1" is not "debug-6.12".
        self.assertEqual(self.check('debug-6.12', inventory=inv)[2], [])
        rc, r, kinds, _ = self.check('debug-6.12', results=tap('ok 1 a.b.c', 'ok 2 a.b.d'),
                                     inventory=inv)
        self.assertEqual(kinds, ['missing-test'])

    def test_kunit_suites(self):
        # Missing: a listed suite that never started.
        rc, r, kinds, _ = self.check(console='', kunit=False)
        self.assertEqual((rc, kinds), (1, ['missing-kunit-suite']))
        self.assertEqual(r['problems'], ['inventory: missing KUnit suite suite'])
        # Not expected where the filter leaves KUnit out, nor on a kernel
        # without it; expected where the filter selects it.
        self.assertEqual(self.check(console='', kunit=False, extra=['--filter', '^t$'])[2], [])
        self.assertEqual(self.check('stock-6.1', console='', kunit=False)[2], [])
        self.assertEqual(self.check(console='', kunit=False, extra=['--filter', 'kunit'])[2],
                         ['missing-kunit-suite'])
        # Another number of cases.
        rc, r, kinds, _ = self.check(inventory=INVENTORY.replace('cases=2', 'cases=3'))
        self.assertEqual((rc, kinds), (1, ['kunit-cases']))
        self.assertEqual(r['problems'],
                         ['inventory: KUnit suite suite ran 2 cases, the inventory lists 3'])
        # Not listed (for this kernel).
        rc, r, kinds, _ = self.check(inventory=INVENTORY.replace('kunit debug-* suite cases=2\n', ''))
        self.assertEqual((rc, kinds), (1, ['unknown-kunit-suite']))
        rc, r, kinds, _ = self.check('stock-6.1', extra=['--filter', '^t$'])
        self.assertEqual((rc, kinds), (1, ['unknown-kunit-suite']))

    def test_kunit_cases_not_parameters(self):
        con = ('KTAP version 1\n1..2\n'
               '    KTAP version 1\n    # Subtest: suite\n    1..2\n'
               '        KTAP version 1\n        # Subtest: one\n'
               '        ok 1 p1\n        ok 2 p2\n        ok 3 p3\n'
               '    ok 1 one\n'
               'vfio-pci 0000:00:04.0: resetting\n'
               '    ok 2 two # SKIP no\n'
               '# Totals: pass:3 fail:0 skip:1 total:4\n'
               'ok 1 suite\n'
               '    KTAP version 1\n    # Subtest: other\n    1..1\n    not ok 1 x\n'
               '# Totals: pass:0 fail:1 skip:0 total:1\n'
               'not ok 2 other\n')
        self.assertEqual(pr.kunit_suites(con.split('\n')), {'suite': 2, 'other': 1})

    def test_planted_entries(self):
        inv = (INVENTORY.replace('test a.b.e\n', 'test a.b.e\ntest g.planted plant=failure\n')
               + 'kunit debug-* plantsuite cases=1 plant=kunit\n')
        res = tap('ok 1 a.b.c', 'ok 2 a.b.d # SKIP x', 'ok 3 a.b.e', 'ok 4 g.planted')
        # Without its plant, a planted test is not listed...
        self.assertEqual(self.check(results=res, inventory=inv)[2], ['unknown-test'])
        # ...with it, it is expected.
        self.assertEqual(self.check(results=res, inventory=inv,
                                    extra=['--plant', 'failure'])[2], [])
        self.assertEqual(self.check(inventory=inv, extra=['--plant', 'failure'])[2],
                         ['missing-test'])
        # A plant's KUnit suite runs at its module's load, whatever the filter.
        self.assertEqual(self.check(inventory=inv, extra=['--plant', 'kunit', '--filter', 'none'])[2],
                         ['missing-kunit-suite'])
        plant_con = ('    # Subtest: plantsuite\n    1..1\n    not ok 1 fails\n'
                     '# Totals: pass:0 fail:1 skip:0 total:1\nnot ok 1 plantsuite\n')
        self.assertEqual(self.check(console=plant_con, kunit=False, inventory=inv,
                                    extra=['--plant', 'kunit', '--filter', 'none'])[2], [])
        self.assertEqual(self.check(console=plant_con, kunit=False, inventory=inv,
                                    extra=['--filter', 'none'])[2], ['unknown-kunit-suite'])

    def test_harness_options(self):
        only_c = tap('ok 1 a.b.c')
        for args, results, kinds in (
                ('-t c', only_c, []),
                ('-t c -t e', only_c, ['missing-test']),
                ('-T d -T e', only_c, []),
                ('-T d', only_c, ['missing-test']),
                ('-r a.b.c', only_c, []),
                ('-f a', only_c, ['missing-test', 'missing-test']),
                ('-V b', tap(), []),
                ('-T d -v b', tap('ok 1 a.b.c', 'ok 2 a.b.e'), []),
                # The first match decides: -v b includes a.b.d before -T d.
                ('-v b -T d', tap('ok 1 a.b.c', 'ok 2 a.b.e'), ['missing-test'])):
            with self.subTest(args):
                self.assertEqual(self.check(results=results, extra=['--filter-args', args])[2],
                                 kinds)

    def test_harness_selects(self):
        sel = pr.harness_selects
        self.assertTrue(sel([], 'f.v.t'))
        self.assertTrue(sel(['-t', 't'], 'f.v.t'))
        self.assertFalse(sel(['-t', 'u'], 'f.v.t'))
        self.assertTrue(sel(['-tt'], 'f.v.t'))
        self.assertFalse(sel(['-T', 't'], 'f.v.t'))
        self.assertTrue(sel(['-T', 'u'], 'f.v.t'))
        self.assertFalse(sel(['-T', 't', '-v', 'v'], 'f.v.t'))   # the first match decides
        self.assertTrue(sel(['-v', 'v', '-T', 't'], 'f.v.t'))
        self.assertTrue(sel(['-f', 'f'], 'f.t'))
        self.assertFalse(sel(['-F', 'f'], 'f.t'))
        self.assertTrue(sel(['-r', 'f.t'], 'f.t'))
        self.assertFalse(sel(['-r', 'f.v.t'], 'f.t'))
        self.assertTrue(sel(['-t', 'x'], 'demo'))               # not a harness test

    def test_inventory_errors(self):
        for name, text in (
                ('unknown entry', 'tset a.b.c\n'),
                ('glob matching no kernel', 'test a.b.z kernels=debug-9.9\n'),
                ('stale skip', 'skip * a.x.*: gone\n'),
                ('skip without reason', 'skip * a.b.c\n'),
                ('skip without kernels', 'skip a.b.c: reason\n'),
                ('test listed twice', 'test a.b.c\n'),
                ('unknown option', 'test a.b.z when=never\n'),
                ('cases not a number', 'kunit * other cases=x\n')):
            with self.subTest(name):
                rc, r, kinds, _ = self.check(inventory=INVENTORY + text,
                                             results=GOOD_RESULTS.replace('a.b.z', 'a.b.c'))
                self.assertEqual(rc, 1)
                self.assertIn('inventory-error', kinds)
        rc, r, kinds, _ = self.check(inventory='binary t\ntest x.y\n')
        self.assertIn('inventory-error', kinds)        # no "kernels" line
        rc, r, kinds, _ = self.check('debug-6.13')
        self.assertEqual((rc, kinds), (1, ['unknown-kernel']))

    def test_real_inventory(self):
        inv = pr.Inventory(os.path.join(HERE, '..', '..', 'selftests', 'inventory.txt'))
        self.assertEqual(inv.errors, [])
        self.assertEqual(inv.kernels, ['stock-6.1', 'debug-6.1', 'debug-6.12', 'debug-7.3',
                                       'qemu10-7.3'])
        for b in inv.binaries.values():
            for s in b['skips']:
                self.assertTrue(s['reason'])
        suites = {k: sorted(n for n, e in inv.kunit.items() if inv.applies(e, k, set()))
                  for k in inv.kernels}
        self.assertEqual(suites['stock-6.1'], [])
        self.assertEqual(suites['debug-6.1'], ['vfio_pci_dmabuf_core', 'vfio_pci_dmabuf_glue'])
        # qemu10-7.3 boots the debug-7.3 kernel: it expects the same KUnit suites.
        self.assertEqual(suites['qemu10-7.3'], suites['debug-7.3'])
        # debug-6.1 expects the selftests stock-6.1 expects.
        for b in inv.binaries.values():
            for e in b['tests'].values():
                self.assertEqual(inv.applies(e, 'stock-6.1', set()),
                                 inv.applies(e, 'debug-6.1', set()))


class ReadResults(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, 'results.json')

    def tearDown(self):
        self.dir.cleanup()

    def read(self, *argv):
        import contextlib, io
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = pr.main(list(argv))
        return rc, out.getvalue()

    def test_summary_field_count(self):
        with open(self.path, 'w') as f:
            json.dump({'kernel': '6.12.117', 'kunit': {'passed': 2, 'failed': 1, 'skipped': 0},
                       'selftests': {'passed': 5, 'failed': 0, 'skipped': 3}, 'splats': 1,
                       'kmemleak': 0, 'problems': ['inventory: missing test t: a', 'setup failed'],
                       'splat_lines': ['WARNING: x']}, f)
        # Every splat and problem counts as a failure.
        self.assertEqual(self.read('--summary', self.path), (0, '7 passed, 4 failed, 3 skipped\n'))
        self.assertEqual(self.read('--field', self.path, 'kernel'), (0, '6.12.117\n'))
        self.assertEqual(self.read('--field', self.path, 'kunit.failed'), (0, '1\n'))
        self.assertEqual(self.read('--field', self.path, 'problems'), (0, '2\n'))
        self.assertEqual(self.read('--field', self.path, 'problems.1'), (0, 'setup failed\n'))
        self.assertEqual(self.read('--field', self.path, 'nope')[0], 1)
        self.assertEqual(self.read('--count', self.path, 'problems', '^inventory: '), (0, '1\n'))
        self.assertEqual(self.read('--count', self.path, 'problems', '^(?!inventory: )'),
                         (0, '1\n'))
        self.assertEqual(self.read('--count', self.path, 'kunit', 'x')[0], 1)
        self.assertEqual(self.read('--summary', self.path + '.none')[0], 1)
        self.assertEqual(self.read('--field', self.path)[0], 2)

    def test_early_fail(self):
        rc, _ = self.read('--early-fail', 'module build failed', '--out', self.path,
                          '--kernel', '7.3.4')
        self.assertEqual(rc, 1)
        self.assertEqual(self.read('--summary', self.path), (0, '0 passed, 1 failed, 0 skipped\n'))
        self.assertEqual(self.read('--count', self.path, 'problems', '^module build failed$'),
                         (0, '1\n'))


if __name__ == '__main__':
    unittest.main(verbosity=1)
