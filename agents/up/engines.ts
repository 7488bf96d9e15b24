/**
 * `shoal up --engines N`: N labelled Docker engines on loopback, each a dockerd with its own hostname
 * (dockerhost0N, a UTS namespace), its own containerd, bridge shoalupN (172.30.N.1/24), API on a unix
 * socket in the state dir and tcp://127.0.2.N:2375, published ports bound to 127.0.2.N.
 * The test harness launches its engines with the same code (`EngineSpec`, `prepareEngine`, `engineCommands`),
 * with paths, addresses and names of its own.
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

/** Where an engine's files are and what it is called: all a launch needs besides its dockerd flags. */
export interface EngineSpec {
  /** 1..9: picks its labels (engineLabels). */
  n: number;
  /** Its hostname: the Name in /info. */
  name: string;
  /** Its TCP API listens on IP:2375; published ports bind to it. */
  ip: string;
  bridge: string;
  bridgeCidr: string;
  socket: string;
  pidFile: string;
  execRoot: string;
  dataRoot: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  containerdConfig: string;
  /** daemon.json naming the engine's own key file (dockerd has no flag for it). */
  daemonConfig: string;
  /** containerd namespace of its containers (`<namespace>-plugins` for its plugins). */
  namespace: string;
}

export interface EngineLayout extends EngineSpec {
  /** Everything the engine stores (docker and containerd roots); removed by `down` if `up` made it. */
  engineDir: string;
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
    pidFile: path.join(run, `docker${n}.pid`),
    execRoot: path.join(run, `docker${n}-exec`),
    engineDir: path.join(dataDir, `engine${n}`),
    dataRoot: path.join(dataDir, `engine${n}`, 'docker'),
    containerdRoot: path.join(dataDir, `engine${n}`, 'containerd'),
    containerdState: path.join(run, `containerd${n}`),
    containerdSocket: path.join(run, `containerd${n}`, 'containerd.sock'),
    containerdConfig: path.join(run, `containerd${n}.toml`),
    daemonConfig: path.join(run, `docker${n}.json`),
    namespace: `shoalup${n}`,
  };
}

/** Where engine n's leftovers are after an unclean death: shims of its containerd, mounts under its folders. Pure. */
export function engineLeftovers(l: EngineLayout): EngineLeftovers {
  return {
    containerdSocket: l.containerdSocket,
    containerdState: l.containerdState,
    roots: [l.engineDir, l.execRoot, l.containerdState],
  };
}

/** dockerd's flags for an engine (`extra` last). Pure. */
export function dockerdArgs(l: EngineSpec, storageDriver: string, extra: readonly string[] = []): string[] {
  const labels = Object.entries(engineLabels(l.n)).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  return [
    '--iptables=false',
    '--ip6tables=false',
    `--storage-driver=${storageDriver}`,
    '--data-root',
    l.dataRoot,
    // Its own key (engine ID) instead of /etc/docker/key.json, which every engine would share.
    '--config-file',
    l.daemonConfig,
    '--exec-root',
    l.execRoot,
    '--pidfile',
    l.pidFile,
    '--containerd',
    l.containerdSocket,
    '--containerd-namespace',
    l.namespace,
    '--containerd-plugins-namespace',
    `${l.namespace}-plugins`,
    '-H',
    `unix://${l.socket}`,
    '-H',
    `tcp://${l.ip}:2375`,
    `--bridge=${l.bridge}`,
    `--ip=${l.ip}`,
    ...labels,
    ...extra,
  ];
}

/** containerd's config: its own root, state and sockets, never the system containerd's. Pure. */
function containerdToml(l: EngineSpec): string {
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
function ensureBridge(l: EngineSpec): boolean {
  let created = false;
  try {
    ip(['link', 'show', l.bridge]);
  } catch {
    ip(['link', 'add', l.bridge, 'type', 'bridge']);
    created = true;
  }
  if (!ip(['-4', 'addr', 'show', 'dev', l.bridge]).includes(l.bridgeCidr))
    ip(['addr', 'add', l.bridgeCidr, 'dev', l.bridge]);
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

/**
 * Everything an engine needs before it starts: its folders, containerd's config, the daemon.json naming its
 * own key (its engine ID; /etc/docker/key.json would be every engine's), then its bridge. Returns whether the
 * bridge was created here.
 */
export function prepareEngine(l: EngineSpec): { bridgeCreated: boolean } {
  const configs = [path.dirname(l.containerdConfig), path.dirname(l.daemonConfig)];
  const dirs = [path.dirname(l.socket), l.containerdState, l.execRoot, l.dataRoot, ...configs];
  for (const d of dirs) mkdirSync(d, { recursive: true, mode: 0o700 });
  writeFileSync(l.containerdConfig, containerdToml(l));
  writeFileSync(l.daemonConfig, JSON.stringify({ 'deprecated-key-path': path.join(l.dataRoot, 'key.json') }) + '\n');
  return { bridgeCreated: ensureBridge(l) };
}

export interface Command {
  cmd: string;
  args: string[];
}

export interface EngineCommands {
  containerd: Command;
  dockerd: Command;
}

/** containerd, then dockerd under its own hostname (a UTS namespace): the two processes of an engine. Pure. */
export function engineCommands(l: EngineSpec, storageDriver: string, extra: readonly string[] = []): EngineCommands {
  const dockerd = `hostname ${l.name}; exec dockerd ${dockerdArgs(l, storageDriver, extra).map(shellQuote).join(' ')}`;
  return {
    containerd: { cmd: 'containerd', args: ['--config', l.containerdConfig] },
    dockerd: { cmd: 'unshare', args: ['--uts', 'sh', '-c', dockerd] },
  };
}

export interface StartEngineOptions {
  runDir: string;
  dataDir: string;
  storageDriver: string;
  onProc: (p: ProcRecord) => void;
  onBridge: (name: string) => void;
  onLeftovers: (l: EngineLeftovers) => void;
}

/** Start engine n; `onProc` records each process as soon as it exists (so a failure can be rolled back). */
export async function startEngine(n: number, opts: StartEngineOptions): Promise<EngineRef> {
  const l = engineLayout(n, opts.runDir, opts.dataDir);
  const dockerHost = `unix://${l.socket}`;
  if (await dockerPing(dockerHost)) {
    throw new Error(`engine ${l.name}: ${l.socket} already answers (another shoal up?)`);
  }
  const dataExisted = existsSync(l.engineDir);
  if (prepareEngine(l).bridgeCreated) opts.onBridge(l.bridge);
  opts.onLeftovers(engineLeftovers(l));
  const c = engineCommands(l, opts.storageDriver);
  const start = (name: string, cmd: Command) => {
    const p = startDetached(name, cmd.cmd, cmd.args, { log: path.join(opts.runDir, 'logs', `${name}.log`) });
    opts.onProc(p);
    return { timeoutMs: 60_000, abort: () => (isAlive(p) ? undefined : `exited:\n${logTail(p.log)}`) };
  };
  const cd = start(`containerd-${l.name}`, c.containerd);
  await waitUntil(`containerd of ${l.name}`, async () => existsSync(l.containerdSocket), cd);
  const dd = start(`dockerd-${l.name}`, c.dockerd);
  await waitUntil(`dockerd ${l.name} on ${l.socket}`, () => dockerPing(dockerHost), { ...dd, timeoutMs: 120_000 });
  const dataDir = dataExisted ? undefined : l.engineDir;
  const { name, ip, bridge } = l;
  return { n, name, dockerHost, addr: `${ip}:2375`, ip, labels: engineLabels(n), started: true, bridge, dataDir };
}
