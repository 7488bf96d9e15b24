/**
 * What an engine whose dockerd (and containerd) died unclean leaves behind, and its removal: the
 * containerd-shim processes still serving its containerd (with the containers under them), their sockets in
 * /run/containerd/s, and the mounts under its folders (the data root dockerd mounts onto itself, each
 * container's network namespace under the exec root). Those mounts make removing the folders fail with EBUSY.
 * `down` reaps every engine it started once the engine's own processes are stopped, before removing its
 * folders. Decisions are pure functions over /proc text; the shell around them reads /proc, signals, unmounts.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { sleep } from '../common/backoff.js';

export interface ProcInfo {
  pid: number;
  ppid: number;
  argv: string[];
  /** State letter from /proc/<pid>/stat (Z: a zombie, nothing left to stop). */
  state: string;
}

/** The parent pid and state of a /proc/<pid>/stat line (the command name may hold spaces and parentheses). Pure. */
export function parseStat(stat: string): { ppid: number; state: string } | undefined {
  const end = stat.lastIndexOf(')');
  if (end < 0) return undefined;
  const [state = '', ppid] = stat.slice(end + 2).split(' ');
  const n = Number(ppid);
  return Number.isInteger(n) ? { ppid: n, state } : undefined;
}

/** Live shims started by the containerd listening on `socket` (`containerd-shim* ... -address SOCKET`). Pure. */
export function shimPids(procs: readonly ProcInfo[], socket: string): number[] {
  return procs
    .filter((p) => p.state !== 'Z' && /containerd-shim/.test(path.basename(p.argv[0] ?? '')))
    .filter((p) => p.argv.some((a, i) => (a === '-address' || a === '--address') && p.argv[i + 1] === socket))
    .map((p) => p.pid);
}

/** Every live descendant of `roots`, children before their parents (the order to kill them in). Pure. */
export function descendants(procs: readonly ProcInfo[], roots: readonly number[]): number[] {
  const kids = new Map<number, number[]>();
  for (const p of procs) if (p.state !== 'Z') kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), p.pid]);
  const out: number[] = [];
  const visit = (pid: number, seen: Set<number>) => {
    for (const k of kids.get(pid) ?? []) {
      if (seen.has(k)) continue;
      seen.add(k);
      visit(k, seen);
      out.push(k);
    }
  };
  const seen = new Set<number>(roots);
  for (const r of roots) visit(r, seen);
  return out;
}

/** /proc/self/mountinfo escapes space, tab, newline and backslash in paths as \ooo. Pure. */
export function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

const within = (p: string, root: string) => p === root || p.startsWith(`${root.replace(/\/+$/, '')}/`);

/** Mount points (field 5 of mountinfo) at or under any root, deepest first, each once. Pure. */
export function mountsUnder(mountinfo: string, roots: readonly string[]): string[] {
  const points = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const p = unescapeMountPath(field);
    if (roots.some((r) => within(p, r))) points.add(p);
  }
  const depth = (p: string) => p.split('/').length;
  return [...points].sort((a, b) => depth(b) - depth(a) || b.localeCompare(a));
}

/** The shim socket a task's `address` file names, if it is one of containerd's (/run/containerd/s/<hash>). Pure. */
export function shimSocketPath(address: string): string | undefined {
  const m = /^unix:\/\/(\/run\/containerd\/s\/[0-9a-f]{16,128})$/.exec(address.trim());
  return m?.[1];
}

export function listProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = parseStat(readFileSync(`/proc/${d}/stat`, 'utf8'));
      if (!st) continue;
      out.push({
        pid: Number(d),
        ppid: st.ppid,
        state: st.state,
        argv: readFileSync(`/proc/${d}/cmdline`, 'utf8')
          .split('\0')
          .filter((a) => a !== ''),
      });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Shim sockets recorded by the tasks of a containerd whose state dir is `state` (v2 runtime layout). */
function shimSockets(state: string): string[] {
  const base = path.join(state, 'io.containerd.runtime.v2.task');
  const out: string[] = [];
  try {
    for (const ns of readdirSync(base)) {
      for (const id of readdirSync(path.join(base, ns))) {
        try {
          const s = shimSocketPath(readFileSync(path.join(base, ns, id, 'address'), 'utf8'));
          if (s) out.push(s);
        } catch {
          /* no address file */
        }
      }
    }
  } catch {
    /* no tasks */
  }
  return out;
}

export interface EngineLeftovers {
  /** The engine's containerd socket (its shims carry `-address <socket>`). */
  containerdSocket: string;
  /** The engine's containerd state dir (tasks, with each shim's socket address). */
  containerdState: string;
  /** Folders whose mounts belong to the engine: its data, exec root, containerd state. */
  roots: string[];
}

export interface Reaped {
  killed: number[];
  sockets: string[];
  unmounted: string[];
  /** Mounts that would not go (down reports them and keeps its state). */
  stuck: string[];
}

/**
 * Stop the engine's leftover shims (their containers first), remove their sockets, then unmount everything
 * under its roots, deepest first (a busy mount is detached lazily). Call only once its containerd is stopped.
 */
export async function reapEngine(e: EngineLeftovers): Promise<Reaped> {
  const procs = listProcs();
  const shims = shimPids(procs, e.containerdSocket);
  const victims = [...descendants(procs, shims), ...shims];
  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const alive = (pid: number) => {
    try {
      return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state !== 'Z';
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 50 && victims.some(alive); i++) await sleep(100);
  const sockets = shimSockets(e.containerdState);
  for (const s of sockets) rmSync(s, { force: true });

  const unmounted = new Set<string>();
  const mounts = () => mountsUnder(readFileSync('/proc/self/mountinfo', 'utf8'), e.roots);
  for (let round = 0, left = mounts(); round < 5 && left.length > 0; round++, left = mounts()) {
    for (const m of left) {
      const r = await execa('umount', [m], { reject: false });
      if (r.exitCode !== 0) await execa('umount', ['-l', m], { reject: false });
      unmounted.add(m);
    }
  }
  const stuck = mounts();
  return { killed: victims, sockets, unmounted: [...unmounted], stuck };
}
