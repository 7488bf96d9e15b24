/**
 * Processes `shoal up` starts: detached (own session, so they outlive `up` and a terminal), logs to a file,
 * identified by pid AND start time, so `shoal down` never signals a process that merely reused a pid.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { sleep } from '../common/backoff.js';

export interface ProcRecord {
  name: string;
  pid: number;
  /** Kernel start time (clock ticks since boot, /proc/<pid>/stat field 22). */
  startTime: number;
  cmd: string;
  args: string[];
  log: string;
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. Pure. */
export function parseStartTime(stat: string): number | undefined {
  const end = stat.lastIndexOf(')');
  if (end < 0) return undefined;
  const fields = stat.slice(end + 2).split(' ');
  const v = Number(fields[19]);
  return Number.isFinite(v) ? v : undefined;
}

export function procStartTime(pid: number): number | undefined {
  try {
    return parseStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Is the process we recorded still the one running under that pid (and not a zombie)? */
export function isAlive(rec: Pick<ProcRecord, 'pid' | 'startTime'>): boolean {
  try {
    const stat = readFileSync(`/proc/${rec.pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && parseStartTime(stat) === rec.startTime;
  } catch {
    return false;
  }
}

export function startDetached(
  name: string,
  cmd: string,
  args: string[],
  opts: { log: string; env?: NodeJS.ProcessEnv; cwd?: string },
): ProcRecord {
  const fd = openSync(opts.log, 'a', 0o600);
  try {
    const child = spawn(cmd, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    child.unref();
    child.on('error', () => {}); // reported through isAlive/the log
    if (!child.pid) throw new Error(`could not start ${name}: ${cmd}`);
    const startTime = procStartTime(child.pid) ?? -1;
    return { name, pid: child.pid, startTime, cmd, args, log: opts.log };
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM the process group (wrappers such as unshare), then SIGKILL after the timeout. Only our process. */
export async function stopRecorded(rec: ProcRecord, timeoutMs = 15_000): Promise<'stopped' | 'gone'> {
  if (!isAlive(rec)) return 'gone';
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-rec.pid, sig);
    } catch {
      try {
        process.kill(rec.pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  signal('SIGTERM');
  const start = Date.now();
  while (isAlive(rec)) {
    if (Date.now() - start > timeoutMs) {
      signal('SIGKILL');
      await sleep(200);
      break;
    }
    await sleep(100);
  }
  return 'stopped';
}

export function logTail(file: string, lines = 12): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
