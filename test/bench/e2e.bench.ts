/**
 * End to end through a `shoal up` cluster (3 engines, Consul, manager, HAProxy edge, render with its default
 * wait 500ms:5s): `docker run` through the manager -> a request answered through the edge, 50 runs, p50/p99
 * (target p99 < 2 s), and each stage's share: schedule (create via the manager), start, register (the
 * /services key appears), render (the new backend is in the config on disk), reload (the edge answers).
 */
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { openStore } from '../../agents/store/open.js';
import { httpGet } from '../../agents/up/probe.js';
import { service } from '../harness/index.js';
import { percentile, printTable, type BenchRow } from './table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = Number(process.env.SHOAL_BENCH_RUNS ?? 50);
/** render's quiescence: its own default (the target's "default waits"); SHOAL_BENCH_RENDER_WAIT=200ms:1s is shoal up's. */
const WAIT = process.env.SHOAL_BENCH_RENDER_WAIT ?? '500ms:5s';
const RAND = Math.random().toString(36).slice(2, 8);
const prefix = `bench-e2e-${RAND}`;
const stateDir = path.join(os.tmpdir(), `shoal-bench-e2e-${RAND}`);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

const shoal = (args: string[]) =>
  execa(process.execPath, ['--import', 'tsx', path.join(ROOT, 'agents/cli.ts'), ...args], {
    cwd: ROOT,
    reject: false,
    all: true,
  });

async function api(
  base: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const r = await fetch(`${base}${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return performance.now();
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const consul = await service('consul');
const [mport, eport] = [await freePort(), await freePort()];
const up = await shoal([
  'up',
  '--store',
  `consul://${consul.address}/${prefix}`,
  '--engines',
  '3',
  '--manager',
  `127.0.0.1:${mport}`,
  '--edge',
  `127.0.0.1:${eport}`,
  '--render-wait',
  WAIT,
  '--state-dir',
  stateDir,
]);
if (up.exitCode !== 0) {
  console.error(String(up.all));
  process.exit(1);
}
const manager = `http://127.0.0.1:${mport}`;
const config = path.join(stateDir, 'edge', 'haproxy.cfg');
const store = await openStore(`consul://${consul.address}/${prefix}`, { timeoutMs: 5000 });
const stages = {
  schedule: [] as number[],
  start: [] as number[],
  register: [] as number[],
  render: [] as number[],
  reload: [] as number[],
};
const totals: number[] = [];
const ids: string[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const svc = `bench${i}`;
    const t0 = performance.now();
    const created = await api(manager, 'POST', `/containers/create?name=bench-e2e-${RAND}-${i}`, {
      Image: 'shoal/busybox:latest',
      Cmd: ['httpd', '-f', '-p', '80', '-h', '/www'],
      Env: [`SERVICE_NAME=${svc}`],
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '' }] } },
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.json)}`);
    const id = (created.json as { Id: string }).Id;
    ids.push(id);
    const t1 = performance.now();
    const started = await api(manager, 'POST', `/containers/${id}/start`);
    if (started.status !== 204) throw new Error(`start: ${started.status}`);
    const t2 = performance.now();
    const t3 = await until(async () => (await store.list(`services/${svc}-80`)).length > 0);
    const t4 = await until(() => readFileSync(config, 'utf8').includes(`be_${svc}-80`));
    const t5 = await until(
      async () =>
        (
          await httpGet(`http://127.0.0.1:${eport}/`, { headers: { Host: `${svc}.local` } }).catch(() => ({
            status: 0,
          }))
        ).status === 200,
    );
    stages.schedule.push(t1 - t0);
    stages.start.push(t2 - t1);
    stages.register.push(t3 - t2);
    stages.render.push(t4 - t3);
    stages.reload.push(t5 - t4);
    totals.push(t5 - t0);
  }
} finally {
  await store.close();
  await shoal(['down', '--state-dir', stateDir]);
  rmSync(stateDir, { recursive: true, force: true });
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const all = sum(totals);
const rows: BenchRow[] = [
  {
    name: `docker run -> answered through the edge, p50 (${RUNS} runs)`,
    value: percentile(totals, 50),
    unit: 'ms',
    better: 'lower',
  },
  {
    name: `docker run -> answered through the edge, p99 (${RUNS} runs)`,
    value: percentile(totals, 99),
    unit: 'ms',
    limit: 2000,
    better: 'lower',
  },
  ...Object.entries(stages).flatMap(([k, xs]) => [
    { name: `${k} p50`, value: percentile(xs, 50), unit: 'ms', better: 'lower' as const },
    { name: `${k} share of the total`, value: (100 * sum(xs)) / all, unit: '%', better: 'lower' as const },
  ]),
];
printTable(`end to end (shoal up: 3 engines, Consul, manager, HAProxy; render wait ${WAIT})`, rows);
