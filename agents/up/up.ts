/**
 * `shoal up`: a whole cluster on one machine, step by step with progress: store, engines, the demo image,
 * registrator + join per engine, the manager, the edge (render + HAProxy/Nginx). Every process and file is
 * recorded in the state file as soon as it exists; a failed step rolls back everything (unless
 * --keep-on-error), so `up` either leaves a working cluster or nothing.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, errorMessage } from '../common/errors.js';
import type { Store } from '../store/store.js';
import { startChild, runChild } from './children.js';
import { down } from './down.js';
import { edgeFiles, proxyCommand, renderConfigYaml, templateEnv, templatesDir, type Proxy } from './edge.js';
import { startEngine } from './engines.js';
import { busyboxTarball, DEMO_IMAGE, ensureImage } from './image.js';
import { hostAgents, keyPath, manager, renderer, type ChildSpec } from './plan.js';
import { checkPrerequisites } from './prereq.js';
import { dockerPing, httpGet, tcpOpen, waitUntil } from './probe.js';
import { isAlive, logTail, startDetached, type ProcRecord } from './proc.js';
import { ensureStore, openClusterStore, parseStoreFlag, type StoreKind } from './store.js';
import { newState, readState, stateFile, writeState, type EngineRef, type UpState } from './state.js';
import { clusterTable, parseSystemStatus } from './status.js';
import { progress } from './table.js';
import { runDemo } from './demo.js';
import { declaredCommands } from '../render/parse.js';

export interface UpOptions {
  stateDir: string;
  dataDir: string;
  store: string | undefined;
  storeKind: StoreKind | undefined;
  prefix: string | undefined;
  engines: number;
  dockerHost: string;
  engineAddr: string | undefined;
  manager: { host: string; port: number } | undefined;
  edge: { proxy: Proxy; host: string; port: number } | undefined;
  agents: boolean;
  demo: boolean;
  domain: string;
  /** render's quiescence (MIN[:MAX]). */
  renderWait: string;
  storageDriver: string;
  keepOnError: boolean;
}

export interface Io {
  out: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

class StepError extends Error {}

async function step<T>(io: Io, what: string, fn: () => Promise<T>, detail?: (v: T) => string | undefined): Promise<T> {
  io.out(progress.start(what));
  const t0 = Date.now();
  try {
    const v = await fn();
    io.out(progress.ok(what, Date.now() - t0, detail?.(v)));
    return v;
  } catch (err) {
    io.out(progress.fail(what, errorMessage(err)));
    throw new StepError(`${what}: ${errorMessage(err)}`, { cause: err });
  }
}

/** A child that is still running after `ms` (agents that exit at once, e.g. on bad config, fail here). */
async function stillRunning(p: ProcRecord, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isAlive(p)) throw new Error(`exited:\n${logTail(p.log)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function up(opts: UpOptions, io: Io): Promise<number> {
  const old = readState(opts.stateDir);
  if (old) {
    if (old.processes.some(isAlive)) throw new ConfigError(`shoal up: a cluster is already up (${stateFile(opts.stateDir)}): run 'shoal down' first`, 'stateDir');
    io.out(`cleaning up what a previous 'shoal up' left in ${opts.stateDir}`);
    await down(opts.stateDir, { ...io, out: () => {} });
  }
  await checkPrerequisites(opts);
  const given = opts.store ? parseStoreFlag(opts.store) : undefined;
  const prefix = opts.prefix ?? given?.prefix ?? '';
  const createdDir = !existsSync(opts.stateDir);
  const state: UpState = newState(opts.stateDir, prefix);
  state.createdStateDir = createdDir;
  const logs = path.join(opts.stateDir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  writeState(state);
  const save = () => writeState(state);
  const record = (p: ProcRecord) => {
    state.processes.push(p);
    save();
  };
  let store: Store | undefined;
  try {
    // 1. store
    const s = await step(io, given ? `store ${given.ref.base} (given)` : 'store', async () => {
      if (given) return { ref: given.ref, proc: undefined };
      return ensureStore({ kind: opts.storeKind, stateDir: opts.stateDir });
    }, (v) => `${v.ref.base}${v.ref.started ? ' (started)' : ' (already running: reused)'}`);
    state.store = s.ref;
    if (s.proc) record(s.proc);
    save();
    store = await openClusterStore(s.ref.base, prefix);
    // a read, not ping(): the etcd backend's ping fails on a store URI without a path
    await step(io, 'store answers', async () => void (await store!.list('swarm')));

    // 2. engines
    if (opts.engines > 0) {
      if (!existsSync(opts.dataDir)) state.createdDataDir = opts.dataDir;
      for (let n = 1; n <= opts.engines; n++) {
        const ref = await step(io, `engine ${n}`, () =>
          startEngine(n, { runDir: opts.stateDir, dataDir: opts.dataDir, storageDriver: opts.storageDriver, onProc: record, onBridge: (b) => (state.bridges.push(b), save()), onLeftovers: (l) => ((state.reap ??= []).push(l), save()) }),
        (e) => `${e.name} tcp://${e.addr}`);
        state.engines.push(ref);
        save();
      }
    } else {
      const ref = await step(io, `local engine ${opts.dockerHost}`, () => localEngine(opts, logs, io.env, record), (e) => `${e.name} (manager dials ${e.addr})`);
      state.engines.push(ref);
      save();
    }
    const tar = await busyboxTarball(path.join(opts.stateDir, 'image'));
    if (tar) {
      for (const e of state.engines) {
        const imported = await step(io, `image ${DEMO_IMAGE} on ${e.name}`, () => ensureImage(e.dockerHost, tar, path.join(opts.stateDir, 'docker-cli')), (v) => (v ? 'imported' : 'already there'));
        if (imported) state.images.push({ dockerHost: e.dockerHost, ref: DEMO_IMAGE });
        save();
      }
    } else io.out(`(no statically linked busybox on this host (Debian: busybox-static): ${DEMO_IMAGE} not provided; --demo needs it)`);

    // 3. registrator + join per engine
    if (opts.agents) {
      for (const spec of hostAgents(s.ref.base, prefix, state.engines)) {
        await step(io, spec.name, () => startAgent(spec, logs, io.env, record, store!, state.engines), () => undefined);
      }
    }

    // 4. manager
    if (opts.manager) {
      const listen = `${opts.manager.host}:${opts.manager.port}`;
      const spec = manager(s.ref.base, prefix, listen);
      await step(io, `manager on tcp://${listen}`, async () => {
        if (await tcpOpen(opts.manager!.host, opts.manager!.port)) throw new Error(`${listen} is already in use`);
        const p = startChild(spec, logs, io.env);
        record(p);
        await waitUntil('manager /_ping', () => dockerPing(`tcp://${listen}`), { timeoutMs: 60_000, abort: () => (isAlive(p) ? undefined : `exited:\n${logTail(p.log)}`) });
        state.manager = `tcp://${listen}`;
        save();
        if (opts.agents) await waitUntil('manager sees every engine', async () => (await managerNodes(listen)) >= state.engines.length, { timeoutMs: 60_000, abort: () => (isAlive(p) ? undefined : 'exited') });
        return managerNodes(listen);
      }, (n) => `${n} healthy node(s)`);
    }

    // 5. edge
    if (opts.edge) await startEdge(opts, state, s.ref.base, prefix, logs, io, record);

    state.complete = true;
    save();
    io.out('');
    io.out(await clusterTable(state, store));
    if (opts.demo) {
      // the cluster is up and stays up: a failed demo is reported, not rolled back (down removes its containers)
      try {
        await runDemo(state, store, io, save);
      } catch (err) {
        io.out(progress.fail('demo', errorMessage(err)));
        io.out("the cluster is still up: 'shoal status', 'shoal down'");
        return 1;
      }
    }
    return 0;
  } catch (err) {
    if (!(err instanceof StepError)) io.out(progress.fail('shoal up', errorMessage(err)));
    if (opts.keepOnError) {
      io.out(`left running for inspection: logs in ${logs}; 'shoal down' removes it`);
    } else {
      io.out('rolling back: stopping and removing what was started');
      await store?.close().catch(() => {});
      store = undefined;
      await down(opts.stateDir, io);
    }
    return 1;
  } finally {
    await store?.close().catch(() => {});
  }
}

async function startAgent(spec: ChildSpec, logs: string, env: NodeJS.ProcessEnv, record: (p: ProcRecord) => void, store: Store, engines: EngineRef[]): Promise<void> {
  const p = startChild(spec, logs, env);
  record(p);
  if (spec.role === 'join') {
    const e = engines.find((x) => spec.name === `join-${x.name}`) as EngineRef;
    const key = `swarm/${e.addr}`;
    await waitUntil(`key ${key}`, async () => (await store.get(key)) !== undefined, { timeoutMs: 60_000, abort: () => (isAlive(p) ? undefined : `exited:\n${logTail(p.log)}`) });
  } else {
    await stillRunning(p, 2000);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.once('error', reject);
  });
}

/** Nodes the manager reports Healthy. */
async function managerNodes(listen: string): Promise<number> {
  const r = await httpGet(`http://${listen}/info`);
  const info = JSON.parse(r.body) as { SystemStatus?: [string, string][] };
  return parseSystemStatus(info.SystemStatus ?? []).filter((n) => n.status === 'Healthy').length;
}

async function localEngine(opts: UpOptions, logs: string, env: NodeJS.ProcessEnv, record: (p: ProcRecord) => void): Promise<EngineRef> {
  if (!(await dockerPing(opts.dockerHost))) throw new Error(`no Docker engine answers at ${opts.dockerHost}: start docker, give --docker-host, or use --engines N`);
  const info = JSON.parse(
    (opts.dockerHost.startsWith('unix://')
      ? await httpGet('http://docker/info', { socketPath: opts.dockerHost.slice(7) })
      : await httpGet(`http://${opts.dockerHost.replace(/^tcp:\/\//, '')}/info`)
    ).body,
  ) as { Name: string; Labels?: string[] };
  let addr = opts.engineAddr ?? (opts.dockerHost.startsWith('tcp://') ? opts.dockerHost.slice(6) : undefined);
  if (!addr) {
    // a unix-only engine: a loopback forwarder gives the manager a HOST:PORT to dial
    const port = await freePort();
    addr = `127.0.0.1:${port}`;
    const p = startChild({ name: 'engine-forward', role: 'forward', args: ['up-forward', addr, opts.dockerHost.slice('unix://'.length)] }, logs, env);
    record(p);
    await waitUntil(`forwarder on ${addr}`, () => dockerPing(`tcp://${addr}`), { timeoutMs: 30_000, abort: () => (isAlive(p) ? undefined : `exited:\n${logTail(p.log)}`) });
  }
  const labels: Record<string, string> = {};
  for (const l of info.Labels ?? []) {
    const i = l.indexOf('=');
    if (i > 0) labels[l.slice(0, i)] = l.slice(i + 1);
  }
  return { n: 0, name: info.Name, dockerHost: opts.dockerHost, addr, ip: addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, ''), labels, started: false };
}

async function startEdge(opts: UpOptions, state: UpState, storeBase: string, prefix: string, logs: string, io: Io, record: (p: ProcRecord) => void): Promise<void> {
  const edge = opts.edge!;
  const f = edgeFiles(opts.stateDir, edge.proxy);
  mkdirSync(f.dir, { recursive: true, mode: 0o700 });
  mkdirSync(f.temp, { recursive: true, mode: 0o700 });
  const env = templateEnv(edge.proxy, f, edge);
  const templates = templatesDir();
  const templateReload = edge.proxy === 'haproxy' ? declaredCommands(readFileSync(path.join(templates, 'haproxy.cfg.hbs'), 'utf8')).reload : undefined;
  const rc = { proxy: edge.proxy, files: f, templates, storeUri: `${storeBase}/${keyPath(prefix, 'services')}`, domain: opts.domain, wait: opts.renderWait, templateReload };
  writeFileSync(f.renderConfig, renderConfigYaml(rc));
  writeFileSync(f.renderOnceConfig, renderConfigYaml({ ...rc, reload: false }));
  const url = `http://${edge.host}:${edge.port}`;
  await step(io, `first render (${edge.proxy})`, async () => {
    if (await tcpOpen(edge.host, edge.port)) throw new Error(`${edge.host}:${edge.port} is already in use`);
    const r = await runChild(renderer(f.renderOnceConfig, env, true), io.env);
    if (r.exitCode !== 0) throw new Error(`shoal render --once exited ${r.exitCode}:\n${r.output}`);
    if (!existsSync(f.config)) throw new Error(`${f.config} was not written`);
  });
  await step(io, `${edge.proxy} on ${url}`, async () => {
    const c = proxyCommand(edge.proxy, f);
    const p = startDetached(edge.proxy, c.cmd, c.args, { log: path.join(logs, `${edge.proxy}.log`) });
    record(p);
    await waitUntil(`${edge.proxy} on ${edge.host}:${edge.port}`, () => tcpOpen(edge.host, edge.port), { timeoutMs: 30_000, abort: () => (isAlive(p) ? undefined : `exited:\n${logTail(p.log)}`) });
  });
  await step(io, 'render (watching the store)', async () => {
    const p = startChild(renderer(f.renderConfig, env), logs, io.env);
    record(p);
    await stillRunning(p, 2000);
  });
  state.edge = { proxy: edge.proxy, url, config: f.config };
}
