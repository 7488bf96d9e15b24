/**
 * Background processes the test harness owns: started detached (so later test files and runs reuse them),
 * tracked by pidfile under STATE_DIR, logs beside it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const STATE_DIR = process.env.SHOAL_TEST_STATE ?? '/tmp/shoal-test';

export function stateDir(...parts: string[]): string {
  const p = path.join(STATE_DIR, ...parts);
  mkdirSync(p, { recursive: true });
  return p;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The kernel's start time of a process (field 22 of /proc/PID/stat): tells a reused pid from ours. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The pid in NAME.pid if that process still runs (and is the one we started, not a reused pid). */
export function readPid(name: string): number | undefined {
  const file = path.join(STATE_DIR, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const [pidText = '', started] = readFileSync(file, 'utf8').trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return undefined;
  if (started !== undefined && startTime(pid) !== started) return undefined;
  return pid;
}

/**
 * Run `fn` holding a lock shared by every process of the harness (a directory under STATE_DIR, made
 * atomically), so two test files never start the same server twice. A lock whose owner died is taken over.
 */
export async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const release = await acquireLock(name, timeoutMs);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** The pid in a lock's owner file; undefined when it is missing, empty or not a pid (yet). */
function ownerPid(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split(' ')[0]);
  return text.trim() !== '' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Remove a lock directory at once (renamed aside first, so no one sees it without its owner). With
 * `ifHolder`, only the lock of that (dead) holder: a lock someone took in the meantime is put back.
 */
function removeLock(dir: string, ifHolder?: number): void {
  const aside = `${dir}.gone-${process.pid}-${Date.now()}`;
  try {
    renameSync(dir, aside);
  } catch {
    return; // already gone
  }
  if (ifHolder !== undefined) {
    const now = ownerPid(path.join(aside, 'owner'));
    if (now !== undefined && now !== ifHolder && pidAlive(now)) {
      try {
        renameSync(aside, dir);
        return;
      } catch {
        // taken again meanwhile: that holder keeps it; the one moved aside lost it (a crash race only)
      }
    }
  }
  rmSync(aside, { recursive: true, force: true });
}

/** Take the harness lock `name` (see withLock); the returned function releases it. */
export async function acquireLock(name: string, timeoutMs = 180_000): Promise<() => void> {
  const dir = path.join(stateDir('locks'), `${name}.lock`);
  const owner = path.join(dir, 'owner');
  const t0 = Date.now();
  for (;;) {
    // The lock appears with its owner already inside (a prepared directory renamed into place), so a
    // waiter never reads a half-written owner and takes a live lock for a stale one.
    const tmp = mkdtempSync(path.join(stateDir('locks', 'tmp'), `${name}-`));
    writeFileSync(path.join(tmp, 'owner'), `${process.pid} ${startTime(process.pid) ?? ''}`);
    try {
      renameSync(tmp, dir);
      return () => removeLock(dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      const holder = ownerPid(owner); // undefined: released a moment ago, or an owner still being written
      const stale = holder !== undefined && !pidAlive(holder);
      const abandoned = holder === undefined && existsSync(dir) && Date.now() - t0 > 5_000;
      if (stale || abandoned) removeLock(dir, holder);
      else if (Date.now() - t0 > timeoutMs)
        throw new Error(`timed out after ${timeoutMs} ms waiting for the harness lock ${name}`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const heldForProcess = new Map<string, Promise<void>>();

/**
 * Take the harness lock `name` for the rest of this process (released at exit; a dead holder is taken over).
 * For resources a test file must have to itself: a server it stops, or an engine whose every container its
 * registrator registers. Take such locks at the top of the file, before any other, so the order is fixed.
 */
export function holdForProcess(name: string, timeoutMs = 540_000): Promise<void> {
  let held = heldForProcess.get(name);
  if (!held) {
    held = acquireLock(name, timeoutMs).then((release) => {
      process.once('exit', release);
    });
    heldForProcess.set(name, held);
  }
  return held;
}

/**
 * The chaos servers are stopped and restarted by the tests that use them. Two test files doing that at once
 * would see each other's outages, so the first use of any chaos server in a process takes one lock for all of
 * them (one lock: no lock-order deadlock) and keeps it until the process exits.
 */
export function holdChaosForProcess(): Promise<void> {
  return holdForProcess('chaos');
}

export function startDetached(
  name: string,
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): number {
  if (process.env.SHOAL_TEST_UNIT === '1') throw new Error(`the unit tier starts no server, and ${name} was asked for`);
  stateDir();
  const log = openSync(path.join(STATE_DIR, `${name}.log`), 'a');
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ['ignore', log, log],
    cwd: opts.cwd ?? STATE_DIR,
    env: opts.env ?? process.env,
  });
  child.unref();
  if (!child.pid) throw new Error(`could not start ${name}: ${cmd}`);
  writeFileSync(path.join(STATE_DIR, `${name}.pid`), `${child.pid} ${startTime(child.pid) ?? ''}`.trim());
  return child.pid;
}

export async function stopProcess(name: string, timeoutMs = 15_000): Promise<void> {
  const pid = readPid(name);
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGTERM'); // the whole process group (wrappers such as unshare)
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const start = Date.now();
  while (pidAlive(pid)) {
    if (Date.now() - start > timeoutMs) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        process.kill(pid, 'SIGKILL');
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  rmSync(path.join(STATE_DIR, `${name}.pid`), { force: true });
}

export function tcpOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
  logName?: string,
): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  let tail = '';
  if (logName) {
    try {
      tail = readFileSync(path.join(STATE_DIR, `${logName}.log`), 'utf8')
        .split('\n')
        .slice(-15)
        .join('\n');
    } catch {
      /* no log */
    }
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${tail ? `\n--- ${logName}.log ---\n${tail}` : ''}`,
  );
}
