/**
 * Real Docker engines for the tests: engine N (1..9) is a dockerd with its own hostname (dockerhost0N,
 * via a UTS namespace), its own containerd, bridge shoalbrN (172.31.N.1/24), API on
 * unix:///run/shoal-test/dockerN.sock and tcp://127.0.1.N:2375, published ports bound to 127.0.1.N,
 * labelled as `shoal up` labels its engines. Launched with `shoal up`'s code (agents/up/engines.ts); only
 * the paths, addresses, names and the start/reuse by pidfile are the harness's.
 * `engine(n)` starts it or reuses it when its socket answers /_ping. Engines 1..3 are shared: never stop
 * them in a test; 4..9 are for tests that stop or restart dockerd.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import {
  pidAlive,
  readPid,
  startDetached,
  stateDir,
  stopProcess,
  waitFor,
  withLock,
  STATE_DIR,
  holdForProcess,
} from './proc.js';
import { engineCommands, engineLabels, prepareEngine } from '../../agents/up/engines.js';
import type { EngineCommands, EngineSpec } from '../../agents/up/engines.js';

export { engineLabels };

export const RUN_DIR = '/run/shoal-test';
export const DATA_DIR = '/var/lib/shoal-test';
export { BUSYBOX_IMAGE, busyboxImage } from './busybox.js';

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface EngineHandle {
  n: number;
  /** `dockerhost0N`: the engine's hostname, its Name in /info. */
  name: string;
  socket: string;
  dockerHost: string;
  /** `127.0.1.N:2375` */
  tcp: string;
  ip: string;
  bridge: string;
  /** 172.31.N.0/24 */
  subnet: string;
  labels: Record<string, string>;
  docker: Docker;
  /** The real docker CLI against this engine; rejects on a non-zero exit. */
  cli(args: string[], opts?: { input?: string; reject?: boolean }): Promise<CliResult>;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  running(): Promise<boolean>;
}

const names = (n: number) => ({ dockerd: `docker${n}`, containerd: `docker${n}-containerd` });

function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new Error(`engine number must be 1..9, got ${n}`);
}

/** GET /_ping over the unix socket. */
export function ping(socket: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socket)) return resolve(false);
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'OK'));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Does something accept connections on this unix socket (a leftover file does not)? */
function unixOpen(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socket)) return resolve(false);
    const s = net.connect({ path: socket });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Engine n as the harness lays it out (its own run/data folders, addresses, bridge and containerd namespace);
 * agents/up/engines.ts writes its configs and builds its command lines, as for `shoal up --engines`. Pure.
 */
export function testEngineSpec(n: number): EngineSpec {
  const run = (f: string) => path.join(RUN_DIR, f);
  const data = (f: string) => path.join(DATA_DIR, f);
  const config = (f: string) => path.join(STATE_DIR, `docker${n}`, f);
  return {
    n,
    name: `dockerhost0${n}`,
    ip: `127.0.1.${n}`,
    namespace: `shoal${n}`,
    bridge: `shoalbr${n}`,
    bridgeCidr: `172.31.${n}.1/24`,
    socket: run(`docker${n}.sock`),
    pidFile: run(`docker${n}.pid`),
    execRoot: run(`docker${n}-exec`),
    dataRoot: data(`docker${n}`),
    containerdRoot: data(`docker${n}-containerd`),
    containerdState: run(`docker${n}-containerd`),
    containerdSocket: run(`docker${n}-containerd/containerd.sock`),
    containerdConfig: config('containerd.toml'),
    daemonConfig: config('daemon.json'),
  };
}

/** The harness's engines also have IPv6 (fd00:31:N::/64), then a test's own flags. */
export function testEngineCommands(n: number, extra: readonly string[] = []): EngineCommands {
  return engineCommands(testEngineSpec(n), 'vfs', ['--ipv6', `--fixed-cidr-v6=fd00:31:${n}::/64`, ...extra]);
}

/** Extra dockerd flags an engine was started with (engines 4..9 only; e.g. --tlsverify), kept beside its pidfile. */
export interface EngineOptions {
  extraArgs?: string[];
}

const extraFile = (n: number) => path.join(STATE_DIR, `docker${n}.extra.json`);

function runningExtra(n: number): string {
  return existsSync(extraFile(n)) ? readFileSync(extraFile(n), 'utf8') : '[]';
}

async function launch(n: number, socket: string, extra: readonly string[] = []): Promise<void> {
  const spec = testEngineSpec(n);
  prepareEngine(spec);
  const nm = names(n);
  const c = testEngineCommands(n, extra);
  if (readPid(nm.containerd) === undefined) startDetached(nm.containerd, c.containerd.cmd, c.containerd.args);
  await waitFor(`containerd of engine ${n}`, () => unixOpen(spec.containerdSocket), 60_000, nm.containerd);
  writeFileSync(extraFile(n), JSON.stringify(extra));
  startDetached(nm.dockerd, c.dockerd.cmd, c.dockerd.args);
  await waitFor(`dockerd ${n} on ${socket}`, () => ping(socket), 120_000, nm.dockerd);
}

export async function engine(n: number, opts: EngineOptions = {}): Promise<EngineHandle> {
  checkN(n);
  const extra = opts.extraArgs ?? [];
  if (extra.length > 0 && n <= 3) throw new Error(`engine ${n} is shared: extra dockerd flags only on engines 4..9`);
  // engines 4..9 are for files that stop, restart or re-flag them, or assert every container on them:
  // one test file at a time (the lock is held until that process exits)
  // (a helper process of a test that holds the lock sets SHOAL_TEST_ENGINE_HELD=1)
  if (n > 3 && process.env.SHOAL_TEST_ENGINE_HELD !== '1') await holdForProcess(`engine-${n}`);
  const socket = path.join(RUN_DIR, `docker${n}.sock`);
  const ip = `127.0.1.${n}`;
  const nm = names(n);
  const docker = new Docker({ socketPath: socket });
  const handle: EngineHandle = {
    n,
    name: `dockerhost0${n}`,
    socket,
    dockerHost: `unix://${socket}`,
    tcp: `${ip}:2375`,
    ip,
    bridge: `shoalbr${n}`,
    subnet: `172.31.${n}.0/24`,
    labels: engineLabels(n),
    docker,
    async cli(args, opts = {}) {
      const r = await execa('docker', ['-H', `unix://${socket}`, ...args], {
        ...(opts.input !== undefined ? { input: opts.input } : {}),
        reject: opts.reject ?? true,
        env: { DOCKER_CONFIG: stateDir('docker-cli') },
      });
      return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1 };
    },
    running: () => ping(socket),
    async start() {
      if (await ping(socket)) return;
      await withLock(nm.dockerd, async () => {
        if (await ping(socket)) return; // another process started it while we waited
        const pid = readPid(nm.dockerd);
        if (pid !== undefined && pidAlive(pid)) {
          // starting up (or hung): give it time before declaring it dead
          await waitFor(`dockerd ${n} on ${socket}`, () => ping(socket), 120_000, nm.dockerd);
          return;
        }
        await launch(n, socket, extra);
      });
    },
    async stop() {
      // dockerd first (it stops its containers through containerd), then its containerd
      await stopProcess(nm.dockerd, 60_000);
      await stopProcess(nm.containerd, 30_000);
    },
    async restart() {
      await handle.stop();
      await handle.start();
    },
  };
  // an engine 4..9 running with other extra flags than asked for is restarted with these
  if (n > 3 && runningExtra(n) !== JSON.stringify(extra) && (await ping(socket))) await handle.stop();
  await handle.start();
  return handle;
}

/** Is engine n up (without starting it)? */
export function engineRunning(n: number): Promise<boolean> {
  return ping(path.join(RUN_DIR, `docker${n}.sock`));
}

/** Stop every engine this harness started (by pidfile), dockerd before its containerd. */
export async function stopAllEngines(): Promise<void> {
  for (let n = 1; n <= 9; n++) {
    const nm = names(n);
    if (readPid(nm.dockerd) === undefined && readPid(nm.containerd) === undefined) continue;
    await stopProcess(nm.dockerd, 60_000);
    await stopProcess(nm.containerd, 30_000);
  }
}

export { STATE_DIR };
