/**
 * `shoal up --engines N`: N labelled Docker engines on loopback, each a dockerd with its own hostname
 * (dockerhost0N, a UTS namespace), its own containerd, bridge shoalupN (172.30.N.1/24), API on a unix
 * socket in the state dir and tcp://127.0.2.N:2375, published ports bound to 127.0.2.N.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dockerPing, waitUntil } from './probe.js';
import { isAlive, logTail, startDetached, type ProcRecord } from './proc.js';
import type { EngineLeftovers } from './reap.js';
import { shellQuote } from '../common/shell.js';
import type { EngineRef } from './state.js';

/** The seed's three hosts, then plain workers. Pure. */
export function engineLabels(n: number): Record<string, string> {
  switch (n) {
    case 1:
      return { zone: 'external', disk: 'ssd', status: 'master' };
    case 2:
      return { zone: 'external', disk: 'hdd', status: 'worker' };
    case 3:
      return { zone: 'internal', disk: 'ssd', status: 'worker' };
    default:
      return { zone: 'internal', disk: 'hdd', status: 'worker' };
  }
}

export interface EngineLayout {
  n: number;
  name: string;
  ip: string;
  bridge: string;
  bridgeCidr: string;
  socket: string;
  execRoot: string;
  /** Everything the engine stores (docker and containerd roots); removed by `down` if `up` made it. */
  engineDir: string;
  dataRoot: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  containerdConfig: string;
  /** daemon.json naming the engine's own key file (dockerd has no flag for it). */
  daemonConfig: string;
}

/** Where everything of engine n lives. Pure. */
export function engineLayout(n: number, runDir: string, dataDir: string): EngineLayout {
  const run = path.join(runDir, 'engines');
  return {
    n,
    name: `dockerhost${String(n).padStart(2, '0')}`,
    ip: `127.0.2.${n}`,
    bridge: `shoalup${n}`,
    bridgeCidr: `172.30.${n}.1/24`,
    socket: path.join(run, `docker${n}.sock`),
    execRoot: path.join(run, `docker${n}-exec`),
    engineDir: path.join(dataDir, `engine${n}`),
    dataRoot: path.join(dataDir, `engine${n}`, 'docker'),
    containerdRoot: path.join(dataDir, `engine${n}`, 'containerd'),
    containerdState: path.join(run, `containerd${n}`),
    containerdSocket: path.join(run, `containerd${n}`, 'containerd.sock'),
    containerdConfig: path.join(run, `containerd${n}.toml`),
    daemonConfig: path.join(run, `docker${n}.json`),
  };
}

/** Where engine n's leftovers are after an unclean death: shims of its containerd, mounts under its folders. Pure. */
export function engineLeftovers(l: EngineLayout): EngineLeftovers {
  return { containerdSocket: l.containerdSocket, containerdState: l.containerdState, roots: [l.engineDir, l.execRoot, l.containerdState] };
}

/** dockerd's flags for engine n. Pure. */
export function dockerdArgs(l: EngineLayout, storageDriver: string): string[] {
  const labels = Object.entries(engineLabels(l.n)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  return [
    '--iptables=false',
    '--ip6tables=false',
    `--storage-driver=${storageDriver}`,
    '--data-root', l.dataRoot,
    // Its own key (engine ID) instead of /etc/docker/key.json, which every engine would share.
    '--config-file', l.daemonConfig,
    '--exec-root', l.execRoot,
    '--pidfile', path.join(path.dirname(l.socket), `docker${l.n}.pid`),
    '--containerd', l.containerdSocket,
    '--containerd-namespace', `shoalup${l.n}`,
    '--containerd-plugins-namespace', `shoalup${l.n}-plugins`,
    '-H', `unix://${l.socket}`,
    '-H', `tcp://${l.ip}:2375`,
    `--bridge=${l.bridge}`,
    `--ip=${l.ip}`,
    ...labels,
  ];
}

function containerdToml(l: EngineLayout): string {
  return [
    'version = 2',
    `root = "${l.containerdRoot}"`,
    `state = "${l.containerdState}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]',
    `  address = "${l.containerdSocket}"`,
    '[ttrpc]',
    `  address = "${l.containerdSocket}.ttrpc"`,
    '[debug]',
    `  address = "${l.containerdSocket}.debug"`,
    '[metrics]',
    '  address = ""',
    '',
  ].join('\n');
}

const ip = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** Create the bridge if missing; returns whether we created it (then `down` deletes it). */
function ensureBridge(l: EngineLayout): boolean {
  let created = false;
  try {
    ip(['link', 'show', l.bridge]);
  } catch {
    ip(['link', 'add', l.bridge, 'type', 'bridge']);
    created = true;
  }
  if (!ip(['-4', 'addr', 'show', 'dev', l.bridge]).includes(l.bridgeCidr)) ip(['addr', 'add', l.bridgeCidr, 'dev', l.bridge]);
  ip(['link', 'set', l.bridge, 'up']);
  return created;
}

export function deleteBridge(name: string): void {
  try {
    ip(['link', 'del', name]);
  } catch {
    /* already gone */
  }
}

export interface StartedEngine {
  ref: EngineRef;
  procs: ProcRecord[];
}

/** Start engine n; `onProc` records each process as soon as it exists (so a failure can be rolled back). */
export async function startEngine(n: number, opts: { runDir: string; dataDir: string; storageDriver: string; onProc: (p: ProcRecord) => void; onBridge: (name: string) => void; onLeftovers: (l: EngineLeftovers) => void }): Promise<EngineRef> {
  const l = engineLayout(n, opts.runDir, opts.dataDir);
  const dockerHost = `unix://${l.socket}`;
  if (await dockerPing(dockerHost)) throw new Error(`engine ${l.name}: ${l.socket} already answers (another shoal up?)`);
  for (const d of [path.dirname(l.socket), l.containerdState, l.execRoot]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const dataExisted = existsSync(l.engineDir);
  mkdirSync(l.dataRoot, { recursive: true, mode: 0o700 });
  if (ensureBridge(l)) opts.onBridge(l.bridge);
  writeFileSync(l.containerdConfig, containerdToml(l));
  writeFileSync(l.daemonConfig, JSON.stringify({ 'deprecated-key-path': path.join(l.dataRoot, 'key.json') }) + '\n');
  const logs = path.join(opts.runDir, 'logs');
  opts.onLeftovers(engineLeftovers(l));
  const cd = startDetached(`containerd-${l.name}`, 'containerd', ['--config', l.containerdConfig], { log: path.join(logs, `containerd-${l.name}.log`) });
  opts.onProc(cd);
  await waitUntil(`containerd of ${l.name}`, async () => existsSync(l.containerdSocket), { timeoutMs: 60_000, abort: () => (isAlive(cd) ? undefined : `exited:\n${logTail(cd.log)}`) });
  const cmd = `hostname ${l.name}; exec dockerd ${dockerdArgs(l, opts.storageDriver).map(shellQuote).join(' ')}`;
  const dd = startDetached(`dockerd-${l.name}`, 'unshare', ['--uts', 'sh', '-c', cmd], { log: path.join(logs, `dockerd-${l.name}.log`) });
  opts.onProc(dd);
  await waitUntil(`dockerd ${l.name} on ${l.socket}`, () => dockerPing(dockerHost), { timeoutMs: 120_000, abort: () => (isAlive(dd) ? undefined : `exited:\n${logTail(dd.log)}`) });
  return { n, name: l.name, dockerHost, addr: `${l.ip}:2375`, ip: l.ip, labels: engineLabels(n), started: true, bridge: l.bridge, dataDir: dataExisted ? undefined : l.engineDir };
}
