/**
 * Swarm-mode services, shoal vs Docker's swarm mode, side by side in one run with the stock docker CLI:
 *  - swarm: a single-node swarm on a dockerd of the bench's own (test/bench/swarm-engine.ts);
 *  - shoal: an in-process `shoal manage` over the 3 harness engines (etcd store; SWARM_BENCH_STORE=consul),
 *    `docker swarm init` through it.
 * Each trial (interleaved, the side that goes first alternating; SWARM_BENCH_TRIALS, default 3), timed from the
 * command's start:
 *  - `service create --replicas 10 --init` until the CLI returns (not --detach: the CLI's own converged wait);
 *  - `service scale -d NAME=50` until 50 task containers run (counted on the engines);
 *  - `service rm` until no task container of the service is left on any engine.
 * Both sides pass `--no-resolve-image` and run `shoal/busybox:latest sleep 3600` (loaded on every engine).
 * Targets: shoal's p50 at most swarm's p50, the scale at most half of it. Also the manager's store requests
 * per reconciler pass (a counting store; passes from shoal_manage_services_passes_total).
 */
import Docker from 'dockerode';
import { execa } from 'execa';
import type { Store } from '../../agents/store/store.js';
import { openStore } from '../../agents/store/open.js';
import { cleanup, IMAGE, sharedEngines, startTestManager, suffix, type TestManager } from '../manage/helpers.js';
import { swarmSetup } from '../manage/swarm-setup.js';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../agents/common/log.js';
import { stateDir } from '../harness/proc.js';
import { startSwarmEngine, stopSwarmEngine } from './swarm-engine.js';
import { percentile, printTable, type BenchRow } from './table.js';

const TRIALS = Number(process.env.SWARM_BENCH_TRIALS ?? 3);
const STORE = process.env.SWARM_BENCH_STORE ?? 'etcd';
const PREFIX = `swb${suffix()}`;
const LABEL = 'com.docker.swarm.service.id';

interface Side {
  name: 'swarm' | 'shoal';
  docker(args: string[]): Promise<string>;
  engines: Docker[];
}

interface Trial {
  create: number;
  scale: number;
  rm: number;
}

function cliOn(host: string): (args: string[]) => Promise<string> {
  const env = { DOCKER_HOST: host, DOCKER_CONFIG: stateDir('docker-cli') };
  return async (args) => String((await execa('docker', args, { env, timeout: 300_000 })).stdout);
}

/** Task containers of a service on the side's engines: how many there are, how many run. */
async function tasks(side: Side, serviceId: string): Promise<{ total: number; running: number }> {
  const lists = await Promise.all(
    side.engines.map((d) => d.listContainers({ all: true, filters: { label: [`${LABEL}=${serviceId}`] } })),
  );
  const all = lists.flat();
  return { total: all.length, running: all.filter((c) => c.State === 'running').length };
}

/** Polls `check` until it holds (true) or `timeoutMs` passes (false). */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** A step that does not finish within this counts as Infinity (the trial goes on; the table says so). */
const STEP_LIMIT_MS = Number(process.env.SWARM_BENCH_STEP_LIMIT_MS ?? 180_000);

const since = (t0: number) => performance.now() - t0;

async function trial(side: Side, n: number, steady?: () => Promise<void>): Promise<Trial> {
  const name = `${PREFIX}-${side.name}-${n}`;
  let t0 = performance.now();
  const out = await side.docker([
    'service',
    'create',
    '--name',
    name,
    '--replicas',
    '10',
    '--init',
    '--no-resolve-image',
    IMAGE,
    'sleep',
    '3600',
  ]);
  const create = since(t0);
  const id = out.split('\n')[0]!.trim();
  const now = await tasks(side, id);
  if (now.running !== 10) console.log(`${side.name} trial ${n}: ${now.running} task containers run after create`);
  t0 = performance.now();
  await side.docker(['service', 'scale', '-d', `${name}=50`]);
  const all = await until(async () => (await tasks(side, id)).running === 50, STEP_LIMIT_MS);
  const scale = all ? since(t0) : Infinity;
  if (steady && all) await steady();
  t0 = performance.now();
  await side.docker(['service', 'rm', name]);
  const gone = await until(async () => (await tasks(side, id)).total === 0, STEP_LIMIT_MS);
  const rm = gone ? since(t0) : Infinity;
  console.log(
    `${side.name} trial ${n}: create ${(create / 1000).toFixed(1)} s, scale ${(scale / 1000).toFixed(1)} s, rm ${(rm / 1000).toFixed(1)} s`,
  );
  return { create, scale, rm };
}

/** Every store call the manager makes is counted (close excepted). */
function counting(store: Store, count: { n: number }): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (prop !== 'close') count.n++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function passes(tm: TestManager): Promise<number> {
  return (await tm.manager.metrics.servicesPasses.get()).values[0]?.value ?? 0;
}

/** Store requests per pass while nothing but the reconciler runs (50 tasks up): over 3 passes or more. */
async function perPass(tm: TestManager, count: { n: number }, out: number[]): Promise<void> {
  const n0 = count.n;
  const p0 = await passes(tm);
  if (!(await until(async () => (await passes(tm)) >= p0 + 3, 60_000))) throw new Error('no 3 reconciler passes');
  out.push((count.n - n0) / ((await passes(tm)) - p0));
  console.log(`shoal: ${out[0]!.toFixed(1)} store requests per reconciler pass (idle, 50 tasks)`);
}

function rows(what: string, swarm: number[], shoal: number[], share: number): BenchRow[] {
  const s = percentile(swarm, 50) / 1000;
  const limit = s * share;
  return [
    { name: `${what}: swarm mode p50`, value: s, unit: 's', better: 'lower' },
    { name: `${what}: shoal p50`, value: percentile(shoal, 50) / 1000, unit: 's', limit, better: 'lower' },
    { name: `${what}: shoal p90`, value: percentile(shoal, 90) / 1000, unit: 's', better: 'lower' },
    { name: `${what}: swarm mode p90`, value: percentile(swarm, 90) / 1000, unit: 's', better: 'lower' },
  ];
}

const teardowns: (() => unknown)[] = [];
let tornDown: Promise<void> | undefined;
const teardown = () =>
  (tornDown ??= (async () => {
    for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch((e: unknown) => console.error(e));
    await stopSwarmEngine();
  })());
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    console.error(`${sig}: tearing down`);
    void teardown().finally(() => process.exit(1));
  });
const holder = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
try {
  const swarm = await startSwarmEngine();
  const engines = await sharedEngines();
  teardowns.push(() => cleanup(engines, PREFIX));
  const { config } = await swarmSetup(holder as never, STORE, 'swbench');
  const count = { n: 0 };
  // the manager's warnings (engines going unhealthy, failed actions) in a file, not between the figures
  const logFile = path.join(stateDir('swarmbench'), 'manager.log');
  const log = createLogger({ agent: 'manage', level: 'warn', destination: createWriteStream(logFile) });
  console.log(`manager log: ${logFile}`);
  // shoal manage's defaults for engine refresh and health (the tests' are tighter, to see failures sooner)
  const defaults = { heartbeatMs: 60_000, refreshMinMs: 30_000, refreshMaxMs: 60_000, pingMs: 5000, failureRetry: 3 };
  const tm = await startTestManager({ ...config, ...defaults }, log, {
    openStore: async (uri, opts) => counting(await openStore(uri, opts), count),
  });
  teardowns.push(() => tm.stop());
  await tm.docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  const sides: Side[] = [
    { name: 'swarm', docker: cliOn(swarm.dockerHost), engines: [swarm.docker] },
    { name: 'shoal', docker: cliOn(tm.host), engines: engines.map((e) => e.docker) },
  ];
  const results: Record<Side['name'], Trial[]> = { swarm: [], shoal: [] };
  const idle: number[] = [];
  for (let i = 0; i < TRIALS; i++)
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
      const steady = side.name === 'shoal' && i === 0 ? () => perPass(tm, count, idle) : undefined;
      results[side.name].push(await trial(side, i, steady));
    }
  const col = (side: Side['name'], k: keyof Trial) => results[side].map((t) => t[k]);
  printTable(`swarm-mode services: shoal (3 engines, ${STORE}) vs swarm mode (1 node), ${TRIALS} trials each`, [
    ...rows('service create --replicas 10, CLI return', col('swarm', 'create'), col('shoal', 'create'), 1),
    ...rows('service scale 10->50, all running', col('swarm', 'scale'), col('shoal', 'scale'), 0.5),
    ...rows('service rm, no task container left', col('swarm', 'rm'), col('shoal', 'rm'), 1),
    { name: 'store requests per reconciler pass, 50 tasks, idle', value: idle[0] ?? NaN, unit: 'req', better: 'lower' },
  ]);
} finally {
  await teardown();
}
