/**
 * `docker container|network|volume prune` and `docker system df` through the manager with the real CLI: every
 * healthy node is pruned and one merged report comes back. Always with a label filter here: the engines are
 * shared with other test files.
 */
import t from 'tap';
import { mergeDf, mergePrune } from '../../agents/manage/api/handlers/prune.js';
import {
  cleanup,
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
const P = `mgprune${s}`;
const LABEL = `shoal.test.prune=${s}`;
const tm: TestManager = await startTestManager(managerConfig(ENGINE_ADDRS));
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
  for (const e of engines) {
    await e.cli(['network', 'rm', `${P}-net`], { reject: false });
    await e.cli(['volume', 'rm', `${P}-vol`], { reject: false });
  }
});

t.test('merging: lists joined, network and volume names marked with the node, space summed (pure)', async (t) => {
  t.same(
    mergePrune([
      { node: 'h1', body: { ContainersDeleted: ['a'], SpaceReclaimed: 10 } },
      { node: 'h2', body: { ContainersDeleted: ['b'], NetworksDeleted: ['n'], SpaceReclaimed: 5 } },
      { node: 'h3', body: { ContainersDeleted: null, SpaceReclaimed: 0 } },
    ]),
    { SpaceReclaimed: 15, ContainersDeleted: ['a', 'b'], NetworksDeleted: ['h2/n'] },
  );
  t.same(
    mergeDf([
      { node: 'h1', body: { LayersSize: 3, Images: [{ Id: 'i' }], Volumes: [{ Name: 'v' }] } },
      { node: 'h2', body: { LayersSize: 4 } },
    ]),
    {
      LayersSize: 7,
      Images: [{ Id: 'i' }],
      Containers: [],
      Volumes: [{ Name: 'h1/v' }],
      BuildCache: [],
    },
  );
});

t.test('container prune removes the stopped containers of every node, and only those', async (t) => {
  for (const n of [1, 2, 3])
    await tm.docker([
      'create',
      '--name',
      `${P}-stopped${n}`,
      '--label',
      LABEL,
      '-e',
      `constraint:node==dockerhost0${n}`,
      IMAGE,
      'true',
    ]);
  await tm.docker([
    'run',
    '-d',
    '--name',
    `${P}-running`,
    '--label',
    LABEL,
    '-e',
    'constraint:node==dockerhost01',
    IMAGE,
    'sleep',
    '600',
  ]);
  const r = await tm.docker(['container', 'prune', '-f', '--filter', `label=${LABEL}`]);
  t.match(r.stdout, /Deleted Containers:/);
  t.match(r.stdout, /Total reclaimed space:/);
  for (const [i, e] of engines.entries())
    t.equal(
      (await e.cli(['ps', '-aq', '--filter', `name=${P}-stopped`])).stdout.trim(),
      '',
      `pruned on ${e.name} (${i})`,
    );
  t.equal(
    (await engines[0]!.cli(['ps', '-q', '--filter', `name=${P}-running`])).stdout.trim() !== '',
    true,
    'the running one stays',
  );
  const ids = r.stdout.split('\n').filter((l) => /^[0-9a-f]{64}$/.test(l.trim()));
  t.equal(ids.length, 3, 'one report: the three deleted IDs');
});

t.test('network and volume prune per node, names marked; system df adds the nodes up', async (t) => {
  for (const n of [1, 2, 3]) await tm.docker(['network', 'create', '--label', LABEL, `dockerhost0${n}/${P}-net`]);
  for (const e of engines) await e.cli(['volume', 'create', '--label', LABEL, `${P}-vol`]);
  const nets = await tm.docker(['network', 'prune', '-f', '--filter', `label=${LABEL}`]);
  for (const n of [1, 2, 3]) t.match(nets.stdout, `dockerhost0${n}/${P}-net`);
  for (const e of engines)
    t.equal((await e.cli(['network', 'ls', '-q', '--filter', `name=${P}-net`])).stdout.trim(), '');
  const vols = await tm.docker(['volume', 'prune', '-f', '--filter', `label=${LABEL}`]);
  for (const n of [1, 2, 3]) t.match(vols.stdout, `dockerhost0${n}/${P}-vol`);
  for (const e of engines)
    t.equal((await e.cli(['volume', 'ls', '-q', '--filter', `name=${P}-vol`])).stdout.trim(), '');

  const df = await tm.docker(['system', 'df']);
  t.match(df.stdout, /^Images\s+\d+/m, 'docker system df prints the cluster totals');
  const raw = (await (await fetch(`${tm.host.replace(/^tcp:/, 'http:')}/v1.41/system/df`)).json()) as {
    Images?: { RepoTags?: string[] }[];
  };
  const busybox = (raw.Images ?? []).filter((i) => (i.RepoTags ?? []).includes('shoal/busybox:latest'));
  t.equal(busybox.length, 3, 'the busybox image once per node');
});
