/** Starting `shoal <agent>` children the way this `shoal` was started (node + loader + script, or the binary). */
import path from 'node:path';
import { execa } from 'execa';
import type { ChildSpec } from './plan.js';
import { startDetached, type ProcRecord } from './proc.js';

/** `SHOAL_BIN` if set, else this process's own node, flags (e.g. `--import tsx`) and script. */
export function shoalInvocation(env: NodeJS.ProcessEnv = process.env): { cmd: string; args: string[] } {
  if (env.SHOAL_BIN) return { cmd: env.SHOAL_BIN, args: [] };
  return { cmd: process.execPath, args: [...process.execArgv, process.argv[1] as string] };
}

export function startChild(spec: ChildSpec, logsDir: string, env: NodeJS.ProcessEnv = process.env): ProcRecord {
  const inv = shoalInvocation(env);
  return startDetached(spec.name, inv.cmd, [...inv.args, ...spec.args], {
    log: path.join(logsDir, `${spec.name}.log`),
    env: { ...env, ...(spec.env ?? {}) },
  });
}

/** Run a child to completion (e.g. `render --once`); resolves to its exit code and output tail. */
export async function runChild(
  spec: ChildSpec,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 120_000,
): Promise<{ exitCode: number; output: string }> {
  const inv = shoalInvocation(env);
  const r = await execa(inv.cmd, [...inv.args, ...spec.args], {
    env: { ...env, ...(spec.env ?? {}) },
    reject: false,
    all: true,
    timeout: timeoutMs,
  });
  return {
    exitCode: r.exitCode ?? 1,
    output: String(r.all ?? '')
      .trimEnd()
      .split('\n')
      .slice(-12)
      .join('\n'),
  };
}
