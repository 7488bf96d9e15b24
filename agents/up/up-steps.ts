/**
 * The steps of `shoal up`, in order: store, engines, the demo image, registrator + join per engine, the
 * manager, the edge (edge-steps.ts). A lazy list: later steps are built from what earlier ones recorded (the
 * engines' names). Each step records what it makes as soon as it exists; its undo is undo.ts's for its kind.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startChild } from './children.js';
import { edgeSteps } from './edge-steps.js';
import { startEngine } from './engines.js';
import { busyboxTarball, DEMO_IMAGE, ensureImage } from './image.js';
import { localEngine, managerNodes, stillRunning } from './local.js';
import { hostAgents, manager, type ChildSpec } from './plan.js';
import { dockerPing, tcpOpen, waitUntil } from './probe.js';
import { isAlive, logTail } from './proc.js';
import { ensureStore, openClusterStore, parseStoreFlag } from './store.js';
import type { UpCtx, UpStep } from './types.js';
import { upStep } from './undo.js';

function storeSteps(ctx: UpCtx): UpStep[] {
  const { opts, state } = ctx;
  const given = opts.store ? parseStoreFlag(opts.store) : undefined;
  const name = given ? `store ${given.ref.base} (given)` : 'store';
  const start = upStep('procs', name, async () => {
    const started = () => ensureStore({ kind: opts.storeKind, stateDir: opts.stateDir });
    const s = given ? { ref: given.ref, proc: undefined } : await started();
    state.store = s.ref;
    if (s.proc) ctx.record(name, s.proc);
    ctx.save();
    ctx.setStore(await openClusterStore(s.ref.base, state.prefix));
    return `${s.ref.base}${s.ref.started ? ' (started)' : ' (already running: reused)'}`;
  });
  // a read, not ping(): the etcd backend's ping fails on a store URI without a path
  const answers = upStep('procs', 'store answers', async () => void (await ctx.store().list('swarm')));
  return [start, answers];
}

function engineStep(ctx: UpCtx, n: number): UpStep {
  const { opts, state } = ctx;
  const name = `engine ${n}`;
  return upStep(
    'engine',
    name,
    async () => {
      const ref = await startEngine(n, {
        runDir: opts.stateDir,
        dataDir: opts.dataDir,
        storageDriver: opts.storageDriver,
        onProc: (p) => ctx.record(name, p),
        onBridge: (b) => (state.bridges.push(b), ctx.save()),
        onLeftovers: (l) => ((state.reap ??= []).push(l), ctx.save()),
      });
      state.engines.push(ref);
      ctx.save();
      return `${ref.name} tcp://${ref.addr}`;
    },
    n,
  );
}

function localEngineStep(ctx: UpCtx): UpStep {
  const name = `local engine ${ctx.opts.dockerHost}`;
  return upStep('procs', name, async () => {
    const ref = await localEngine(ctx.opts, ctx.logs, ctx.io.env, (p) => ctx.record(name, p));
    ctx.state.engines.push(ref);
    ctx.save();
    return `${ref.name} (manager dials ${ref.addr})`;
  });
}

function imageStep(ctx: UpCtx, dockerHost: string, engineName: string, tar: string): UpStep {
  return upStep(
    'image',
    `image ${DEMO_IMAGE} on ${engineName}`,
    async () => {
      const imported = await ensureImage(dockerHost, tar, path.join(ctx.opts.stateDir, 'docker-cli'));
      if (imported) ctx.state.images.push({ dockerHost, ref: DEMO_IMAGE });
      ctx.save();
      return imported ? 'imported' : 'already there';
    },
    dockerHost,
  );
}

/** registrator or join of one engine; join is ready once its key is in the store. */
function agentStep(ctx: UpCtx, spec: ChildSpec): UpStep {
  const engine = ctx.state.engines.find((x) => spec.name === `${spec.role}-${x.name}`);
  if (!engine) throw new Error(`${spec.name}: no such engine`);
  return upStep(
    'agent',
    spec.name,
    async () => {
      const p = startChild(spec, ctx.logs, ctx.io.env);
      ctx.record(spec.name, p);
      if (spec.role !== 'join') return stillRunning(p, 2000);
      const key = `swarm/${engine.addr}`;
      const abort = () => (isAlive(p) ? undefined : `exited:\n${logTail(p.log)}`);
      await waitUntil(`key ${key}`, async () => (await ctx.store().get(key)) !== undefined, {
        timeoutMs: 60_000,
        abort,
      });
    },
    engine.name,
  );
}

function managerStep(ctx: UpCtx, at: { host: string; port: number }): UpStep {
  const listen = `${at.host}:${at.port}`;
  const name = `manager on tcp://${listen}`;
  return upStep('procs', name, async () => {
    if (await tcpOpen(at.host, at.port)) throw new Error(`${listen} is already in use`);
    const spec = manager(ctx.state.store?.base ?? '', ctx.state.prefix, listen);
    const p = startChild(spec, ctx.logs, ctx.io.env);
    ctx.record(name, p);
    const abort = () => (isAlive(p) ? undefined : `exited:\n${logTail(p.log)}`);
    await waitUntil('manager /_ping', () => dockerPing(`tcp://${listen}`), { timeoutMs: 60_000, abort });
    ctx.state.manager = `tcp://${listen}`;
    ctx.save();
    if (ctx.opts.agents) {
      const all = async () => (await managerNodes(listen)) >= ctx.state.engines.length;
      const exited = () => (isAlive(p) ? undefined : 'exited');
      await waitUntil('manager sees every engine', all, { timeoutMs: 60_000, abort: exited });
    }
    return `${await managerNodes(listen)} healthy node(s)`;
  });
}

const NO_BUSYBOX = 'no statically linked busybox on this host (Debian: busybox-static)';

export async function* upSteps(ctx: UpCtx): AsyncGenerator<UpStep> {
  const { opts, state } = ctx;
  yield* storeSteps(ctx);
  if (opts.engines > 0) {
    if (!existsSync(opts.dataDir)) state.createdDataDir = opts.dataDir;
    for (let n = 1; n <= opts.engines; n++) yield engineStep(ctx, n);
  } else {
    yield localEngineStep(ctx);
  }
  const tar = await busyboxTarball(path.join(opts.stateDir, 'image'));
  if (tar) for (const e of [...state.engines]) yield imageStep(ctx, e.dockerHost, e.name, tar);
  else ctx.io.out(`(${NO_BUSYBOX}: ${DEMO_IMAGE} not provided; --demo needs it)`);
  if (opts.agents) {
    for (const spec of hostAgents(state.store?.base ?? '', state.prefix, state.engines)) yield agentStep(ctx, spec);
  }
  if (opts.manager) yield managerStep(ctx, opts.manager);
  if (opts.edge) yield* edgeSteps(ctx, opts.edge);
}
