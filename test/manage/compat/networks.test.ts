/**
 * Classic Swarm compatibility of networks, with the stock CLI on two nodes: a network is created on one
 * node (NW1), `node/NAME` on that node and an unknown node fails placement (NW2), a name on several nodes is
 * no network (NW3), inspect is the engine's own document (NW4), `--net node/net` runs there (NW5).
 */
import t from 'tap';
import { cleanup, IMAGE, managerConfig, sharedEngines, startTestManager, suffix } from '../helpers.js';

const engines = await sharedEngines();
const [e1, e2] = engines as [(typeof engines)[0], (typeof engines)[0]];
const P = `cpnet${suffix()}`;
const tm = await startTestManager(managerConfig('nodes://127.0.1.1:2375,127.0.1.2:2375'));
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
  for (const e of engines) {
    const ids = (await e.cli(['network', 'ls', '-q', '--filter', `name=${P}`])).stdout.trim().split('\n');
    for (const id of ids.filter(Boolean)) await e.cli(['network', 'rm', id], { reject: false });
  }
});
const onEngines = async (name: string) => {
  const out: string[] = [];
  for (const e of engines) {
    const r = await e.cli(['network', 'ls', '--filter', `name=^${name}$`, '--format', '{{.Name}}']);
    if (r.stdout.trim() === name) out.push(e.name);
  }
  return out;
};

t.test('NW1: network create NAME makes one network on one node', async (t) => {
  await tm.docker(['network', 'create', '-d', 'bridge', `${P}-one`]);
  const where = await onEngines(`${P}-one`);
  t.equal(where.length, 1, `on exactly one node: ${where.join(', ')}`);
  const listed = (await tm.docker(['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
  t.same(
    listed.filter((l) => l.endsWith(`/${P}-one`)),
    [`${where[0]}/${P}-one`],
  );
  await tm.docker(['network', 'rm', `${P}-one`]);
  t.same(await onEngines(`${P}-one`), [], 'a unique plain name removes it');
});

t.test('NW2: node/NAME goes to that node; an unknown node fails as a placement', async (t) => {
  await tm.docker(['network', 'create', '-d', 'bridge', `dockerhost02/${P}-two`]);
  t.same(await onEngines(`${P}-two`), ['dockerhost02']);
  const r = await tm.docker(['network', 'create', '-d', 'bridge', `dockerhost03/${P}-three`], { reject: false });
  t.equal(r.exitCode, 1);
  t.equal(
    r.stderr.trim(),
    'Error response from daemon: Unable to find a node that satisfies the following conditions \n[available container slots]\n[node==dockerhost03]',
  );
  t.same(await onEngines(`dockerhost03/${P}-three`), []);
  t.same(await onEngines(`${P}-three`), []);
});

t.test('NW3: a name on several nodes is no network; NW4: inspect is the engine document', async (t) => {
  const r = await tm.docker(['network', 'inspect', 'bridge'], { reject: false });
  t.equal(r.exitCode, 1);
  t.equal(r.stderr.trim(), 'Error response from daemon: No such network: bridge');
  const rm = await tm.docker(['network', 'rm', 'bridge'], { reject: false });
  t.equal(rm.exitCode, 1);
  t.match(rm.stderr, /No such network bridge/);
  const through = await tm.docker(['network', 'inspect', 'dockerhost01/bridge']);
  const direct = await e1.cli(['network', 'inspect', 'bridge']);
  t.equal(through.stdout, direct.stdout.toString(), 'byte for byte the engine answer');
  t.equal(JSON.parse(through.stdout)[0].Name, 'bridge');
  const id = (await e2.cli(['network', 'inspect', '-f', '{{.Id}}', 'bridge'])).stdout.toString().trim();
  t.equal((await tm.docker(['network', 'inspect', '-f', '{{.Id}}', id.slice(0, 12)])).stdout.trim(), id, 'by ID');
});

t.test('NW5: --net node/net runs on that node, attached to the network', async (t) => {
  await tm.docker(['network', 'create', '-d', 'bridge', `dockerhost02/${P}-testn`]);
  const run = await tm.docker(
    ['run', '-d', '--net', `dockerhost02/${P}-testn`, '--name', `${P}-t`, IMAGE, 'sleep', '100'],
    {
      reject: false,
    },
  );
  t.equal(run.exitCode, 0, run.stderr);
  const inspect = await tm.docker([
    'inspect',
    '-f',
    '{{.Node.Name}} {{.State.Running}} {{.HostConfig.NetworkMode}}',
    `${P}-t`,
  ]);
  t.equal(inspect.stdout.trim(), `dockerhost02 true ${P}-testn`);
  const ps = await tm.docker(['ps', '--filter', `network=${P}-testn`, '--format', '{{.Names}}']);
  t.equal(ps.stdout.trim(), `dockerhost02/${P}-t`);
  const net = await tm.docker(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}}{{end}}', `${P}-testn`]);
  t.equal(net.stdout.trim(), `${P}-t`);
});
