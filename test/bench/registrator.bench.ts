/**
 * Registrator and joiner benchmarks (engine 8; consul and etcd main instances):
 *   - `docker run -d` -> key visible and `docker kill` -> key gone, from the docker CLI returning, p50/p90/p99,
 *     shoal (compiled, the unit's NODE_OPTIONS) interleaved with gliderlabs registrator v7 in the same run
 *     (registrator-peer.ts; target: shoal at most the peer, ratio <= 1), next to one raw PUT on the store;
 *   - full resync of M running containers: wall time, Docker calls and store calls;
 *   - idle RSS and CPU of `shoal registrator` and `shoal join` on each backend, with the unit's NODE_OPTIONS
 *     (agent-idle.ts; target 45 MB).
 *
 *   npm run bench -- registrator     (BENCH_N=100 trials per backend, BENCH_RESYNC=500,
 *                                     BENCH_ONLY=latency,resync,idle)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
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
import { idleAgent, unitEnv } from './agent-idle.js';
import { sideBySide, type PeerBackend } from './registrator-peer.js';
import { percentile, printTable, type BenchRow } from './table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const N = Number(process.env.BENCH_N ?? 100);
const M = Number(process.env.BENCH_RESYNC ?? 500);
/** Engine 8 is this bench's own; another one (BENCH_ENGINE) is shared: only our own containers are removed. */
const E = Number(process.env.BENCH_ENGINE ?? 8);
const HOST = `dockerhost0${E}`;

async function clear(e: EngineHandle): Promise<void> {
  if (e.n !== 8) return;
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
  const out = `/tmp/shoal-bench-dist-${path.basename(ROOT)}`;
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

const e = await engine(E);
const image = await busyboxImage(e);
await clear(e);
const only = (process.env.BENCH_ONLY ?? 'latency,resync,idle').split(',');
const cli = buildDist();
if (only.includes('latency'))
  for (const b of ['consul', 'etcd', 'etcd2'] as PeerBackend[]) {
    const store = await openStore(`${b}://${await storeAddress(b)}/shoalbench-put-${rand()}`, { timeoutMs: 5000 });
    const puts = await putLatency(store, 100);
    await store.close();
    const { title, rows } = await sideBySide(cli, e, image, b, N, unitEnv('registrator'));
    const put = (p: number): BenchRow => ({
      name: `raw PUT p${p}`,
      value: percentile(puts, p),
      unit: 'ms',
      better: 'lower',
    });
    printTable(title, [...rows, put(50), put(99)]);
    await clear(e);
  }
if (only.includes('resync'))
  printTable(`registrator full resync on consul (net=host containers)`, await resync('consul', e, image));
const s = rand();
if (only.includes('idle')) {
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
  const rows: BenchRow[] = [];
  for (const b of ['consul', 'etcd', 'etcd2', 'zk'] as Backend[]) {
    const uri = `${b}://${await storeAddress(b)}/shoalbench-idle-${s}`;
    const dh = ['--docker-host', e.dockerHost];
    rows.push(
      ...(await idleAgent(cli, `registrator on ${b} (10 containers)`, 'registrator', ['--internal', ...dh, uri])),
    );
    rows.push(...(await idleAgent(cli, `join on ${b}`, 'join', ['--addr', '127.0.1.8:2375', ...dh, `${uri}-j`])));
    const cleanup = await openStore(uri, { timeoutMs: 3000 });
    await cleanup.deleteTree('').catch(() => undefined);
    await cleanup.close();
    const cleanupJ = await openStore(`${uri}-j`, { timeoutMs: 3000 });
    await cleanupJ.deleteTree('').catch(() => undefined);
    await cleanupJ.close();
  }
  printTable("idle agents (compiled JS, the units' NODE_OPTIONS)", rows);
}
await clear(e);
process.exit(0);
