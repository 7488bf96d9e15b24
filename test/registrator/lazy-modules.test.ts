/**
 * A host agent loads only what it uses (idle RSS): `shoal registrator` and `shoal join`, run as the CLI on a
 * real store, load their own backend's client and none of the others, no prom-client unless --status-addr
 * serves metrics, no YAML parser without --config, no template engine, no pretty printer, and none of the
 * one-shot tools' commands. The modules are recorded by a preload (test/helpers/module-trace.mjs).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { liveBackends, rand, storeAddress, type Backend } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TRACE = path.join(ROOT, 'test/helpers/module-trace.mjs');
const DOCKER = 'unix:///run/shoal-test/docker1.sock';

/** The npm packages of every backend's client (etcd2 speaks HTTP itself). */
const CLIENT: Record<Backend, string[]> = {
  consul: ['consul'],
  etcd: ['etcd3', '@grpc/grpc-js'],
  etcd2: [],
  zk: ['node-zookeeper-client'],
};
const ALL_CLIENTS = [...new Set(Object.values(CLIENT).flat())];
const NEVER = ['handlebars', 'pino-pretty', 'yaml', 'chokidar', 'execa'];

/** The npm packages a module list names (`.../node_modules/@scope/name/...` -> `@scope/name`). */
function packagesOf(lines: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const l of lines) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(l);
    if (m) out.add(m[1] as string);
  }
  return out;
}

/** Run `shoal <args>` until its log says `ready`, then stop it; what it loaded (packages, shoal files). */
async function loaded(args: string[], ready: RegExp): Promise<{ packages: Set<string>; files: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-modules-'));
  const file = path.join(dir, 'trace');
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', TRACE, 'agents/cli.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SHOAL_MODULE_TRACE: file, DOCKER_HOST: '' },
  });
  let log = '';
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        log += d.toString();
        if (ready.test(log)) resolve();
      });
      child.on('exit', (code) => reject(new Error(`shoal ${args[0]} exited (${code}): ${log.slice(-600)}`)));
    });
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  }
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  rmSync(dir, { recursive: true, force: true });
  const files = lines.filter((l) => l.includes('/agents/')).map((l) => l.replace(/^.*\/agents\//, ''));
  return { packages: packagesOf(lines), files };
}

const backends = await liveBackends();

for (const b of backends) {
  t.test(`registrator and join on ${b}:// load only ${b}'s client`, async (t) => {
    const uri = `${b}://${await storeAddress(b)}/shoaltest-modules-${rand()}`;
    const [reg, join] = await Promise.all([
      loaded(['registrator', '--internal', '--docker-host', DOCKER, uri], /full resync done/),
      loaded(['join', '--addr', '127.0.1.1:2375', '--docker-host', DOCKER, `${uri}-j`], /advertised/),
    ]);
    for (const [agent, got] of [
      ['registrator', reg],
      ['join', join],
    ] as const) {
      for (const own of CLIENT[b]) t.ok(got.packages.has(own), `${agent}: ${own} loaded`);
      for (const other of ALL_CLIENTS.filter((p) => !CLIENT[b].includes(p)))
        t.notOk(got.packages.has(other), `${agent}: ${other} not loaded`);
      for (const p of [...NEVER, 'prom-client']) t.notOk(got.packages.has(p), `${agent}: ${p} not loaded`);
      for (const tool of ['tls/command.js', 'up/command.js', 'render/main.js', 'manage/main.js'])
        t.notOk(got.files.includes(tool.replace('.js', '.ts')), `${agent}: ${tool} not loaded`);
    }
  });
}

t.test('--status-addr loads prom-client (the trace sees what is loaded)', async (t) => {
  const uri = `consul://${await storeAddress('consul')}/shoaltest-modules-${rand()}`;
  const got = await loaded(
    ['registrator', '--internal', '--docker-host', DOCKER, '--status-addr', '127.0.0.1:0', uri],
    /full resync done/,
  );
  t.ok(got.packages.has('prom-client'));
  t.ok(got.packages.has('consul'));
});
