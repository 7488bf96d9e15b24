/**
 * The swarm-mode peer of the swarm benchmark: a dockerd of its own (own containerd, data root, exec root,
 * pidfile, unix socket, TCP address 127.0.3.1:2375, bridge `swbench0` and a `docker_gwbridge` on bridge
 * `swbenchgw0`), launched with the harness's engine code (agents/up/engines.ts), never the system docker and
 * never a harness engine, then `docker swarm init --advertise-addr 127.0.0.1`. `stop()` leaves the swarm,
 * stops both processes, and removes its folders and bridges; it runs even when a start failed half-way.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { execa } from 'execa';
import { deleteBridge, engineCommands, prepareEngine, type EngineSpec } from '../../agents/up/engines.js';
import { ping, RUN_DIR, DATA_DIR } from '../harness/engines.js';
import { busyboxImage } from '../harness/busybox.js';
import { startDetached, stateDir, stopProcess, tcpOpen, waitFor, STATE_DIR } from '../harness/proc.js';
import { freePort } from '../harness/proxies.js';

const NAME = 'swarmbench';
const PROC = { containerd: `${NAME}-containerd`, dockerd: `${NAME}-dockerd` };
const GW_BRIDGE = 'swbenchgw0';

export function swarmBenchSpec(): EngineSpec {
  const run = (f: string) => path.join(RUN_DIR, `${NAME}-${f}`);
  const data = (f: string) => path.join(DATA_DIR, NAME, f);
  return {
    n: 4,
    name: NAME,
    ip: '127.0.3.1',
    namespace: NAME,
    bridge: 'swbench0',
    bridgeCidr: '172.29.250.1/24',
    socket: run('docker.sock'),
    pidFile: run('docker.pid'),
    execRoot: run('exec'),
    dataRoot: data('docker'),
    containerdRoot: data('containerd'),
    containerdState: run('containerd'),
    containerdSocket: run('containerd/containerd.sock'),
    containerdConfig: path.join(STATE_DIR, NAME, 'containerd.toml'),
    daemonConfig: path.join(STATE_DIR, NAME, 'daemon.json'),
  };
}

export interface SwarmEngine {
  dockerHost: string;
  docker: Docker;
  image: string;
  cli(args: string[]): Promise<{ stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Unmount whatever is still mounted under `root` (netns files of swarm's sandboxes, container roots). */
function unmountUnder(root: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === root || m.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts)
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
}

const cliEnv = () => ({ DOCKER_CONFIG: stateDir('docker-cli') });

/**
 * Leave the swarm, stop the engine, remove its folders and bridges: whatever of it exists (a start that failed
 * half-way, or a run killed before its teardown). Idempotent.
 */
export async function stopSwarmEngine(): Promise<void> {
  const spec = swarmBenchSpec();
  if (await ping(spec.socket))
    await execa('docker', ['-H', `unix://${spec.socket}`, 'swarm', 'leave', '--force'], {
      env: cliEnv(),
      reject: false,
    });
  await stopProcess(PROC.dockerd, 60_000);
  await stopProcess(PROC.containerd, 30_000);
  for (const root of [spec.execRoot, spec.containerdState, path.join(DATA_DIR, NAME)]) {
    unmountUnder(root);
    rmSync(root, { recursive: true, force: true });
  }
  rmSync(spec.socket, { force: true });
  deleteBridge(spec.bridge);
  deleteBridge(GW_BRIDGE);
}

export async function startSwarmEngine(): Promise<SwarmEngine> {
  const spec = swarmBenchSpec();
  const dockerHost = `unix://${spec.socket}`;
  const cli = async (args: string[]) => {
    const r = await execa('docker', ['-H', dockerHost, ...args], { env: cliEnv() });
    return { stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  if (await ping(spec.socket)) throw new Error(`${spec.socket} already answers: another swarm bench running?`);
  if (await tcpOpen(spec.ip, 2375)) throw new Error(`${spec.ip}:2375 is taken`);
  try {
    prepareEngine(spec);
    const c = engineCommands(spec, 'vfs');
    startDetached(PROC.containerd, c.containerd.cmd, c.containerd.args);
    await waitFor('the swarm bench containerd', async () => existsSync(spec.containerdSocket), 60_000);
    startDetached(PROC.dockerd, c.dockerd.cmd, c.dockerd.args);
    await waitFor(`the swarm bench dockerd on ${spec.socket}`, () => ping(spec.socket), 120_000, PROC.dockerd);
    const image = await busyboxImage({ dockerHost });
    // swarm mode's gateway bridge under a name of ours (docker_gwbridge would be the same Linux bridge for
    // every engine on this host), made before `swarm init` as Docker documents
    await cli([
      'network',
      'create',
      '--subnet',
      '172.29.251.0/24',
      '--opt',
      `com.docker.network.bridge.name=${GW_BRIDGE}`,
      '--opt',
      'com.docker.network.bridge.enable_icc=false',
      'docker_gwbridge',
    ]);
    const listen = await freePort();
    await cli(['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', `127.0.0.1:${listen}`]);
    return { dockerHost, docker: new Docker({ socketPath: spec.socket }), image, cli, stop: stopSwarmEngine };
  } catch (err) {
    await stopSwarmEngine().catch(() => {});
    throw err;
  }
}
