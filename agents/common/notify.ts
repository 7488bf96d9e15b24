/**
 * systemd readiness (sd_notify): `ready()` after the first sync / first render / API listening, `status()`
 * for the line `systemctl status` shows, `stopping()` when shutdown starts. A no-op unless NOTIFY_SOCKET is set.
 *
 * Node has no unix datagram sockets and the npm packages that add them are native addons (a compiler and
 * node headers on every host), so the message is sent by the `systemd-notify` tool, run without a shell.
 * The sender is then a child process: the units set NotifyAccess=all so systemd accepts it, and
 * `--pid=<our pid>` names this process as the service's main PID. systemd-notify (>= 246) waits on a
 * BARRIER=1 until systemd has processed the message, so it is still alive when systemd looks up which unit
 * sent it (the old race of short-lived senders). Failures are logged, never thrown:
 * readiness reporting must not take an agent down.
 *
 * The child is run with node's own execFile rather than execa: this module is loaded by every agent, and
 * execa's module graph alone costs ~6 MB of resident memory in daemons meant to idle under 60 MB.
 */
import { execFile } from 'node:child_process';
import type { Logger } from './log.js';

export type NotifyRunner = (
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
) => Promise<{ exitCode: number | undefined; stderr: string }>;

export interface NotifyOptions {
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  pid?: number;
  run?: NotifyRunner;
}

const TIMEOUT_MS = 5000;

/** Resolves with the exit code (undefined when killed by the timeout); rejects when it cannot be started. */
const defaultRun: NotifyRunner = (file, args, env) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: TIMEOUT_MS, encoding: 'utf8' }, (err, _stdout, stderr) => {
      if (!err) resolve({ exitCode: 0, stderr });
      else if (typeof err.code === 'number') resolve({ exitCode: err.code, stderr });
      else if (err.killed) resolve({ exitCode: undefined, stderr: `${stderr}(killed after ${TIMEOUT_MS} ms)` });
      else reject(err);
    });
  });

/** `STATUS=` values are one line: newlines would start a new assignment. Pure. */
export function notifyArgs(fields: Record<string, string>, pid: number): string[] {
  return [`--pid=${pid}`, ...Object.entries(fields).map(([k, v]) => `${k}=${v.replace(/[\r\n]+/g, ' ')}`)];
}

/** Send `KEY=VALUE` assignments to the service manager; resolves to whether one was sent. */
export async function sdNotify(fields: Record<string, string>, opts: NotifyOptions = {}): Promise<boolean> {
  const env = opts.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return false;
  const run = opts.run ?? defaultRun;
  try {
    const r = await run('systemd-notify', notifyArgs(fields, opts.pid ?? process.pid), {
      NOTIFY_SOCKET: socket,
      PATH: env.PATH ?? '/usr/bin:/bin',
    });
    if (r.exitCode === 0) return true;
    opts.log?.warn(
      { fields: Object.keys(fields), exitCode: r.exitCode, stderr: r.stderr.trim() },
      'systemd-notify failed',
    );
  } catch (err) {
    opts.log?.warn(
      { fields: Object.keys(fields), err: err instanceof Error ? err.message : String(err) },
      'systemd-notify could not be run',
    );
  }
  return false;
}

/** The three calls agents make. */
export function notifier(opts: NotifyOptions = {}) {
  return {
    /** After the first sync (registrator, join), first render (render), API listening (manage). */
    ready: (status?: string) => sdNotify({ READY: '1', ...(status ? { STATUS: status } : {}) }, opts),
    status: (text: string) => sdNotify({ STATUS: text }, opts),
    stopping: (status?: string) => sdNotify({ STOPPING: '1', ...(status ? { STATUS: status } : {}) }, opts),
  };
}

export type Notifier = ReturnType<typeof notifier>;
