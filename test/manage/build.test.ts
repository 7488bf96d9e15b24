/**
 * `docker build`, `docker commit` and `docker save` through the manager with the real docker CLI (legacy
 * builder): a build lands on the node its `--build-arg constraint:...` (or X-Shoal-Constraint) allows, with
 * the placement args kept from the engine and the others passed; commit runs where the container is; save
 * streams from a node holding the image.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import type { EngineHandle } from '../harness/index.js';
import {
  cleanup,
  constraintCliConfig,
  ENGINE_ADDRS,
  IMAGE,
  managerConfig,
  sharedEngines,
  startTestManager,
  suffix,
  type TestManager,
} from './helpers.js';

const engines = await sharedEngines();
const s = suffix();
const P = `mgbuild${s}`;
const tm: TestManager = await startTestManager(managerConfig(ENGINE_ADDRS));
const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-build-'));
const images: string[] = [];
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
  for (const e of engines) for (const i of images) await e.cli(['rmi', '-f', i], { reject: false });
  rmSync(dir, { recursive: true, force: true });
});

const DOCKERFILE = `FROM ${IMAGE}\nARG GREETING=hi\nRUN echo $GREETING > /greeting\n`;
const holders = async (ref: string) => {
  const out: string[] = [];
  for (const e of engines) if ((await e.cli(['images', '-q', ref])).stdout.trim() !== '') out.push(e.name);
  return out;
};
const build = (tag: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
  images.push(tag);
  return tm.docker(['build', '-t', tag, ...args, '-'], {
    input: DOCKERFILE,
    reject: false,
    env: { DOCKER_BUILDKIT: '0', ...env },
  });
};

t.test(
  'docker build --build-arg constraint:node==... builds on that node; other build args reach the engine',
  async (t) => {
    const tag = `${P}/built:node3`;
    const r = await build(tag, ['--build-arg', 'constraint:node==dockerhost03', '--build-arg', 'GREETING=from-shoal']);
    t.equal(r.exitCode, 0, r.stderr);
    t.match(r.stdout, /Successfully tagged/);
    t.notMatch(r.stdout + r.stderr, /not consumed/, 'the placement build arg never reaches the engine');
    t.same(await holders(tag), ['dockerhost03']);
    const out = await tm.docker(['run', '--rm', '-e', 'constraint:node==dockerhost03', tag, 'cat', '/greeting']);
    t.equal(out.stdout.trim(), 'from-shoal');
  },
);

t.test('docker build placed by zone, by X-Shoal-Constraint, and refused when nothing fits', async (t) => {
  const ext = `${P}/built:ext`;
  t.equal(
    (await build(ext, ['--build-arg', 'constraint:zone==external', '--build-arg', 'constraint:disk!=ssd'])).exitCode,
    0,
  );
  t.same(await holders(ext), ['dockerhost02'], 'zone==external and disk!=ssd: only dockerhost02');
  const cfg = constraintCliConfig(t, 'status==master');
  const hdr = `${P}/built:hdr`;
  images.push(hdr);
  const viaHeader = await tm.docker(['--config', cfg, 'build', '-t', hdr, '-'], {
    input: DOCKERFILE,
    reject: false,
    env: { DOCKER_BUILDKIT: '0' },
  });
  t.equal(viaHeader.exitCode, 0, viaHeader.stderr);
  t.same(await holders(hdr), ['dockerhost01']);
  const none = await build(`${P}/built:none`, ['--build-arg', 'constraint:zone==moon']);
  t.not(none.exitCode, 0);
  t.match(none.stderr, 'Unable to find a node that satisfies the following conditions \n[zone==moon]');
  const bad = await build(`${P}/built:bad`, ['--build-arg', 'constraint:zone']);
  t.not(bad.exitCode, 0);
  t.match(bad.stderr, /buildargs constraint:zone/);
});

t.test('docker commit runs on the container node; docker save streams the image from a holder', async (t) => {
  await tm.docker([
    'run',
    '-d',
    '--name',
    `${P}-c`,
    '-e',
    'constraint:node==dockerhost02',
    IMAGE,
    'sh',
    '-c',
    'echo committed > /mark; sleep 600',
  ]);
  const tag = `${P}/committed:1`;
  images.push(tag);
  const r = await tm.docker(['commit', `${P}-c`, tag]);
  t.match(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
  t.same(await holders(tag), ['dockerhost02']);
  const file = path.join(dir, 'saved.tar');
  await tm.docker(['save', '-o', file, tag]);
  const list = await execa('tar', ['-tf', file]);
  t.match(list.stdout, /manifest\.json/);
  t.match(readFileSync(file).toString('latin1'), new RegExp(`${P}/committed:1`), 'the archive names the tag');
  const missing = await tm.docker(['save', '-o', path.join(dir, 'x.tar'), `${P}/nothing:1`], { reject: false });
  t.not(missing.exitCode, 0);
  t.match(missing.stderr, /No such image/);
  const e2 = engines[1] as EngineHandle;
  t.equal((await e2.cli(['run', '--rm', tag, 'cat', '/mark'])).stdout.trim(), 'committed');
});
