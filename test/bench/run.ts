/**
 * `npm run bench [-- NAME...]`: run every test/bench/*.bench.ts (or those whose file name contains one of
 * the NAMEs) one after another, each in its own process so one cannot slow the next, and end with a
 * line per file. Exit status 1 when any bench failed to run.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = path.dirname(fileURLToPath(import.meta.url));

export function benchFiles(dir: string, filters: readonly string[]): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((n) => f.includes(n)))
    .sort()
    .map((f) => path.join(dir, f));
}

function runOne(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<void> {
  const files = benchFiles(DIR, process.argv.slice(2));
  if (files.length === 0) {
    console.log('bench: no test/bench/*.bench.ts matched');
    return;
  }
  const results: { file: string; code: number; ms: number }[] = [];
  for (const file of files) {
    console.log(`\n=== ${path.basename(file)}`);
    const t0 = Date.now();
    const code = await runOne(file);
    results.push({ file: path.basename(file), code, ms: Date.now() - t0 });
  }
  console.log('\n=== summary');
  for (const r of results)
    console.log(`${r.code === 0 ? 'ok    ' : 'FAILED'} ${r.file} (${(r.ms / 1000).toFixed(1)} s)`);
  process.exitCode = results.some((r) => r.code !== 0) ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
