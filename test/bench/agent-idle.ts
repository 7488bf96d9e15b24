/**
 * Idle RSS and CPU of a host agent (compiled CLI) as its systemd unit runs it: the unit's `Environment=`
 * lines (NODE_OPTIONS) are applied to the child.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './table.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** `Environment=K=V` lines of systemd/shoal-<agent>.service. */
export function unitEnv(agent: string): Record<string, string> {
  const text = readFileSync(path.join(ROOT, `systemd/shoal-${agent}.service`), 'utf8');
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm)) env[m[1] as string] = (m[2] as string).trim();
  return env;
}

function procStat(pid: number): { rssMb: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return { rssMb: rssKb / 1024, cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

export const RSS_LIMIT_MB = 45;

/** Start `cli args` with the unit's environment, let it settle, then sample RSS and CPU over a 10 s window. */
export async function idleAgent(cli: string, label: string, agent: string, args: string[]): Promise<BenchRow[]> {
  const env = unitEnv(agent);
  const child = spawn(process.execPath, [cli, agent, ...args], { stdio: 'ignore', env: { ...process.env, ...env } });
  try {
    await new Promise((r) => setTimeout(r, 8000)); // started, first sync done
    const a = procStat(child.pid as number);
    const windowMs = 10_000;
    await new Promise((r) => setTimeout(r, windowMs));
    const b = procStat(child.pid as number);
    const cpuPct = ((b.cpuTicks - a.cpuTicks) / 100 / (windowMs / 1000)) * 100;
    return [
      { name: `${label} idle RSS`, value: b.rssMb, unit: 'MB', limit: RSS_LIMIT_MB, better: 'lower' },
      { name: `${label} idle CPU`, value: cpuPct, unit: '%', limit: 1, better: 'lower' },
    ];
  } finally {
    child.kill('SIGTERM');
  }
}
