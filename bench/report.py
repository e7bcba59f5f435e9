#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the samples of `scripts/vmtest --bench` runs into the benchmark
report: build/bench/report.json, report.md (also printed), report.rst (the
same tables for Documentation/performance.rst) and PNG plots.

  bench/report.py --out build/bench KERNEL_DIR...

Each KERNEL_DIR holds a run's bench.json (scripts/vm/parse-results
--bench).  For every measurement and driver the report gives the median and
the range (min-max) over the repetitions; a ratio is ours/stock of the
medians.  Under TCG absolute times mean little: the ratios and the counts
(faults) are the result.

report.json has one object per kernel (its name: stock-6.1, perf-6.12, ...)
with at least
  p3_cycle_ratio        {"4k", "2m", "64m"}: mmap + touch + munmap
  p4_revoke_ratio       {"1", "16", "256"}: memory decode off + on
  p7_bytes_per_mapping  {"ours", "stock"}: slab bytes per live mapping (the
                        kmem events' count where the kernel has them, else
                        the growth of Slab in /proc/meminfo)
  bandwidth_ratio       read + write bandwidth, ours/stock
and the details (every measurement's medians and ranges), the goals and
whether each is met, and the raw samples ("samples").
"""
import argparse
import json
import os
import statistics
import sys

# Goals of the comparison (ratios ours/stock, same run).
GOAL_P3 = 1.10
GOAL_P4_256 = 1.20
GOAL_P7_EXTRA = 1024
GOAL_BW_NOISE = 0.05


def summary(values):
    if not values:
        return None
    return {'median': statistics.median(values), 'min': min(values), 'max': max(values),
            'n': len(values)}


def pick(samples, bench, param, driver, key):
    return [s[key] for s in samples
            if s['bench'] == bench and s['param'] == param and s['driver'] == driver
            and key in s]


def ratio(samples, bench, param, key):
    o = pick(samples, bench, param, 'ours', key)
    s = pick(samples, bench, param, 'stock', key)
    if not o or not s or statistics.median(s) == 0:
        return None
    return statistics.median(o) / statistics.median(s)


# (bench, params, key, what): the measurements the report tabulates.
MEASURES = [
    ('touch', ['64m-aligned', '64m-unaligned', '1g-aligned', '1g-unaligned'], 'faults',
     'P1/P2 faults to touch every page'),
    ('touch', ['64m-aligned', '64m-unaligned', '1g-aligned', '1g-unaligned'], 'ns',
     'P1/P2 time to touch every page'),
    ('touch', ['1g-aligned'], 'first_ns', 'first access to a 1 GiB mapping'),
    ('lock', ['baseline', '1g-first-touch'], 'max_write_ns',
     'longest PCI_COMMAND write (waits for memory_lock)'),
    ('cycle', ['4k', '2m', '64m'], 'ns', 'P3 mmap + touch + munmap'),
    ('cycle', ['4k', '2m', '64m'], 'mmap_ns', 'P3 of which mmap'),
    ('cycle', ['4k', '2m', '64m'], 'touch_ns', 'P3 of which touch'),
    ('cycle', ['4k', '2m', '64m'], 'munmap_ns', 'P3 of which munmap'),
    ('cycle', ['4k', '2m', '64m'], 'faults', 'P3 faults per cycle'),
    ('revoke', ['1', '16', '256'], 'ns', 'P4 memory decode off + on'),
    ('revoke', ['1', '16', '256'], 'refault_ns', 'P4 touching the mappings again'),
    ('reset', ['1', '16', '256'], 'ns', 'P4 VFIO_DEVICE_RESET (FLR)'),
    ('kmem', ['256'], 'alloc_bytes_per_mapping', 'P7 slab bytes allocated per live mapping (kmem events)'),
    ('kmem', ['256'], 'slab_bytes_per_mapping', 'P7 Slab growth per live mapping'),
    ('kmem', ['256'], 'pagetable_bytes_per_mapping', 'P7 page-table bytes per live mapping'),
    ('bw', ['64m'], 'write_mbs', 'write bandwidth (MB/s)'),
    ('bw', ['64m'], 'read_mbs', 'read bandwidth (MB/s)'),
    ('export', ['2m', '64m'], 'ns', 'export + mmap + touch + munmap + close (ours)'),
    ('export', ['2m', '64m'], 'faults', 'faults per export cycle (ours)'),
]


def p7_bytes(smp):
    """Slab bytes per live mapping per driver: the kmem events' exact count
    where the kernel has the events, else the growth of Slab."""
    for key in ('alloc_bytes_per_mapping', 'slab_bytes_per_mapping'):
        v = {d: statistics.median(pick(smp, 'kmem', '256', d, key))
             for d in ('ours', 'stock') if pick(smp, 'kmem', '256', d, key)}
        if len(v) == 2:
            return v
    return {}


def analyse(run):
    smp = run['samples']
    k = {
        'release': run.get('release'),
        'kernel_package': run.get('kernel_package'),
        'reps': run.get('info', {}).get('reps'),
        'huge_pfnmap': run.get('info', {}).get('huge_pfnmap'),
        'p3_cycle_ratio': {p: ratio(smp, 'cycle', p, 'ns') for p in ('4k', '2m', '64m')},
        'p4_revoke_ratio': {p: ratio(smp, 'revoke', p, 'ns') for p in ('1', '16', '256')},
        'p4_reset_ratio': {p: ratio(smp, 'reset', p, 'ns') for p in ('1', '16', '256')},
        'p7_bytes_per_mapping': p7_bytes(smp),
        'bandwidth_ratio': ratio(smp, 'bw', '64m', 'mbs'),
        'touch_ratio': {p: ratio(smp, 'touch', p, 'ns')
                        for p in ('64m-aligned', '64m-unaligned', '1g-aligned', '1g-unaligned')},
        'first_touch_1g_ratio': ratio(smp, 'touch', '1g-aligned', 'first_ns'),
        'memory_lock_max_ns': {
            d: statistics.median(pick(smp, 'lock', '1g-first-touch', d, 'max_write_ns'))
            for d in ('ours', 'stock') if pick(smp, 'lock', '1g-first-touch', d, 'max_write_ns')},
        'faults': {p: {d: statistics.median(pick(smp, 'touch', p, d, 'faults'))
                       for d in ('ours', 'stock') if pick(smp, 'touch', p, d, 'faults')}
                   for p in ('64m-aligned', '64m-unaligned', '1g-aligned', '1g-unaligned')},
        'measures': [],
    }
    for bench, params, key, what in MEASURES:
        for p in params:
            o = summary(pick(smp, bench, p, 'ours', key))
            s = summary(pick(smp, bench, p, 'stock', key))
            if o is None and s is None:
                continue
            k['measures'].append({'bench': bench, 'param': p, 'key': key, 'what': what,
                                  'ours': o, 'stock': s,
                                  'ratio': ratio(smp, bench, p, key)})
    goals = {}
    r3 = [v for v in k['p3_cycle_ratio'].values() if v is not None]
    if r3:
        goals['p3_cycle_ratio <= %.2f' % GOAL_P3] = max(r3) <= GOAL_P3
    if k['p4_revoke_ratio'].get('256') is not None:
        goals['p4_revoke_ratio[256] <= %.2f' % GOAL_P4_256] = \
            k['p4_revoke_ratio']['256'] <= GOAL_P4_256
    p7 = k['p7_bytes_per_mapping']
    if 'ours' in p7 and 'stock' in p7:
        goals['p7 ours - stock <= %d bytes' % GOAL_P7_EXTRA] = \
            p7['ours'] - p7['stock'] <= GOAL_P7_EXTRA
    if k['bandwidth_ratio'] is not None:
        goals['bandwidth_ratio 1.00 +- %.2f' % GOAL_BW_NOISE] = \
            abs(k['bandwidth_ratio'] - 1) <= GOAL_BW_NOISE
    k['goals'] = goals
    k['samples'] = smp
    return k


def fmt(v, key):
    if v is None:
        return '-'
    if key.endswith('_ns') or key == 'ns':
        if v >= 1e9:
            return '%.2f s' % (v / 1e9)
        if v >= 1e6:
            return '%.1f ms' % (v / 1e6)
        return '%.0f us' % (v / 1e3)
    if key == 'faults':
        return '%g' % v
    return '%.0f' % v


def cell(s, key):
    if s is None:
        return '-'
    if s['min'] == s['max']:
        return fmt(s['median'], key)
    return '%s (%s-%s)' % (fmt(s['median'], key), fmt(s['min'], key), fmt(s['max'], key))


def markdown(report):
    out = []
    for name, k in report.items():
        out.append('### %s (%s, package %s, %s repetitions, huge_pfnmap %s)\n'
                   % (name, k['release'], k['kernel_package'], k['reps'], k['huge_pfnmap']))
        out.append('| measurement | case | ours: median (min-max) | stock: median (min-max) '
                   '| ours/stock |')
        out.append('|---|---|---|---|---|')
        for m in k['measures']:
            out.append('| %s | %s | %s | %s | %s |' % (
                m['what'], m['param'], cell(m['ours'], m['key']), cell(m['stock'], m['key']),
                '-' if m['ratio'] is None else '%.2f' % m['ratio']))
        out.append('')
        for g, ok in k['goals'].items():
            out.append('- goal %s: %s' % (g, 'met' if ok else '**missed**'))
        out.append('')
    return '\n'.join(out)


def series(smp, bench, points, driver, key, scale=1):
    """x, median, median - min, max - median of @key for each (param, x) of
    @points that has samples."""
    xs, med, lo, hi = [], [], [], []
    for param, x in points:
        v = [scale * e for e in pick(smp, bench, param, driver, key)]
        if v:
            m = statistics.median(v)
            xs.append(x)
            med.append(m)
            lo.append(m - min(v))
            hi.append(max(v) - m)
    return xs, med, lo, hi


def label(ax, xlabel, ylabel, title):
    ax.set_xscale('log', base=2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7)


def save(plt, fig, outdir, name):
    fig.tight_layout()
    f = os.path.join(outdir, name)
    fig.savefig(f, dpi=100)
    plt.close(fig)
    return f


def rst(report):
    """The same tables as reStructuredText (for Documentation/performance.rst)."""
    out = []
    for name, k in report.items():
        title = '%s (%s, package %s, %s repetitions, huge_pfnmap %s)' % (
            name, k['release'], k['kernel_package'], k['reps'], k['huge_pfnmap'])
        out += [title, '-' * len(title), '', '.. list-table::', '   :header-rows: 1', '',
                '   * - measurement', '     - case', '     - ours: median (min-max)',
                '     - stock: median (min-max)', '     - ours/stock']
        for m in k['measures']:
            out += ['   * - %s' % m['what'], '     - %s' % m['param'],
                    '     - %s' % cell(m['ours'], m['key']),
                    '     - %s' % cell(m['stock'], m['key']),
                    '     - %s' % ('-' if m['ratio'] is None else '%.2f' % m['ratio'])]
        out.append('')
        for g, ok in k['goals'].items():
            out.append('- goal ``%s``: %s' % (g, 'met' if ok else '**missed**'))
        out.append('')
    return '\n'.join(out)


def plots(report, outdir):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('report: matplotlib missing (scripts/install-deps installs it): no plots',
              file=sys.stderr)
        return []
    names = list(report)
    files = []
    # Faults vs mapping size, one panel per kernel.
    sizes = {'4k': 4 << 10, '2m': 2 << 20, '64m': 64 << 20, '1g': 1 << 30}
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names):
        smp = report[name]['samples']
        for d, color in (('ours', 'tab:blue'), ('stock', 'tab:orange')):
            for place, style in (('aligned', '-o'), ('unaligned', '--s')):
                xs, ys, _, _ = series(smp, 'touch',
                                      [('%s-%s' % (sz, place), sizes[sz]) for sz in ('64m', '1g')],
                                      d, 'faults')
                if xs:
                    ax.plot(xs, ys, style, color=color, label='%s, %s VA' % (d, place))
            xs, ys, _, _ = series(smp, 'cycle', [(sz, sizes[sz]) for sz in ('4k', '2m', '64m')],
                                  d, 'faults')
            if xs:
                ax.plot(xs, ys, ':^', color=color, label='%s, mmap(NULL)' % d)
        ax.set_yscale('log')
        label(ax, 'mapping size (bytes)', 'faults to touch every page', name)
    files.append(save(plt, fig, outdir, 'faults.png'))
    # Revoke latency vs live mappings.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, bench, title in ((axes[0], 'revoke', 'memory decode off + on'),
                             (axes[1], 'reset', 'VFIO_DEVICE_RESET (FLR)')):
        for name in names:
            smp = report[name]['samples']
            for d, style in (('ours', '-o'), ('stock', '--s')):
                xs, med, lo, hi = series(smp, bench, [(n, int(n)) for n in ('1', '16', '256')],
                                         d, 'ns', 1e-6)
                if xs:
                    ax.errorbar(xs, med, yerr=[lo, hi], fmt=style, capsize=3,
                                label='%s %s' % (name, d))
        label(ax, 'live mappings', 'ms (median, min-max)', title)
    files.append(save(plt, fig, outdir, 'revoke.png'))
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True, help='directory for report.json, report.md, *.png')
    ap.add_argument('runs', nargs='+', help='directories holding bench.json')
    args = ap.parse_args()
    report = {}
    for d in args.runs:
        with open(os.path.join(d, 'bench.json')) as f:
            run = json.load(f)
        report[run['kernel']] = analyse(run)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'report.json'), 'w') as f:
        json.dump(report, f, indent=1)
        f.write('\n')
    md = markdown(report)
    with open(os.path.join(args.out, 'report.md'), 'w') as f:
        f.write(md + '\n')
    with open(os.path.join(args.out, 'report.rst'), 'w') as f:
        f.write(rst(report) + '\n')
    print(md)
    for p in plots(report, args.out):
        print('report: %s' % p)
    print('report: %s' % os.path.join(args.out, 'report.json'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
