/** Run a check or reload command through the shell with a timeout; `{{path}}` becomes the quoted file path. */
import { execa } from 'execa';
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

export async function runCommand(
  cmd: string,
  opts: { timeoutMs: number; vars?: Record<string, string>; env?: NodeJS.ProcessEnv },
): Promise<CommandResult> {
  const start = performance.now();
  // own process group, so a timeout kills the shell and everything it started (no orphan holding the pipes)
  const sub = execa(expandCommand(cmd, opts.vars ?? {}), {
    shell: '/bin/sh',
    all: true,
    reject: false,
    detached: true,
    stdin: 'ignore',
    env: opts.env ?? process.env,
    extendEnv: false,
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (sub.pid !== undefined) process.kill(-sub.pid, 'SIGKILL');
    } catch {
      sub.kill('SIGKILL');
    }
  }, opts.timeoutMs);
  const r = await sub;
  clearTimeout(timer);
  return {
    ok: !timedOut && !r.failed && r.exitCode === 0,
    exitCode: r.exitCode,
    timedOut,
    output: (timedOut ? `timed out after ${opts.timeoutMs} ms\n` : '') + String(r.all ?? ''),
    durationMs: performance.now() - start,
  };
}
