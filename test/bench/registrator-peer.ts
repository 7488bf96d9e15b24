/**
 * shoal registrator next to gliderlabs registrator v7 (../shared/peers/bin/registrator), as a user sees them:
 * from the real `docker run -d` returning to the key answering a GET, and from `docker kill` returning to
 * the key gone. Both agents run at once on the same engine (each sees every container, so both do the same
 * work); trials alternate (ABBA) between timing shoal's key and the peer's key. gliderlabs speaks Consul KV
 * and etcd's v2 API only, so on etcd it is compared with shoal on v3 (`etcd://`) and on v2 (`etcd2://`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { openStore } from '../../agents/store/open.js';
import type { Store } from '../../agents/store/store.js';
import type { EngineHandle } from '../harness/engines.js';
import { rand, storeAddress } from '../registrator/helpers.js';
import { peer } from './peers.js';
import { percentile, type BenchRow } from './table.js';

export type PeerBackend = 'consul' | 'etcd' | 'etcd2';

interface Agent {
  label: string;
  /** Where its keys are read (a store on its prefix). */
  store: Store;
  key(container: string): string;
  child: ChildProcess;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Back-to-back GETs until the key is there (or gone); the time it was first seen so. */
async function until(store: Store, key: string, present: boolean, deadline: number): Promise<number> {
  for (;;) {
    const v = await store.get(key).catch(() => null);
    if (v !== null && (v !== undefined) === present) return performance.now();
    if (performance.now() > deadline) throw new Error(`${key} still ${present ? 'absent' : 'present'}`);
    await tick();
  }
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
}

/** shoal's compiled CLI with the unit's environment (NODE_OPTIONS). */
async function startShoal(cli: string, e: EngineHandle, b: PeerBackend, env: NodeJS.ProcessEnv): Promise<Agent> {
  const uri = `${b}://${await storeAddress(b)}/shoalbench-vs-${rand()}`;
  const child = spawn(process.execPath, [cli, 'registrator', '--internal', '--docker-host', e.dockerHost, uri], {
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  const store = await openStore(uri, { timeoutMs: 5000 });
  return { label: `shoal (${b}://)`, store, key: (n) => `busybox-80/${e.name}:${n}:80`, child };
}

/** gliderlabs v7: `consulkv://` or `etcd://` (v2 API); its key's host part is this machine's hostname. */
async function startGliderlabs(bin: string, e: EngineHandle, b: 'consul' | 'etcd'): Promise<Agent> {
  const prefix = `shoalbench-gl-${rand()}`;
  const addr = await storeAddress(b);
  const uri = b === 'consul' ? `consulkv://${addr}/${prefix}` : `etcd://${addr}/${prefix}`;
  const child = spawn(bin, ['-internal', uri], {
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '', DOCKER_HOST: e.dockerHost, GL_DISABLE_VERSION_CHECK: '1' },
  });
  const store = await openStore(`${b === 'consul' ? 'consul' : 'etcd2'}://${addr}/${prefix}`, { timeoutMs: 5000 });
  return {
    label: `gliderlabs v7 (${b === 'consul' ? 'consulkv' : 'etcd v2'})`,
    store,
    key: (n) => `busybox/${os.hostname()}:${n}:80`,
    child,
  };
}

export interface SideBySide {
  title: string;
  rows: BenchRow[];
}

function summary(label: string, what: string, mine: number[], theirs: number[] | undefined, peerLabel: string) {
  const rows: BenchRow[] = [];
  for (const p of [50, 90, 99]) {
    const limit = theirs ? percentile(theirs, p) : undefined;
    rows.push({
      name: `${label} ${what} p${p}${theirs ? ` (limit: ${peerLabel})` : ''}`,
      value: percentile(mine, p),
      unit: 'ms',
      limit,
      better: 'lower',
    });
  }
  if (theirs)
    for (const p of [50, 90, 99])
      rows.push({ name: `${peerLabel} ${what} p${p}`, value: percentile(theirs, p), unit: 'ms', better: 'lower' });
  return rows;
}

/**
 * `n` trials (half each when the peer runs) of `docker run -d` -> key visible and `docker kill` -> key gone,
 * shoal on `b` next to gliderlabs on the same server (`peerOn`), or shoal alone with a 'peer not found' row.
 */
export async function sideBySide(
  cli: string,
  e: EngineHandle,
  image: string,
  b: PeerBackend,
  n: number,
  env: NodeJS.ProcessEnv,
): Promise<SideBySide> {
  const bin = peer('registrator');
  const peerOn = b === 'consul' ? 'consul' : 'etcd';
  const agents: Agent[] = [await startShoal(cli, e, b, env)];
  if (bin) agents.push(await startGliderlabs(bin, e, peerOn));
  const run: Record<string, number[]> = {};
  const kill: Record<string, number[]> = {};
  const s = rand();
  const docker = async (args: string[]) => (await e.cli(args)).stdout.trim();
  try {
    // both have synced and follow events: a warm-up container shows up under each
    const warm = `warm-${s}`;
    await docker(['run', '-d', '--name', warm, '--expose', '80', image, 'sleep', '600']);
    for (const a of agents) await until(a.store, a.key(warm), true, performance.now() + 60_000);
    await docker(['rm', '-f', warm]);
    for (let i = 0; i < n; i++) {
      const a = agents[agents.length === 1 ? 0 : ([0, 1, 1, 0][i % 4] as number)] as Agent; // ABBA
      const name = `vs${i}-${s}`;
      await docker(['run', '-d', '--name', name, '--expose', '80', image, 'sleep', '600']);
      const t0 = performance.now();
      (run[a.label] ??= []).push((await until(a.store, a.key(name), true, t0 + 30_000)) - t0);
      // the other agent too, untimed, so that the next trial starts from the same state
      for (const o of agents) if (o !== a) await until(o.store, o.key(name), true, performance.now() + 30_000);
      await docker(['kill', name]);
      const t1 = performance.now();
      (kill[a.label] ??= []).push((await until(a.store, a.key(name), false, t1 + 30_000)) - t1);
      for (const o of agents) if (o !== a) await until(o.store, o.key(name), false, performance.now() + 30_000);
      await docker(['rm', '-f', name]);
    }
  } finally {
    for (const a of agents) {
      await stopChild(a.child);
      await a.store.deleteTree('').catch(() => undefined);
      await a.store.close();
    }
  }
  const [me, them] = agents as [Agent, Agent | undefined];
  const rows = [
    ...summary(me.label, 'docker run -> key', run[me.label] ?? [], them && run[them.label], them?.label ?? ''),
    ...summary(me.label, 'docker kill -> key gone', kill[me.label] ?? [], them && kill[them.label], them?.label ?? ''),
  ];
  if (!them)
    rows.push({ name: 'gliderlabs registrator: peer not found', value: Number.NaN, unit: 'ms', better: 'lower' });
  const who = them ? `next to ${them.label}, ${n} interleaved trials` : `${n} trials, peer not found`;
  return { title: `registrator on ${b}: docker command returned -> key (--internal, ${who})`, rows };
}
