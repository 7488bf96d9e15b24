/**
 * Background processes the test harness owns: started detached (so later test files and runs reuse them),
 * tracked by pidfile under STATE_DIR, logs beside it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
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

export function readPid(name: string): number | undefined {
  const file = path.join(STATE_DIR, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? pid : undefined;
}

export function startDetached(name: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): number {
  stateDir();
  const log = openSync(path.join(STATE_DIR, `${name}.log`), 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log, log], cwd: opts.cwd ?? STATE_DIR, env: opts.env ?? process.env });
  child.unref();
  if (!child.pid) throw new Error(`could not start ${name}: ${cmd}`);
  writeFileSync(path.join(STATE_DIR, `${name}.pid`), String(child.pid));
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

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, logName?: string): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  let tail = '';
  if (logName) {
    try {
      tail = readFileSync(path.join(STATE_DIR, `${logName}.log`), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      /* no log */
    }
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${tail ? `\n--- ${logName}.log ---\n${tail}` : ''}`);
}
