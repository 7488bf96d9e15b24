#!/usr/bin/env node
/**
 * `npm test [-- FILES...]`: make sure the real components exist (when a binary is missing: say which, and as
 * root run .ci/install.sh, which installs packages only and never stops a service; else name the command),
 * start the stores and engines 1..3, run tap over test/**\/*.test.ts (or the given files) with at most 2
 * jobs, stream tap's output, and end with one line: `N passed, N failed`. Exit status: 0 only when nothing failed.
 *
 * SHOAL_TEST_NO_CLUSTER=1 skips starting the cluster (pure tests only).
 * `--unit` (`npm run test:unit`): only the files of test/unit-files.txt, all in one process (test/tools/unit.ts),
 * without the cluster. Either way the run's duration is printed just before the last line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const JOBS = 2;
const SERIAL_DIRS = ['test/store'];

const BINARIES = [
  'dockerd',
  'containerd',
  'docker',
  'consul',
  'etcd',
  'haproxy',
  'nginx',
  'ip',
  'unshare',
  'java',
  'docker-registry',
];

function missingBinaries() {
  const missing = BINARIES.filter((b) => spawnSync('sh', ['-c', `command -v ${b}`], { stdio: 'ignore' }).status !== 0);
  if (!existsSync('/usr/share/java/zookeeper.jar')) missing.push('zookeeper');
  if (!existsSync('/bin/busybox')) missing.push('busybox');
  return missing;
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stdout.write(`run: ${what} failed (exit ${r.status ?? r.signal})\n0 passed, 1 failed\n`);
    process.exit(1);
  }
}

function prerequisites() {
  const missing = missingBinaries();
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      const hint = 'install them with: sudo bash .ci/install.sh';
      process.stdout.write(`run: missing ${missing.join(', ')}; ${hint}\n0 passed, 1 failed\n`);
      process.exit(1);
    }
    const what = 'running .ci/install.sh (installs packages, stops nothing)';
    process.stdout.write(`run: missing ${missing.join(', ')}: ${what}\n`);
    run('bash', [path.join(ROOT, '.ci/install.sh')], '.ci/install.sh');
  }
  if (process.env.SHOAL_TEST_NO_CLUSTER !== '1') {
    run(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'test/tools/cluster.ts'), 'up'],
      'starting the test cluster',
    );
  }
}

function findTests(dir, out = []) {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (ent.name.startsWith('.') || ent.name === 'node_modules') continue;
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) findTests(p, out);
    else if (ent.name.endsWith('.test.ts')) out.push(path.relative(ROOT, p));
  }
  return out.sort();
}

/** `# { total: 9, pass: 8, fail: 1, skip: 1 }` -> counts; undefined when tap printed no summary. */
export function parseSummary(text) {
  const lines = text.split('\n').filter((l) => /^# \{ total: \d+/.test(l));
  const last = lines.at(-1);
  if (!last) return undefined;
  const counts = { total: 0, pass: 0, fail: 0, skip: 0, todo: 0 };
  for (const m of last.matchAll(/(\w+): (\d+)/g)) counts[m[1]] = Number(m[2]);
  return counts;
}

/** tap over every test file (or the given ones), a process per file. */
function tapChild(files) {
  const tests = files.length > 0 ? files : findTests(path.join(ROOT, 'test'));
  const tapBin = path.join(ROOT, 'node_modules/.bin/tap');
  // The store contract files share the `chaos` servers and stop/restart them: never two at once.
  const serial = SERIAL_DIRS.flatMap((d) => ['--serial', d]);
  return spawn(tapBin, ['--reporter=tap', `--jobs=${JOBS}`, ...serial, '--disable-coverage', ...tests], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
}

/** The unit tier (or the given files) in one process. */
function unitChild(files) {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/tools/unit.ts'), ...files], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
}

/** `75.3 s`, `4 min 02 s` */
export function formatDuration(ms) {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

async function main() {
  const started = Date.now();
  const args = process.argv.slice(2);
  const unit = args.includes('--unit');
  const files = args.filter((a) => a !== '--unit');
  if (unit) process.env.SHOAL_TEST_NO_CLUSTER = '1';
  prerequisites();
  const child = unit ? unitChild(files) : tapChild(files);
  let tail = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    tail = (tail + chunk.toString()).slice(-64 * 1024);
  });
  const code = await new Promise((resolve) => child.on('close', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
  const s = parseSummary(tail);
  const took = `${unit ? 'unit tier' : 'suite'} took ${formatDuration(Date.now() - started)}\n`;
  if (!s) {
    process.stdout.write(`run: tap exited ${code} without a summary\n${took}0 passed, 1 failed\n`);
    process.exit(1);
  }
  // tap's `pass` excludes skips and todos; they are reported, never counted as passed
  if (s.skip || s.todo) process.stdout.write(`(${s.skip} skipped, ${s.todo} todo, not counted as passed)\n`);
  const failed = s.fail + (code !== 0 && s.fail === 0 ? 1 : 0);
  process.stdout.write(`${took}${s.pass} passed, ${failed} failed\n`);
  process.exit(failed > 0 ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
