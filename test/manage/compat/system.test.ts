/**
 * Classic Swarm compatibility, with the stock docker CLI: the server identity (OT1), events history (EV1), the
 * info totals (OT2).
 */
import t from 'tap';
import {
  cleanup,
  dockerCli,
  ENGINE_ADDRS,
  IMAGE,
  managerConfig,
  sharedEngines,
  startTestManager,
  suffix,
  waitUntil,
} from '../helpers.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VERSION } from '../../../agents/version.js';

const engines = await sharedEngines();
const P = `cpsys${suffix()}`;
const tm = await startTestManager(managerConfig(ENGINE_ADDRS));
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
  for (const e of engines) await e.cli(['rmi', `${P}/same:1`], { reject: false });
});

t.test('OT1: version and info say swarm/1.2.9 first, then shoal', async (t) => {
  const want = `swarm/1.2.9 (shoal ${VERSION})`;
  t.equal((await tm.docker(['version', '--format', '{{.Server.Version}}'])).stdout.trim(), want);
  t.equal((await tm.docker(['info', '--format', '{{.ServerVersion}}'])).stdout.trim(), want);
});

t.test('EV1: events --until <past> ends at once with nothing', async (t) => {
  await tm.docker(['create', '--name', `${P}-ev`, IMAGE, 'true']);
  const past = String(Math.floor(Date.now() / 1000) - 1);
  // a stream that did not end on its own would be killed by the CLI helper's deadline and throw
  const r = await tm.docker(['events', '--until', past]);
  t.equal(r.exitCode, 0, 'the stream ends on its own');
  t.equal(r.stdout, '', 'no history replayed');
  const soon = String(Math.floor(Date.now() / 1000) + 2);
  t.equal(
    (await tm.docker(['events', '--until', soon, '--filter', `container=${P}-ev`])).stdout,
    '',
    'a future until streams only new events',
  );
});

t.test("OT2: info totals count the 5 % overcommit and every node's images", async (t) => {
  const addrs = ENGINE_ADDRS.replace('nodes://', '').split(',');
  // one image ID on two nodes: classic counts it twice
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cpsys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [e1, e2] = engines as [(typeof engines)[0], (typeof engines)[0]];
  await e1.cli(['tag', IMAGE, `${P}/same:1`]);
  await e1.cli(['save', '-o', path.join(dir, 'same.tar'), `${P}/same:1`]);
  await e2.cli(['load', '-i', path.join(dir, 'same.tar')]);
  const engine = async (addr: string) => {
    const r = await dockerCli(`tcp://${addr}`, ['info', '--format', '{{.MemTotal}} {{.Images}}']);
    const [mem, images] = r.stdout.trim().split(' ').map(Number) as [number, number];
    return { mem, images };
  };
  const want = async () => {
    const all = await Promise.all(addrs.map(engine));
    return {
      mem: all.reduce((s, e) => s + e.mem + Math.trunc((e.mem * 5) / 100), 0),
      images: all.reduce((s, e) => s + e.images, 0),
    };
  };
  const one = (await want()).mem / 3;
  const perNode = `${(one / 2 ** 30).toPrecision(4).replace(/\.?0+$/, '')} GiB`;
  // other test files tag and remove images on the shared engines: compare once two engine readings agree
  let got = { mem: 0, images: 0 };
  let expect = { mem: -1, images: -1 };
  await waitUntil(
    async () => {
      const before = await want();
      await Promise.all(tm.manager.cluster.list().map((n) => n.refresh()));
      const r = await tm.docker(['info', '--format', '{{.MemTotal}} {{.Images}}']);
      const [mem, images] = r.stdout.trim().split(' ').map(Number) as [number, number];
      got = { mem, images };
      expect = before;
      const after = await want();
      return after.images === before.images;
    },
    20_000,
    'a quiet moment on the engines',
  );
  t.same(got, expect, 'MemTotal with overcommit, Images summed over nodes');
  t.ok(expect.images >= 3, 'the busybox image on each node counts once per node');
  const text = (await tm.docker(['info'])).stdout;
  const totals = [...text.matchAll(/Reserved Memory: .* \/ (.*)/g)].map((m) => m[1]);
  t.same(totals, [perNode, perNode, perNode], 'each node with its overcommit, in %.4g');
});
