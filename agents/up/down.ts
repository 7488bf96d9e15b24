/**
 * `shoal down`: stop and remove exactly what `shoal up` recorded: its containers, its processes (newest
 * first, each checked by pid and start time), the store keys of its engines (when the store was not its
 * own), its images on engines it did not start, its bridges, data and state. Nothing else. An engine that
 * died unclean is reaped first (its shims stopped, mounts under its folders unmounted: see reap.ts).
 */
import { rmSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { errorMessage } from '../common/errors.js';
import { deleteBridge, engineLayout, engineLeftovers } from './engines.js';
import { keyPath } from './plan.js';
import { isAlive, stopRecorded } from './proc.js';
import { reapEngine, type EngineLeftovers } from './reap.js';
import { openClusterStore } from './store.js';
import { readState, stateFile, writeState, type UpState } from './state.js';
import type { Io } from './up.js';

async function docker(dockerHost: string, args: string[], stateDir: string) {
  return execa('docker', ['-H', dockerHost, ...args], { reject: false, env: { DOCKER_CONFIG: path.join(stateDir, 'docker-cli'), PATH: process.env.PATH ?? '/usr/bin:/bin' }, extendEnv: false, timeout: 60_000 });
}

/** Keys under `<prefix>/services` registered for one of our engines, and our `<prefix>/swarm` entries. Pure. */
export function ourKeys(keys: readonly string[], state: Pick<UpState, 'prefix' | 'engines'>): string[] {
  const services = `${keyPath(state.prefix, 'services')}/`;
  const swarm = `${keyPath(state.prefix, 'swarm')}/`;
  const names = state.engines.map((e) => `${e.name}:`);
  const addrs = new Set(state.engines.map((e) => `${swarm}${e.addr}`));
  return keys.filter((k) => (k.startsWith(services) && names.some((n) => (k.split('/').pop() ?? '').startsWith(n))) || addrs.has(k));
}

/** For a state written before `reap` was recorded: the started engines' layout, from their data folders. Pure. */
export function recordedLeftovers(state: Pick<UpState, 'stateDir' | 'engines'>): EngineLeftovers[] {
  return state.engines.filter((e) => e.started && e.n > 0).map((e) => engineLeftovers(engineLayout(e.n, state.stateDir, e.dataDir ? path.dirname(e.dataDir) : path.join(state.stateDir, 'data'))));
}

export async function down(stateDir: string, io: Pick<Io, 'out'>): Promise<number> {
  const state = readState(stateDir);
  if (!state) {
    io.out(`nothing to do: no shoal up state in ${stateDir}`);
    return 0;
  }
  const ok = (s: string) => io.out(`ok  ${s}`);
  // containers first, while their engines still run
  for (const c of [...state.containers].reverse()) {
    const r = await docker(c.dockerHost, ['rm', '-f', '-v', c.id], stateDir);
    ok(`container ${c.name}${r.exitCode === 0 ? ' removed' : ' already gone'}`);
  }
  state.containers = [];
  writeState(state);
  for (const img of state.images) {
    if (state.engines.some((e) => e.dockerHost === img.dockerHost && e.started)) continue; // goes with its engine
    const r = await docker(img.dockerHost, ['rmi', img.ref], stateDir);
    ok(`image ${img.ref} on ${img.dockerHost}${r.exitCode === 0 ? ' removed' : ` kept (${String(r.stderr).trim().split('\n')[0]})`}`);
  }
  // processes, newest first: edge, manager, agents, engines (dockerd before its containerd), store last
  const storeProc = state.store?.started ? state.processes.find((p) => p.name === 'consul' || p.name === 'etcd') : undefined;
  for (const p of [...state.processes].reverse()) {
    if (p === storeProc) continue;
    const r = await stopRecorded(p, p.name.startsWith('dockerd') ? 60_000 : 15_000);
    ok(`${p.name} (pid ${p.pid}) ${r === 'stopped' ? 'stopped' : 'was not running'}`);
  }
  // what an engine that died unclean (dockerd/containerd SIGKILLed) leaves: shims, their containers, mounts
  const stuck: string[] = [];
  for (const l of state.reap ?? recordedLeftovers(state)) {
    const r = await reapEngine(l);
    if (r.killed.length) ok(`${r.killed.length} leftover shim/container process(es) of ${l.containerdSocket} stopped`);
    if (r.unmounted.length) ok(`${r.unmounted.length} leftover mount(s) under ${l.roots.join(', ')} unmounted`);
    stuck.push(...r.stuck);
  }
  // the agents' entries in a store that outlives us
  if (state.store && !state.store.started) {
    try {
      const store = await openClusterStore(state.store.base, state.prefix);
      try {
        const keys = [...(await store.list('services')), ...(await store.list('swarm'))].map((kv) => kv.key);
        const mine = [...ourKeys(keys, { prefix: '', engines: state.engines }), ...state.keys];
        for (const k of mine) await store.delete(k);
        ok(`store: ${mine.length} key(s) of this cluster removed from ${state.store.base}`);
      } finally {
        await store.close();
      }
    } catch (err) {
      io.out(`ERR store keys not removed: ${errorMessage(err)}`);
    }
  }
  if (storeProc) {
    const r = await stopRecorded(storeProc);
    ok(`${storeProc.name} (pid ${storeProc.pid}) ${r === 'stopped' ? 'stopped' : 'was not running'}`);
  }
  for (const b of state.bridges) {
    deleteBridge(b);
    ok(`bridge ${b} deleted`);
  }
  const failed: string[] = stuck.map((m) => `${m} is still mounted`);
  const remove = (p: string) => {
    try {
      rmSync(p, { recursive: true, force: true });
      return true;
    } catch (err) {
      failed.push(`${p}: ${errorMessage(err)}`);
      return false;
    }
  };
  for (const e of state.engines) {
    if (e.dataDir && existsSync(e.dataDir) && remove(e.dataDir)) ok(`data ${e.dataDir} removed`);
  }
  if (state.createdDataDir && existsSync(state.createdDataDir) && readdirSync(state.createdDataDir).length === 0) remove(state.createdDataDir);
  const alive = state.processes.filter(isAlive);
  if (alive.length) failed.push(`still running: ${alive.map((p) => `${p.name} (${p.pid})`).join(', ')}`);
  if (failed.length) {
    io.out(`ERR ${failed.join('; ')}; state kept in ${stateFile(stateDir)}`);
    return 1;
  }
  if (state.createdStateDir) remove(stateDir);
  else for (const f of ['state.json', 'logs', 'edge', 'engines', 'image', 'docker-cli', 'consul', 'etcd']) remove(path.join(stateDir, f));
  if (failed.length) {
    io.out(`ERR ${failed.join('; ')}`);
    return 1;
  }
  ok(`state ${stateDir} removed`);
  return 0;
}
