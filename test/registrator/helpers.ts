/** Shared helpers for the registrator/join tests: run the agent in-process, read the store, wait for keys. */
import { randomBytes } from 'node:crypto';
import { createLogger, silentLogger, type Logger } from '../../agents/common/log.js';
import { loadConfig } from '../../agents/config/load.js';
import { registratorSpec, type RegistratorConfig } from '../../agents/registrator/config.js';
import { runRegistrator } from '../../agents/registrator/main.js';
import type { Pass, Registrator } from '../../agents/registrator/registrator.js';
import { joinSpec, type JoinConfig } from '../../agents/join/config.js';
import { main as joinMain } from '../../agents/join/main.js';
import { openStore } from '../../agents/store/open.js';
import type { KV, Store } from '../../agents/store/store.js';
import { service, type Instance } from '../harness/services.js';

export type Backend = 'consul' | 'etcd' | 'etcd2' | 'zk';
/** The harness server behind each backend (etcd2 is etcd's v2 API). */
export const SERVICE_OF: Record<Backend, 'consul' | 'etcd' | 'zk'> = {
  consul: 'consul',
  etcd: 'etcd',
  etcd2: 'etcd',
  zk: 'zk',
};

export const rand = () => randomBytes(3).toString('hex');

export async function storeAddress(b: Backend, instance: Instance = 'main'): Promise<string> {
  return (await service(SERVICE_OF[b], instance)).address;
}

export const ALL_BACKENDS: Backend[] = ['consul', 'etcd', 'etcd2', 'zk'];

/**
 * The backends to test, each checked to answer first. A server that does not answer fails the whole file
 * with its backend and address named: a dead ZooKeeper must not make the zk cases vanish from a green run.
 */
export async function liveBackends(
  wanted: Backend[] = ALL_BACKENDS,
  addressOf: (b: Backend) => Promise<string> = (b) => storeAddress(b),
): Promise<Backend[]> {
  const down: string[] = [];
  for (const b of wanted) {
    let address = '(no address: the harness could not start it)';
    try {
      address = await addressOf(b);
      const s = await openStore(`${b}://${address}/shoal-probe`, { timeoutMs: 3000 });
      try {
        await s.ping();
      } finally {
        await s.close();
      }
    } catch (err) {
      down.push(`${b} at ${address}: ${(err as Error).message}`);
    }
  }
  if (down.length > 0) throw new Error(`store backends not answering, their tests cannot run:\n  ${down.join('\n  ')}`);
  return wanted;
}

export function testLogger(name: string): Logger {
  return process.env.SHOAL_TEST_LOG ? createLogger({ agent: name, level: 'debug', pretty: false }) : silentLogger();
}

export interface Running {
  stop(): Promise<number>;
  /** Whether main returned (or threw) on its own. */
  settled(): boolean;
}

export function registratorConfig(uri: string, flags: Record<string, unknown>): RegistratorConfig {
  return loadConfig(registratorSpec, {
    flags: { retryInterval: '200ms', storeTimeout: '3s', ...flags },
    positional: uri,
    env: {},
  }).config;
}

export interface RunningRegistrator extends Running {
  /** The running core (its `pass` events, stats, `idle()`); rejects when main ended before it started. */
  core(): Promise<Registrator>;
}

export function startRegistrator(
  uri: string,
  flags: Record<string, unknown>,
  log = testLogger('registrator'),
): RunningRegistrator {
  const ac = new AbortController();
  let onStart!: (started: Promise<Registrator | undefined>) => void;
  const handed = new Promise<Registrator | undefined>((resolve) => (onStart = resolve));
  const ctx = { log, signal: ac.signal, env: {} };
  const done = runRegistrator(registratorConfig(uri, flags), ctx, (h) => onStart(h.started));
  const started = Promise.race([
    handed,
    done.then(
      () => undefined,
      () => undefined,
    ),
  ]);
  let settled = false;
  done.then(
    () => (settled = true),
    () => (settled = true),
  );
  return {
    settled: () => settled,
    async core() {
      const reg = await started;
      if (!reg) throw new Error('the registrator ended before it started');
      return reg;
    },
    async stop() {
      ac.abort(new Error('test done'));
      return done;
    },
  };
}

/**
 * Resolves with the first pass of `reg` from now on for which `pred` holds (passes run one at a time);
 * rejects after `timeoutMs` (generous: a bound on a hang, not a measure).
 */
export function nextPass(reg: Registrator, pred: (p: Pass) => boolean = () => true, timeoutMs = 60_000): Promise<Pass> {
  const pass = new Promise<Pass>((resolve, reject) => {
    const timer = setTimeout(() => {
      reg.off('pass', check);
      reject(new Error(`no matching registrator pass within ${timeoutMs} ms`));
    }, timeoutMs);
    const check = (p: Pass) => {
      if (!pred(p)) return;
      reg.off('pass', check);
      clearTimeout(timer);
      resolve(p);
    };
    reg.on('pass', check);
  });
  pass.catch(() => undefined); // awaited later by the caller: no unhandled rejection meanwhile
  return pass;
}

export function startJoin(uri: string, flags: Record<string, unknown>, log = testLogger('join')): Running {
  const ac = new AbortController();
  const cfg: JoinConfig = loadConfig(joinSpec, {
    flags: { storeTimeout: '3s', ...flags },
    positional: uri,
    env: {},
  }).config;
  const done = joinMain(cfg, { log, signal: ac.signal, env: {} });
  let settled = false;
  done.then(
    () => (settled = true),
    () => (settled = true),
  );
  return {
    settled: () => settled,
    async stop() {
      ac.abort(new Error('test done'));
      return done;
    },
  };
}

export async function readerFor(uri: string): Promise<Store> {
  return openStore(uri, { timeoutMs: 3000 });
}

export async function listOr(store: Store, prefix = ''): Promise<KV[] | undefined> {
  try {
    return await store.list(prefix);
  } catch {
    return undefined;
  }
}

/** Poll until `pred(entries)` holds; returns the entries, or throws with the last ones seen. */
export async function waitEntries(
  store: Store,
  pred: (kvs: KV[]) => boolean,
  timeoutMs = 20_000,
  filter: (kv: KV) => boolean = () => true,
): Promise<KV[]> {
  const deadline = Date.now() + timeoutMs;
  let last: KV[] | undefined;
  for (;;) {
    const all = await listOr(store);
    if (all) {
      last = all.filter(filter);
      if (pred(last)) return last;
    }
    if (Date.now() > deadline) throw new Error(`timed out; last entries: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export function asObject(kvs: KV[]): Record<string, string> {
  return Object.fromEntries(kvs.map((kv) => [kv.key, kv.value]));
}

export function sameKeys(expected: Record<string, string>): (kvs: KV[]) => boolean {
  const want = JSON.stringify(Object.entries(expected).sort());
  return (kvs) => JSON.stringify(kvs.map((kv) => [kv.key, kv.value]).sort()) === want;
}

/** `shoal <args>` as a child process (the real CLI under tsx), logs to a file; `kill` sends SIGKILL. */
export interface Child {
  pid: number;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  exited(): boolean;
}

export async function spawnShoal(args: string[], logName: string): Promise<Child> {
  const { spawn } = await import('node:child_process');
  const { openSync, mkdirSync } = await import('node:fs');
  const { stateDir } = await import('../harness/proc.js');
  mkdirSync(stateDir('registrator-logs'), { recursive: true });
  const out = openSync(`${stateDir('registrator-logs')}/${logName}.log`, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'agents/cli.ts', ...args], {
    cwd: new URL('../../', import.meta.url).pathname,
    stdio: ['ignore', out, out],
    env: { ...process.env, DOCKER_HOST: '' },
  });
  let code: number | null | undefined;
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (c) => {
      code = c;
      resolve(c);
    }),
  );
  return {
    pid: child.pid ?? -1,
    exited: () => code !== undefined,
    async kill(signal = 'SIGKILL') {
      if (code === undefined) child.kill(signal);
      return exit;
    },
  };
}
