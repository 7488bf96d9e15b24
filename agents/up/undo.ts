/**
 * How each kind of `shoal up` step is undone, from what the state records: the processes the step started
 * (newest first, each checked by pid and start time), a started engine's leftovers, bridge and data, an image
 * imported on an engine `up` did not start, the store keys of an engine's agents. `up`'s rollback and
 * `shoal down` (which rebuilds the steps from the journal) run the same undo. Nothing else is touched.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { errorMessage } from '../common/errors.js';
import { deleteBridge, engineLayout, engineLeftovers } from './engines.js';
import { keyPath } from './plan.js';
import { stopRecorded } from './proc.js';
import { reapEngine, type EngineLeftovers } from './reap.js';
import type { StepEntry, StepKind, UpState } from './state.js';
import type { Step, StepJournal } from './steps.js';
import type { TeardownCtx, UpStep } from './types.js';

export async function docker(dockerHost: string, args: string[], stateDir: string) {
  const env = { DOCKER_CONFIG: path.join(stateDir, 'docker-cli'), PATH: process.env.PATH ?? '/usr/bin:/bin' };
  return execa('docker', ['-H', dockerHost, ...args], { reject: false, env, extendEnv: false, timeout: 60_000 });
}

const ok = (ctx: TeardownCtx, s: string) => ctx.out(`ok  ${s}`);

/** Stop the processes tagged with `step` (undefined: those no step claims), newest first. */
export async function stopProcs(ctx: TeardownCtx, step: string | undefined): Promise<void> {
  for (const p of [...ctx.state.processes].reverse()) {
    if (p.step !== step) continue;
    const r = await stopRecorded(p, p.name.startsWith('dockerd') ? 60_000 : 15_000);
    ok(ctx, `${p.name} (pid ${p.pid}) ${r === 'stopped' ? 'stopped' : 'was not running'}`);
  }
}

/** Keys under `<prefix>/services` registered for one of our engines, and our `<prefix>/swarm` entries. Pure. */
export function ourKeys(keys: readonly string[], state: Pick<UpState, 'prefix' | 'engines'>): string[] {
  const services = `${keyPath(state.prefix, 'services')}/`;
  const swarm = `${keyPath(state.prefix, 'swarm')}/`;
  const names = state.engines.map((e) => `${e.name}:`);
  const addrs = new Set(state.engines.map((e) => `${swarm}${e.addr}`));
  const isOurs = (k: string) => names.some((n) => (k.split('/').pop() ?? '').startsWith(n));
  return keys.filter((k) => (k.startsWith(services) && isOurs(k)) || addrs.has(k));
}

/** For a state written before `reap` was recorded: the started engines' layout, from their data folders. Pure. */
export function recordedLeftovers(state: Pick<UpState, 'stateDir' | 'engines'>): EngineLeftovers[] {
  const dataDir = (d: string | undefined) => (d ? path.dirname(d) : path.join(state.stateDir, 'data'));
  return state.engines
    .filter((e) => e.started && e.n > 0)
    .map((e) => engineLeftovers(engineLayout(e.n, state.stateDir, dataDir(e.dataDir))));
}

/**
 * Engine n: its processes, then what an unclean death leaves (shims, their containers, mounts: reap.ts), its
 * bridge, its data. Throws, once all that was tried, when something could not be removed.
 */
async function undoEngine(ctx: TeardownCtx, step: string, n: number): Promise<void> {
  const { state } = ctx;
  await stopProcs(ctx, step);
  const ref = state.engines.find((e) => e.n === n && e.started);
  const socket = engineLayout(n, state.stateDir, '').containerdSocket;
  const leftovers = (state.reap ?? recordedLeftovers(state)).find((l) => l.containerdSocket === socket);
  const failed: string[] = [];
  if (leftovers) {
    const r = await reapEngine(leftovers);
    const { containerdSocket, roots } = leftovers;
    const shims = `${r.killed.length} leftover shim/container process(es)`;
    if (r.killed.length) ok(ctx, `${shims} of ${containerdSocket} stopped`);
    if (r.unmounted.length) ok(ctx, `${r.unmounted.length} leftover mount(s) under ${roots.join(', ')} unmounted`);
    failed.push(...r.stuck.map((m) => `${m} is still mounted`));
  }
  const bridge = engineLayout(n, state.stateDir, '').bridge;
  if (state.bridges.includes(bridge)) {
    deleteBridge(bridge);
    state.bridges = state.bridges.filter((b) => b !== bridge);
    ctx.save();
    ok(ctx, `bridge ${bridge} deleted`);
  }
  const remove = (p: string) => {
    try {
      rmSync(p, { recursive: true, force: true });
      return true;
    } catch (err) {
      failed.push(`${p}: ${errorMessage(err)}`);
      return false;
    }
  };
  if (ref?.dataDir && existsSync(ref.dataDir) && remove(ref.dataDir)) ok(ctx, `data ${ref.dataDir} removed`);
  const top = state.createdDataDir;
  if (top && existsSync(top) && readdirSync(top).length === 0) remove(top);
  if (failed.length) throw new Error(failed.join('; '));
}

/** The demo image, imported on an engine `up` did not start (one it started goes with it). */
async function undoImage(ctx: TeardownCtx, dockerHost: string): Promise<void> {
  const { state } = ctx;
  if (state.engines.some((e) => e.dockerHost === dockerHost && e.started)) return;
  for (const img of state.images.filter((i) => i.dockerHost === dockerHost)) {
    const r = await docker(img.dockerHost, ['rmi', img.ref], state.stateDir);
    const kept = ` kept (${String(r.stderr).trim().split('\n')[0]})`;
    ok(ctx, `image ${img.ref} on ${img.dockerHost}${r.exitCode === 0 ? ' removed' : kept}`);
  }
  state.images = state.images.filter((i) => i.dockerHost !== dockerHost);
  ctx.save();
}

/** An agent of one engine: the process, then that engine's entries in a store that outlives us. */
async function undoAgent(ctx: TeardownCtx, step: string, engineName: string): Promise<void> {
  await stopProcs(ctx, step);
  const engine = ctx.state.engines.find((e) => e.name === engineName);
  const store = engine ? await ctx.foreignStore() : undefined;
  if (!store || !engine) return;
  const keys = [...(await store.list('services')), ...(await store.list('swarm'))].map((kv) => kv.key);
  const mine = ourKeys(keys, { prefix: '', engines: [engine] });
  for (const k of mine) await store.delete(k);
  if (mine.length) ok(ctx, `store: ${mine.length} key(s) of ${engine.name} removed from ${ctx.state.store?.base}`);
}

/** A step of `up` of this kind: its undo is the kind's. */
export function upStep(kind: StepKind, name: string, run: UpStep['run'], arg?: string | number): UpStep {
  const entry = { kind, name, ...(arg === undefined ? {} : { arg }) };
  return { name, entry, run, undo: undoOf(entry) };
}

/** The undo of a journaled step. */
export function undoOf(entry: Omit<StepEntry, 'done'>): (ctx: TeardownCtx) => Promise<void> {
  switch (entry.kind) {
    case 'engine':
      return (ctx) => undoEngine(ctx, entry.name, Number(entry.arg));
    case 'image':
      return (ctx) => undoImage(ctx, String(entry.arg));
    case 'agent':
      return (ctx) => undoAgent(ctx, entry.name, String(entry.arg));
    case 'procs':
      return (ctx) => stopProcs(ctx, entry.name);
  }
}

/**
 * The journaled steps, to undo. A state of an older shoal has no journal: its engines, images and agents'
 * keys stand for it (its processes carry no step: `down` stops them first).
 */
export function journaledSteps(state: UpState): Step<TeardownCtx>[] {
  const started = state.engines.filter((e) => e.started);
  const entries: Omit<StepEntry, 'done'>[] = state.steps ?? [
    ...started.map((e) => ({ kind: 'engine' as const, name: `engine ${e.n}`, arg: e.n })),
    ...state.images.map((i) => ({ kind: 'image' as const, name: `image on ${i.dockerHost}`, arg: i.dockerHost })),
    ...state.engines.map((e) => ({ kind: 'agent' as const, name: `agents of ${e.name}`, arg: e.name })),
  ];
  return entries.map((e) => ({ name: e.name, run: () => Promise.reject(new Error('undo only')), undo: undoOf(e) }));
}

/** The journal in the state file: a step is entered when it starts, marked when done, dropped once undone. */
type Journaled = { name: string; entry?: Omit<StepEntry, 'done'> };

export function stateJournal(ctx: Pick<TeardownCtx, 'state' | 'save'>): StepJournal<Journaled> {
  const entries = () => (ctx.state.steps ??= []);
  return {
    started(step) {
      if (step.entry) entries().push({ ...step.entry, done: false });
      ctx.save();
    },
    done(step) {
      const e = entries().find((x) => x.name === step.name);
      if (e) e.done = true;
      ctx.save();
    },
    undone(step) {
      ctx.state.steps = entries().filter((x) => x.name !== step.name);
      ctx.save();
    },
  };
}
