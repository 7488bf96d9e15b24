/**
 * Classic Swarm compatibility of lists over nodes, with the stock CLI: `--filter node=` on network ls,
 * volume ls and images (LF1), engine refusals reach the client (LF2), images show the union of the tags an
 * image has on its nodes (IM1).
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanup, ENGINE_ADDRS, IMAGE, managerConfig, sharedEngines, startTestManager, suffix } from '../helpers.js';

const engines = await sharedEngines();
const [e1, e2] = engines as [(typeof engines)[0], (typeof engines)[0]];
const P = `cplist${suffix()}`;
const tm = await startTestManager(managerConfig(ENGINE_ADDRS));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cplist-'));
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
  for (const e of engines) {
    await e.cli(['volume', 'rm', `${P}-vol`], { reject: false });
    await e.cli(['rmi', `${P}/base:one`, `${P}/t:1`, `${P}/t:2`], { reject: false });
  }
  rmSync(dir, { recursive: true, force: true });
});
const lines = async (args: string[]) => (await tm.docker(args)).stdout.trim().split('\n').filter(Boolean);

t.test('LF1: --filter node= on network ls, volume ls and images', async (t) => {
  const nets = await lines(['network', 'ls', '--filter', 'node=dockerhost01', '--format', '{{.Name}}']);
  t.ok(nets.length > 0 && nets.every((n) => n.startsWith('dockerhost01/')), 'only dockerhost01 networks');
  for (const n of ['bridge', 'host', 'none']) t.ok(nets.includes(`dockerhost01/${n}`), n);
  await e1.cli(['volume', 'create', `${P}-vol`]);
  t.same(
    (await lines(['volume', 'ls', '-q', '--filter', 'node=dockerhost01'])).filter((v) => v.includes(P)),
    [`dockerhost01/${P}-vol`],
  );
  t.same(
    (await lines(['volume', 'ls', '-q', '--filter', 'node=dockerhost02'])).filter((v) => v.includes(P)),
    [],
  );
  await e1.cli(['tag', IMAGE, `${P}/base:one`]);
  const on1 = await lines(['images', '--filter', 'node=dockerhost01', '--format', '{{.Repository}}:{{.Tag}}']);
  t.same(
    on1.filter((i) => i.includes(P)),
    [`${P}/base:one`],
  );
  const on2 = await lines(['images', '--filter', 'node=dockerhost02', '--format', '{{.Repository}}:{{.Tag}}']);
  t.same(
    on2.filter((i) => i.includes(P)),
    [],
  );
});

t.test('LF2: an engine refusing a list filter is an error, not an empty list', async (t) => {
  const net = await tm.docker(['network', 'ls', '--filter', 'type=foo'], { reject: false });
  t.equal(net.exitCode, 1);
  t.match(net.stderr, /Error response from daemon: invalid filter: 'type'='foo'/i);
  for (const f of ['before=fake_image', 'since=fake_image']) {
    const img = await tm.docker(['images', '--filter', f], { reject: false });
    t.equal(img.exitCode, 1, f);
    t.match(img.stderr, /Error response from daemon: .*fake_image/, f);
  }
});

t.test('IM1: an image on two nodes lists the tags of both', async (t) => {
  const tar = path.join(dir, 'base.tar');
  await e1.cli(['save', '-o', tar, `${P}/base:one`]);
  await e2.cli(['load', '-i', tar]);
  await e1.cli(['tag', `${P}/base:one`, `${P}/t:1`]);
  await e2.cli(['tag', `${P}/base:one`, `${P}/t:2`]);
  const all = (await lines(['images', '--format', '{{.Repository}}:{{.Tag}}'])).filter((i) => i.includes(P)).sort();
  t.same(all, [`${P}/base:one`, `${P}/t:1`, `${P}/t:2`]);
});
