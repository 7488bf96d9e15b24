/** Run a check or reload command through the shell with a timeout; `{{path}}` becomes the quoted file path. */
import { spawn } from 'node:child_process';
import { shellQuote } from '../common/shell.js';

export interface CommandResult {
  ok: boolean;
  exitCode: number | undefined;
  timedOut: boolean;
  /** stdout and stderr interleaved: the tool's own message. */
  output: string;
  durationMs: number;
}

export function expandCommand(cmd: string, vars: Record<string, string>): string {
  return cmd.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, name: string) =>
    vars[name] === undefined ? m : shellQuote(vars[name] as string),
  );
}

/**
 * `/bin/sh -c CMD` straight through child_process (a check runs before every swap: no wrapper library's
 * per-call setup on that path), in its own process group so a timeout kills the shell and everything it
 * started (no orphan holding the pipes). stdout and stderr are read into one buffer, in arrival order.
 */
export function runCommand(
  cmd: string,
  opts: { timeoutMs: number; vars?: Record<string, string>; env?: NodeJS.ProcessEnv },
): Promise<CommandResult> {
  const start = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timedOut = false;
    let spawnError: Error | undefined;
    const sub = spawn('/bin/sh', ['-c', expandCommand(cmd, opts.vars ?? {})], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    const keep = (d: Buffer) => chunks.push(d);
    sub.stdout.on('data', keep);
    sub.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (sub.pid !== undefined) process.kill(-sub.pid, 'SIGKILL');
      } catch {
        sub.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    let done = false;
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString('utf8').replace(/\n$/, '');
      resolve({
        ok: !timedOut && spawnError === undefined && code === 0,
        exitCode: code ?? undefined,
        timedOut,
        output: (timedOut ? `timed out after ${opts.timeoutMs} ms\n` : '') + (spawnError ? spawnError.message : output),
        durationMs: performance.now() - start,
      });
    };
    sub.on('error', (e) => {
      spawnError = e;
      if (sub.pid === undefined) finish(null); // never started: no 'close' to wait for
    });
    // 'close': the process exited and its pipes are drained
    sub.on('close', (code) => finish(code));
  });
}
