/**
 * `shoal manage` benchmarks:
 *  1. scheduling decision time for one create over 1,000 synthetic nodes (pure, no network);
 *  2. `docker run -d` through the manager vs straight to the engine, same run (3 real engines);
 *  3. /info and /containers/json latency with 3 real engines;
 *  4. the same with 1,000 SIMULATED engines (test/bench/manage-sim-engines.ts), plus the manager's RSS.
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { percentile, printTable, type BenchRow } from './table.js';
import { schedule } from '../../agents/manage/scheduler/scheduler.js';
import { filtersByName } from '../../agents/manage/scheduler/filters/index.js';
import { strategyByName } from '../../agents/manage/scheduler/strategies/index.js';
import { FILTERS } from '../../agents/manage/config.js';
import { prepareCreate } from '../../agents/manage/scheduler/request.js';
import type { NodeSnapshot } from '../../agents/manage/scheduler/node.js';
import { engine, busyboxImage } from '../harness/index.js';
import { dockerCli, IMAGE, managerConfig, startTestManager, suffix, waitUntil } from '../manage/helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]) => percentile(xs, 50);

function syntheticNodes(n: number): NodeSnapshot[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `ID${i}`,
    name: `node${i}`,
    addr: `10.0.${i >> 8}.${i & 255}:2375`,
    labels: {
      node: `node${i}`,
      zone: `z${i % 10}`,
      disk: i % 3 ? 'ssd' : 'hdd',
      storagedriver: 'overlay2',
      kernelversion: '6.1',
      operatingsystem: 'linux',
      ostype: 'linux',
    },
    cpus: 8,
    memory: 16 * 1024 ** 3,
    reservedCpus: i % 4,
    reservedMemory: (i % 8) * 1024 ** 3,
    containers: Array.from({ length: 20 }, (_, k) => ({
      id: `${i}-${k}`.padEnd(64, '0'),
      names: [`c${i}-${k}`],
      image: 'app',
      imageId: 'sha256:x',
      labels: { tier: k % 2 ? 'web' : 'db' },
      ports: [{ hostIp: '', hostPort: 20000 + k, proto: 'tcp' as const }],
      state: 'running',
      cpus: 0,
      memory: 0,
    })),
    images: [{ id: 'sha256:x', repoTags: ['app:latest'] }],
    health: 'healthy' as const,
  }));
}

function benchScheduling(): BenchRow[] {
  const nodes = syntheticNodes(1000);
  const { request } = prepareCreate(
    {
      Image: 'app',
      Env: ['constraint:zone!=z3', 'affinity:tier!=~nothing', 'constraint:disk==ssd'],
      HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] }, Memory: 512 * 1024 ** 2 },
    },
    'web',
    'id',
  );
  const opts = { filters: filtersByName(FILTERS), strategy: strategyByName('spread'), overcommit: 0.05 };
  for (let i = 0; i < 20; i++) schedule(request, nodes, opts);
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = process.hrtime.bigint();
    schedule(request, nodes, opts);
    samples.push(ms(t0));
  }
  return [
    {
      name: 'schedule one create, 1,000 nodes x 20 containers, p50',
      value: median(samples),
      unit: 'ms',
      limit: 5,
      better: 'lower',
    },
    {
      name: 'schedule one create, 1,000 nodes x 20 containers, p99',
      value: percentile(samples, 99),
      unit: 'ms',
      limit: 5,
      better: 'lower',
    },
  ];
}

function get(port: number, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http
      .get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(ms(t0)));
      })
      .on('error', reject);
  });
}

async function latency(port: number, p: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await get(port, p));
  return out;
}

async function benchReal(): Promise<BenchRow[]> {
  const e1 = await engine(1);
  await busyboxImage(e1);
  for (const n of [2, 3]) await busyboxImage(await engine(n));
  const tm = await startTestManager(managerConfig('nodes://127.0.1.1:2375,127.0.1.2:2375,127.0.1.3:2375'));
  const port = Number(/:(\d+)$/.exec(tm.host)?.[1]);
  const P = `mgbench${suffix()}`;
  const viaMgr: number[] = [];
  const direct: number[] = [];
  try {
    for (let i = 0; i < 12; i++) {
      let t0 = process.hrtime.bigint();
      await tm.docker(['run', '-d', '--name', `${P}-m${i}`, '-e', 'constraint:node==dockerhost01', IMAGE, 'true']);
      viaMgr.push(ms(t0));
      t0 = process.hrtime.bigint();
      await dockerCli('tcp://127.0.1.1:2375', ['run', '-d', '--name', `${P}-d${i}`, IMAGE, 'true']);
      direct.push(ms(t0));
    }
    const info = await latency(port, '/v1.41/info', 50);
    const ps = await latency(port, '/v1.41/containers/json?all=1', 50);
    const ratio = median(viaMgr) / median(direct);
    return [
      { name: 'docker run -d via manager, median', value: median(viaMgr), unit: 'ms', better: 'lower' },
      { name: 'docker run -d direct to engine, median', value: median(direct), unit: 'ms', better: 'lower' },
      { name: 'docker run -d manager/direct ratio', value: ratio, unit: 'x', limit: 1.1, better: 'lower' },
      { name: '3 engines: GET /info p50', value: median(info), unit: 'ms', better: 'lower' },
      { name: '3 engines: GET /info p99', value: percentile(info, 99), unit: 'ms', limit: 150, better: 'lower' },
      { name: '3 engines: GET /containers/json?all=1 p50', value: median(ps), unit: 'ms', better: 'lower' },
      {
        name: '3 engines: GET /containers/json?all=1 p99',
        value: percentile(ps, 99),
        unit: 'ms',
        limit: 150,
        better: 'lower',
      },
    ];
  } finally {
    await tm.stop();
    const ids = (await e1.cli(['ps', '-aq', '--filter', `name=${P}`])).stdout.toString().split('\n').filter(Boolean);
    if (ids.length) await e1.cli(['rm', '-f', ...ids]);
  }
}

async function benchSimulated(count: number): Promise<BenchRow[]> {
  const base = 31000;
  const sim = execa(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/bench/manage-sim-engines.ts'), String(base), String(count), '5'],
    { cwd: ROOT, reject: false, buffer: false },
  );
  await new Promise<void>((resolve) =>
    sim.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()),
  );
  const mport = 30900;
  const mgr = execa(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'agents/cli.ts'),
      'manage',
      '-H',
      `127.0.0.1:${mport}`,
      '--log-level',
      'warn',
      `nodes://127.0.0.1:[${base}:${base + count - 1}]`,
    ],
    { cwd: ROOT, reject: false },
  );
  try {
    await waitUntil(
      async () => {
        try {
          const r = await dockerCli(`tcp://127.0.0.1:${mport}`, ['info', '--format', '{{json .SystemStatus}}'], {
            reject: false,
          });
          return (r.stdout.match(/"Healthy"/g) ?? []).length === count;
        } catch {
          return false;
        }
      },
      180_000,
      `${count} simulated engines healthy`,
    );
    const info = await latency(mport, '/v1.41/info', 50);
    const ps = await latency(mport, '/v1.41/containers/json', 30);
    const cli: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      await dockerCli(`tcp://127.0.0.1:${mport}`, ['info'], { env: {} });
      cli.push(ms(t0));
    }
    const status = await execa('cat', [`/proc/${mgr.pid}/status`]).catch(() => undefined);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(String(status?.stdout ?? ''))?.[1] ?? NaN);
    return [
      { name: `${count} simulated engines: GET /info p50`, value: median(info), unit: 'ms', better: 'lower' },
      {
        name: `${count} simulated engines: GET /info p99`,
        value: percentile(info, 99),
        unit: 'ms',
        limit: 150,
        better: 'lower',
      },
      { name: `${count} simulated engines: GET /containers/json p50`, value: median(ps), unit: 'ms', better: 'lower' },
      {
        name: `${count} simulated engines: GET /containers/json p99`,
        value: percentile(ps, 99),
        unit: 'ms',
        limit: 150,
        better: 'lower',
      },
      { name: `${count} simulated engines: docker info (CLI) median`, value: median(cli), unit: 'ms', better: 'lower' },
      { name: `${count} simulated engines: manager RSS`, value: rssKb / 1024, unit: 'MiB', better: 'lower' },
    ];
  } finally {
    mgr.kill('SIGTERM');
    await mgr.catch(() => undefined);
    sim.kill('SIGTERM');
    await sim.catch(() => undefined);
  }
}

const only = process.env.MANAGE_BENCH_ONLY;
if (!only || only === 'schedule') printTable('manage: scheduling (pure)', benchScheduling());
if (!only || only === 'real') printTable('manage: 3 real engines', await benchReal());
if (!only || only === 'sim')
  printTable(
    'manage: 1,000 simulated engines (a simulation: test/bench/manage-sim-engines.ts)',
    await benchSimulated(1000),
  );
