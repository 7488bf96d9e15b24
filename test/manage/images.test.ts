/**
 * Image operations through the manager with the real docker CLI and a real registry (Debian's
 * docker-registry on the harness's port, test/harness/registry.ts): `docker pull`, `docker import` and
 * `docker load` reach every healthy node, or only those a constraint allows (X-Shoal-Constraint via
 * config.json HttpHeaders, or ?constraint=); a create whose image no node has pulls it on the chosen node.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { busyboxTarball, pushed, type EngineHandle } from '../harness/index.js';
import {
  cleanup,
  constraintCliConfig,
  ENGINE_ADDRS,
  managerConfig,
  sharedEngines,
  startTestManager,
  suffix,
  type TestManager,
} from './helpers.js';

const engines = await sharedEngines();
const s = suffix();
const P = `mgimg${s}`;
const tm: TestManager = await startTestManager(managerConfig(ENGINE_ADDRS));
const refs: string[] = [];
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
  for (const e of engines) for (const r of refs) await e.cli(['rmi', '-f', r], { reject: false });
});

const has = async (e: EngineHandle, ref: string) => (await e.cli(['images', '-q', ref])).stdout.trim() !== '';
const holders = async (ref: string) => {
  const out: string[] = [];
  for (const e of engines) if (await has(e, ref)) out.push(e.name);
  return out;
};

async function fresh(repo: string): Promise<string> {
  const ref = await pushed(engines[0] as EngineHandle, `${P}/${repo}`);
  refs.push(ref);
  return ref;
}

t.test('docker pull reaches every healthy node; progress is marked per node', async (t) => {
  const ref = await fresh('all');
  t.same(await holders(ref), [], 'no engine has it before');
  const r = await tm.docker(['pull', ref]);
  for (const n of ['dockerhost01', 'dockerhost02', 'dockerhost03']) t.match(r.stdout, `${n}: `, `progress from ${n}`);
  t.same(await holders(ref), ['dockerhost01', 'dockerhost02', 'dockerhost03']);
});

t.test(
  'docker pull with X-Shoal-Constraint (config.json HttpHeaders) reaches only the constrained nodes',
  async (t) => {
    const ref = await fresh('one');
    const r = await tm.docker(['--config', constraintCliConfig(t, 'node==dockerhost02'), 'pull', ref]);
    t.notMatch(r.stdout, /dockerhost0[13]: /);
    t.same(await holders(ref), ['dockerhost02']);
    const ref2 = await fresh('two');
    await tm.docker(['--config', constraintCliConfig(t, 'constraint:zone==external, disk!=ssd'), 'pull', ref2]);
    t.same(await holders(ref2), ['dockerhost02'], 'several expressions, comma separated, all hold');
    const soft = await fresh('soft');
    await tm.docker(['--config', constraintCliConfig(t, 'zone==~nowhere'), 'pull', soft]);
    t.same(
      await holders(soft),
      ['dockerhost01', 'dockerhost02', 'dockerhost03'],
      'a soft constraint nothing satisfies is dropped',
    );
  },
);

t.test('?constraint= on the API; unsatisfiable and malformed constraints are refused before any pull', async (t) => {
  const ref = await fresh('query');
  const [repo, tag] = [ref.slice(0, ref.lastIndexOf(':')), ref.slice(ref.lastIndexOf(':') + 1)];
  const base = tm.host.replace(/^tcp:/, 'http:');
  const res = await fetch(
    `${base}/v1.41/images/create?fromImage=${encodeURIComponent(repo)}&tag=${tag}&constraint=${encodeURIComponent('zone==external')}`,
    { method: 'POST' },
  );
  t.equal(res.status, 200);
  const text = await res.text();
  t.match(text, /dockerhost01: /);
  t.notMatch(text, /dockerhost03: /);
  t.same(await holders(ref), ['dockerhost01', 'dockerhost02']);

  const none = await tm.docker(['--config', constraintCliConfig(t, 'node==nope'), 'pull', ref], { reject: false });
  t.not(none.exitCode, 0);
  t.match(none.stderr, 'Unable to find a node that satisfies the following conditions \n[node==nope]');
  const bad = await fetch(
    `${base}/v1.41/images/create?fromImage=${encodeURIComponent(repo)}&tag=${tag}&constraint=zone`,
    { method: 'POST' },
  );
  t.equal(bad.status, 400);
  t.match(((await bad.json()) as { message: string }).message, /constraint: invalid expression "zone"/);
  t.same(await holders(ref), ['dockerhost01', 'dockerhost02'], 'nothing pulled on 03 by the refused requests');
});

t.test('docker run of an image no node has pulls it on the node the scheduler chose, only there', async (t) => {
  const ref = await fresh('run');
  const r = await tm.docker([
    'run',
    '-d',
    '--name',
    `${P}-run`,
    '-e',
    'constraint:node==dockerhost03',
    ref,
    'sleep',
    '600',
  ]);
  t.match(r.stdout.trim(), /^[0-9a-f]{64}$/);
  t.equal(
    (await tm.docker(['inspect', '-f', '{{.Node.Name}} {{.State.Running}}', `${P}-run`])).stdout.trim(),
    'dockerhost03 true',
  );
  t.same(await holders(ref), ['dockerhost03']);
});

t.test('docker import: the tarball is teed to every node, or only the constrained ones', async (t) => {
  const tar = readFileSync(await busyboxTarball());
  const all = `${P}/imported:all`;
  const one = `${P}/imported:internal`;
  refs.push(all, one);
  const r = await tm.docker(['import', '-', all], { input: tar as unknown as string });
  t.match(r.stdout, /sha256:[0-9a-f]{64}/);
  t.same(await holders(all), ['dockerhost01', 'dockerhost02', 'dockerhost03']);
  await tm.docker(['--config', constraintCliConfig(t, 'zone==internal'), 'import', '-', one], {
    input: tar as unknown as string,
  });
  t.same(await holders(one), ['dockerhost03']);
  const run = await tm.docker([
    'run',
    '--rm',
    '-e',
    'constraint:zone==internal',
    one,
    '/bin/busybox',
    'echo',
    'imported-ok',
  ]);
  t.match(run.stdout, /imported-ok/, 'the imported image runs');
});

t.test('docker load: the archive is teed to the nodes the constraint allows', async (t) => {
  const ref = `${P}/loaded:v1`;
  refs.push(ref);
  const e1 = engines[0] as EngineHandle;
  await e1.cli(['tag', 'shoal/busybox:latest', ref]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-load-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'img.tar');
  await e1.cli(['save', '-o', file, ref]);
  await e1.cli(['rmi', ref]);
  const r = await tm.docker(['--config', constraintCliConfig(t, 'node!=dockerhost01'), 'load', '-i', file]);
  t.match(r.stdout, /dockerhost02: Loaded image: /);
  t.match(r.stdout, /dockerhost03: Loaded image: /);
  t.same(await holders(ref), ['dockerhost02', 'dockerhost03']);
});
