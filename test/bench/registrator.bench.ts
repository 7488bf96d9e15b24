/**
 * Registrator and joiner benchmarks (engine 8; consul and etcd main instances):
 *   - event -> key visible: per container, from the Docker `start` event's time to the key answering a GET
 *     (polled back to back; the registrator is a separate compiled process), p50/p99 over N containers, next to raw PUT latency on the same store in the same run
 *     (target: p50 within 2x of one PUT);
 *   - full resync of M running containers: wall time, Docker calls and store calls;
 *   - idle RSS and CPU of `shoal registrator` and `shoal join` (compiled JS, 10 s idle window).
 *
 *   node --import tsx test/bench/registrator.bench.ts        (BENCH_N=200 BENCH_RESYNC=500 by default)
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../agents/common/log.js';
import { DockerClient } from '../../agents/docker/client.js';
import { containerSource } from '../../agents/docker/source.js';
import { pool } from '../../agents/registrator/pool.js';
import { Registrator } from '../../agents/registrator/registrator.js';
import { StoreWriter } from '../../agents/registrator/writer.js';
import { openStore } from '../../agents/store/open.js';
import type { Store } from '../../agents/store/store.js';
import { busyboxImage, engine, type EngineHandle } from '../harness/engines.js';
import { rand, storeAddress, type Backend } from '../registrator/helpers.js';
import { percentile, printTable, type BenchRow } from './table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const N = Number(process.env.BENCH_N ?? 200);
const M = Number(process.env.BENCH_RESYNC ?? 500);
const E = 8;
const HOST = `dockerhost0${E}`;

async function clear(e: EngineHandle): Promise<void> {
  const ids = (await e.cli(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 100) await e.cli(['rm', '-f', ...ids.slice(i, i + 100)]);
}

async function putLatency(store: Store, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await store.put(`raw/k${i}`, `127.0.0.1:${i}`);
    out.push(performance.now() - t0);
  }
  await store.deleteTree('raw');
  return out;
}

async function eventToKey(b: Backend, e: EngineHandle, image: string, cli: string): Promise<BenchRow[]> {
  const s = rand();
  const uri = `${b}://${await storeAddress(b)}/shoalbench-lat-${s}`;
  const store = await openStore(uri, { timeoutMs: 5000 });
  const puts = await putLatency(store, N);
  // the registrator runs as its own process (compiled JS), as in production: the poller here does not share its event loop
  const reg = spawn(process.execPath, [cli, 'registrator', '--internal', '--docker-host', e.dockerHost, uri], {
    stdio: 'ignore',
  });
  const docker = DockerClient.forHost(e.dockerHost);
  const ac = new AbortController();
  const started = new Map<string, number>();
  const waiters = new Map<string, (ms: number) => void>();
  // wall-clock of the start event (timeNano), as Docker reports it
  void (async () => {
    for await (const it of docker.events(ac.signal)) {
      if (it.kind !== 'event' || it.event.action !== 'start') continue;
      const name = it.event.attributes.name ?? '';
      started.set(name, it.event.timeNano / 1e6);
      waiters.get(name)?.(it.event.timeNano / 1e6);
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));
  const lat: number[] = [];
  const inspects: number[] = [];
  try {
    for (let i = 0; i < N; i++) {
      const name = `lat${i}-${s}`;
      const c = await e.docker.createContainer({
        name,
        Image: image,
        Cmd: ['sleep', '600'],
        ExposedPorts: { '80/tcp': {} },
      });
      const evTime = new Promise<number>((resolve) => {
        const known = started.get(name);
        if (known !== undefined) resolve(known);
        else waiters.set(name, resolve);
      });
      await c.start();
      const key = `busybox-80/${HOST}:${name}:80`;
      while ((await store.get(key).catch(() => undefined)) === undefined) await new Promise((r) => setImmediate(r));
      const seen = Date.now();
      lat.push(seen - (await evTime));
      const t0 = performance.now();
      await docker.inspectContainer(name);
      inspects.push(performance.now() - t0);
    }
  } finally {
    ac.abort();
    reg.kill('SIGTERM');
    await new Promise((r) => reg.once('exit', r));
    await store.deleteTree('').catch(() => undefined);
    await store.close();
    await clear(e);
  }
  const putP50 = percentile(puts, 50);
  return [
    { name: `raw PUT p50`, value: putP50, unit: 'ms', better: 'lower' },
    { name: `raw PUT p99`, value: percentile(puts, 99), unit: 'ms', better: 'lower' },
    {
      name: `event->key p50 (limit 2x PUT p50)`,
      value: percentile(lat, 50),
      unit: 'ms',
      limit: 2 * putP50,
      better: 'lower',
    },
    { name: `event->key p99`, value: percentile(lat, 99), unit: 'ms', better: 'lower' },
    { name: `docker inspect p50 (part of every event)`, value: percentile(inspects, 50), unit: 'ms', better: 'lower' },
  ];
}

/** A Store wrapper counting calls. */
function counting(store: Store): { store: Store; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(store, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      return (...args: unknown[]) => {
        calls[prop] = (calls[prop] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

async function resync(b: Backend, e: EngineHandle, image: string): Promise<BenchRow[]> {
  const s = rand();
  await pool(
    Array.from({ length: M }, (_, i) => `rs${i}-${s}`),
    16,
    async (name) => {
      // host network: a /24 bridge cannot hold 500 containers
      const c = await e.docker.createContainer({
        name,
        Image: image,
        Cmd: ['sleep', '900'],
        ExposedPorts: { '80/tcp': {} },
        HostConfig: { NetworkMode: 'host' },
      });
      await c.start();
    },
  );
  const rows: BenchRow[] = [];
  try {
    for (const round of ['empty store', 'in step'] as const) {
      const raw = await openStore(`${b}://${await storeAddress(b)}/shoalbench-rs-${s}`, { timeoutMs: 5000 });
      const { store, calls } = counting(raw);
      const docker = DockerClient.forHost(e.dockerHost);
      const reg = new Registrator(
        containerSource(docker),
        new StoreWriter(store),
        {
          dockerHost: HOST,
          ip: undefined,
          defaultIp: '127.0.1.8',
          internal: false,
          explicit: false,
          useIpFromLabel: undefined,
          tags: [],
          nameSuffix: 'always',
          deregister: 'always',
          healthAware: true,
          cleanup: true,
          retryIntervalMs: 200,
        },
        silentLogger(),
      );
      const ac = new AbortController();
      const t0 = performance.now();
      const running = reg.run(ac.signal);
      while (reg.stats.fullSyncs < 1) await new Promise((r) => setTimeout(r, 5));
      const ms = performance.now() - t0;
      ac.abort();
      await running;
      const entries = (await raw.list('')).length;
      rows.push(
        { name: `resync ${M} (${round}) wall`, value: ms, unit: 'ms', better: 'lower' },
        {
          name: `resync ${M} (${round}) docker calls`,
          value: docker.calls.list + docker.calls.inspect + docker.calls.events,
          unit: 'calls',
          better: 'lower',
        },
        {
          name: `resync ${M} (${round}) store calls`,
          value: Object.values(calls).reduce((a, c) => a + c, 0),
          unit: 'calls',
          better: 'lower',
        },
        { name: `resync ${M} (${round}) entries`, value: entries, unit: 'keys', limit: M, better: 'higher' },
      );
      if (round === 'in step') await raw.deleteTree('');
      await raw.close();
    }
  } finally {
    await clear(e);
  }
  return rows;
}

function buildDist(): string {
  const out = '/tmp/shoal-bench-dist';
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      path.join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      out,
      '--sourceMap',
      'false',
    ],
    { stdio: 'inherit' },
  );
  if (!existsSync(path.join(out, 'node_modules')))
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
  writeFileSync(path.join(out, 'package.json'), JSON.stringify({ type: 'module' }));
  return path.join(out, 'agents/cli.js');
}

function procStat(pid: number): { rssMb: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { rssMb: rssKb / 1024, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

async function idle(cli: string, label: string, args: string[]): Promise<BenchRow[]> {
  mkdirSync('/tmp/shoal-bench-logs', { recursive: true });
  const child = spawn(process.execPath, [cli, ...args], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 8000)); // started, first sync done
    const a = procStat(child.pid as number);
    const windowMs = 10_000;
    await new Promise((r) => setTimeout(r, windowMs));
    const b = procStat(child.pid as number);
    const cpuPct = ((b.cpuTicks - a.cpuTicks) / 100 / (windowMs / 1000)) * 100;
    return [
      { name: `${label} idle RSS`, value: b.rssMb, unit: 'MB', limit: 60, better: 'lower' },
      { name: `${label} idle CPU`, value: cpuPct, unit: '%', limit: 1, better: 'lower' },
    ];
  } finally {
    child.kill('SIGTERM');
  }
}

const e = await engine(E);
const image = await busyboxImage(e);
await clear(e);
const only = (process.env.BENCH_ONLY ?? 'latency,resync,idle').split(',');
const cli = buildDist();
if (only.includes('latency'))
  for (const b of ['consul', 'etcd'] as Backend[])
    printTable(
      `registrator event -> key visible on ${b} (${N} containers, --internal)`,
      await eventToKey(b, e, image, cli),
    );
if (only.includes('resync'))
  printTable(`registrator full resync on consul (net=host containers)`, await resync('consul', e, image));
const c = await storeAddress('consul');
const s = rand();
await pool(
  Array.from({ length: 10 }, (_, i) => `idle${i}-${s}`),
  4,
  async (name) => {
    const ctr = await e.docker.createContainer({
      name,
      Image: image,
      Cmd: ['sleep', '900'],
      ExposedPorts: { '80/tcp': {} },
    });
    await ctr.start();
  },
);
const idleRows = [
  ...(await idle(cli, 'registrator (10 containers)', [
    'registrator',
    '--internal',
    '--docker-host',
    e.dockerHost,
    `consul://${c}/shoalbench-idle-${s}`,
  ])),
  ...(await idle(cli, 'join', [
    'join',
    '--addr',
    '127.0.1.8:2375',
    '--docker-host',
    e.dockerHost,
    `consul://${c}/shoalbench-idlej-${s}`,
  ])),
  // etcd v3 speaks gRPC: @grpc/grpc-js and protobufjs cost ~11 MB more than the consul client
  ...(await idle(cli, 'join on etcd v3', [
    'join',
    '--addr',
    '127.0.1.8:2375',
    '--docker-host',
    e.dockerHost,
    `etcd://${await storeAddress('etcd')}/shoalbench-idlej-${s}`,
  ])),
];
printTable('idle agents (compiled JS)', idleRows);
await clear(e);
const cleanup = await openStore(`consul://${c}/shoalbench-idle-${s}`, { timeoutMs: 3000 });
await cleanup.deleteTree('').catch(() => undefined);
await cleanup.close();
process.exit(0);
