/**
 * Store latency per backend against the `main` servers: put, get, and watch (put -> the watch yields the
 * new value), ~200 operations each, p50/p99. The watch limit is the contract's "within 1 s"; the put/get
 * limits are what the agents assume of a healthy local store. A backend still being written is skipped.
 *
 *   node --import tsx test/bench/store.bench.ts [consul|etcd|etcd2|zk ...]
 */
import { randomUUID } from 'node:crypto';
import { service, type ServiceKind } from '../harness/services.js';
import { openStore } from '../../agents/store/open.js';
import type { Store } from '../../agents/store/store.js';
import { percentile, printTable, type BenchRow } from './table.js';

const OPS = 200;
const LIMITS: Record<string, { p50: number; p99: number }> = {
  put: { p50: 20, p99: 100 },
  get: { p50: 10, p99: 50 },
  watch: { p50: 100, p99: 1000 },
};
const BACKENDS: { scheme: string; kind: ServiceKind }[] = [
  { scheme: 'consul', kind: 'consul' },
  { scheme: 'etcd', kind: 'etcd' },
  { scheme: 'etcd2', kind: 'etcd' },
  { scheme: 'zk', kind: 'zk' },
];

async function timed(n: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** put a new value, then wait until the watch has yielded it. */
async function watchLatency(store: Store, n: number): Promise<number[]> {
  const ac = new AbortController();
  let latest = '';
  let wake: (() => void) | undefined;
  const done = (async () => {
    for await (const snap of store.watch('w', { signal: ac.signal, coalesceMs: 0 })) {
      latest = snap.entries.find((e) => e.key === 'w/k')?.value ?? '';
      wake?.();
    }
  })().catch(() => {});
  const seen = (value: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`watch did not deliver ${value} within 5 s`)), 5000);
      wake = () => {
        if (latest !== value) return;
        clearTimeout(timer);
        resolve();
      };
      wake();
    });
  await store.put('w/k', 'start');
  await seen('start');
  const samples = await timed(n, async (i) => {
    const wait = seen(`v${i}`);
    await store.put('w/k', `v${i}`);
    await wait;
  });
  ac.abort();
  await done;
  return samples;
}

async function bench(scheme: string, kind: ServiceKind): Promise<{ op: string; samples: number[] }[] | string> {
  const srv = await service(kind);
  let store: Store;
  try {
    store = await openStore(`${scheme}://${srv.address}/bench/${scheme}-${randomUUID().slice(0, 8)}`, {
      timeoutMs: 5000,
    });
  } catch (err) {
    if (err instanceof Error && /being built/.test(err.message)) return err.message;
    throw err;
  }
  try {
    await store.ping();
    const put = await timed(OPS, (i) => store.put(`kv/k${i % 20}`, `value-${i}`));
    const get = await timed(OPS, async (i) => void (await store.get(`kv/k${i % 20}`)));
    const watch = await watchLatency(store, OPS);
    return [
      { op: 'put', samples: put },
      { op: 'get', samples: get },
      { op: 'watch', samples: watch },
    ];
  } finally {
    await store.deleteTree('').catch(() => {});
    await store.close();
  }
}

const only = process.argv.slice(2);
const summary: string[][] = [];
for (const { scheme, kind } of BACKENDS) {
  if (only.length > 0 && !only.includes(scheme)) continue;
  const result = await bench(scheme, kind);
  if (typeof result === 'string') {
    console.log(`## store ${scheme}: skipped (${result})\n`);
    summary.push([scheme, '-', 'skipped', '-', '-']);
    continue;
  }
  const rows: BenchRow[] = [];
  for (const { op, samples } of result) {
    const [p50, p99] = [percentile(samples, 50), percentile(samples, 99)];
    rows.push({ name: `${op} p50`, value: p50, unit: 'ms', limit: LIMITS[op]!.p50, better: 'lower' });
    rows.push({ name: `${op} p99`, value: p99, unit: 'ms', limit: LIMITS[op]!.p99, better: 'lower' });
    summary.push([scheme, op, p50.toFixed(2), p99.toFixed(2), (p99 / LIMITS[op]!.p99).toFixed(2)]);
  }
  printTable(`store ${scheme} (${OPS} ops each)`, rows);
}

const header = ['backend', 'op', 'p50 ms', 'p99 ms', 'p99/limit'];
const widths = header.map((h, i) => Math.max(h.length, ...summary.map((r) => r[i]!.length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(
  ['## store latency summary', line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...summary.map(line)].join(
    '\n',
  ),
);
