/** `/info` in classic Swarm's layout: cluster totals plus a SystemStatus table with one block per node. Pure. */
import type { NodeSnapshot } from '../scheduler/node.js';
import { INACTIVE } from '../swarm/info.js';

export interface NodeStatus {
  snap: NodeSnapshot;
  /** The engine answered at least once (its name is known); classic Swarm names a node never reached `(unknown)`. */
  reached?: boolean;
  error: string;
  updatedAt: Date;
  serverVersion: string;
}

export interface InfoInput {
  role: 'primary' | 'replica';
  primary?: string;
  strategy: string;
  filters: readonly string[];
  nodes: readonly NodeStatus[];
  /** Images over all nodes, an image on two nodes counted twice (as classic Swarm counts). */
  images: number;
  name: string;
  version: string;
  /** swarm.overcommit: the totals shown include it, as classic Swarm shows them (default 0). */
  overcommit?: number;
}

/**
 * A node's CPUs or memory plus the overcommit, in classic Swarm's integer arithmetic: the ratio in whole
 * percent, the extra rounded toward zero (2 CPUs at 5 % stay 2). Pure.
 */
export function withOvercommit(n: number, overcommit: number): number {
  const percent = Math.trunc(overcommit * 100);
  return n + Math.trunc((n * percent) / 100);
}

/** Binary units with four significant digits, trailing zeros dropped (Go's `%.4g`), as classic Swarm prints them. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = v.toPrecision(4);
  return `${digits.includes('e') ? digits : digits.replace(/\.?0+$/, '')} ${units[u]}`;
}

function counts(s: NodeSnapshot) {
  const running = s.containers.filter((c) => c.state === 'running').length;
  const paused = s.containers.filter((c) => c.state === 'paused').length;
  return { total: s.containers.length, running, paused, stopped: s.containers.length - running - paused };
}

type Counts = ReturnType<typeof counts>;
interface Block {
  c: Counts;
  rows: [string, string][];
  error: string;
  updatedAt: number;
  overcommit: number;
  reached: boolean | undefined;
}

/** Per-node rows, memoised on the node's (cached, immutable) snapshot: 1,000 nodes cost only what changed. */
const BLOCKS = new WeakMap<NodeSnapshot, Block>();

function nodeBlock(n: NodeStatus, overcommit: number): Block {
  const s = n.snap;
  const hit = BLOCKS.get(s);
  if (
    hit &&
    hit.error === n.error &&
    hit.updatedAt === n.updatedAt.getTime() &&
    hit.overcommit === overcommit &&
    hit.reached === n.reached
  )
    return hit;
  const c = counts(s);
  const labels = Object.entries(s.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const rows: [string, string][] = [
    [` ${n.reached === false ? '(unknown)' : s.name}`, s.addr],
    ['  └ ID', s.id],
    ['  └ Status', s.health === 'healthy' ? 'Healthy' : s.health === 'pending' ? 'Pending' : 'Unhealthy'],
    // classic Swarm breaks the count down only for a healthy node
    [
      '  └ Containers',
      s.health === 'healthy'
        ? `${c.total} (${c.running} Running, ${c.paused} Paused, ${c.stopped} Stopped)`
        : `${c.total}`,
    ],
    ['  └ Reserved CPUs', `${s.reservedCpus} / ${withOvercommit(s.cpus, overcommit)}`],
    ['  └ Reserved Memory', `${formatBytes(s.reservedMemory)} / ${formatBytes(withOvercommit(s.memory, overcommit))}`],
    ['  └ Labels', labels],
    ['  └ Error', n.error === '' ? '(none)' : n.error],
    ['  └ UpdatedAt', n.updatedAt.getTime() === 0 ? '(never)' : n.updatedAt.toISOString()],
    ['  └ ServerVersion', n.serverVersion],
  ];
  const block = { c, rows, error: n.error, updatedAt: n.updatedAt.getTime(), overcommit, reached: n.reached };
  BLOCKS.set(s, block);
  return block;
}

export function buildInfo(i: InfoInput): Record<string, unknown> {
  const status: [string, string][] = [['Role', i.role]];
  if (i.role === 'replica') status.push(['Primary', i.primary ?? '']);
  status.push(['Strategy', i.strategy], ['Filters', i.filters.join(', ')], ['Nodes', String(i.nodes.length)]);
  let total = { total: 0, running: 0, paused: 0, stopped: 0 };
  let cpus = 0;
  let memory = 0;
  for (const n of i.nodes) {
    const s = n.snap;
    const { c, rows } = nodeBlock(n, i.overcommit ?? 0);
    total = {
      total: total.total + c.total,
      running: total.running + c.running,
      paused: total.paused + c.paused,
      stopped: total.stopped + c.stopped,
    };
    cpus += withOvercommit(s.cpus, i.overcommit ?? 0);
    memory += withOvercommit(s.memory, i.overcommit ?? 0);
    status.push(...rows);
  }
  return {
    ID: '',
    Name: i.name,
    Containers: total.total,
    ContainersRunning: total.running,
    ContainersPaused: total.paused,
    ContainersStopped: total.stopped,
    Images: i.images,
    Driver: '',
    DriverStatus: null,
    SystemStatus: status,
    NCPU: cpus,
    MemTotal: memory,
    ServerVersion: i.version,
    OperatingSystem: 'linux',
    OSType: 'linux',
    Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
    KernelVersion: '',
    Labels: [],
    Plugins: { Volume: null, Network: null, Authorization: null, Log: null },
    Swarm: INACTIVE,
    SecurityOptions: [],
    Warnings: null,
  };
}
