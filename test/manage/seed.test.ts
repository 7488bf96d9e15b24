/**
 * The seed scenario with the real docker CLI against a manager over engines dockerhost01..03
 * (labels zone/disk/status): constraints, affinities, port clashes, info/ps/logs/exec/inspect/rm -f.
 */
import t from 'tap';
import {
  cleanup,
  ENGINE_ADDRS,
  IMAGE,
  managerConfig,
  sharedEngines,
  startTestManager,
  suffix,
  type TestManager,
  waitUntil,
} from './helpers.js';

const engines = await sharedEngines();
const s = suffix();
const P = `mgseed${s}`;
const tm: TestManager = await startTestManager(managerConfig(ENGINE_ADDRS));
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
});

const nodeOf = async (name: string) => (await tm.docker(['inspect', '-f', '{{.Node.Name}}', name])).stdout.trim();
const run = (name: string, env: string[], extra: string[] = [], cmd = ['sleep', '600']) =>
  tm.docker(['run', '-d', '--name', name, ...env.flatMap((e) => ['-e', e]), ...extra, IMAGE, ...cmd], {
    reject: false,
  });

t.test('constraint:zone==external lands on dockerhost01 or 02, status==master on 01', async (t) => {
  for (let i = 0; i < 3; i++) {
    const r = await run(`${P}-ext${i}`, ['constraint:zone==external']);
    t.equal(r.exitCode, 0, r.stderr);
    t.match(await nodeOf(`${P}-ext${i}`), /^dockerhost0[12]$/);
  }
  const r = await run(`${P}-master`, ['constraint:status==master']);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(await nodeOf(`${P}-master`), 'dockerhost01');
  const internal = await run(`${P}-int`, ['constraint:zone!=external', 'constraint:disk==ssd']);
  t.equal(internal.exitCode, 0);
  t.equal(await nodeOf(`${P}-int`), 'dockerhost03');
});

t.test('node== takes the engine ID and the address as well as the name; each engine has its own ID', async (t) => {
  const ids = await Promise.all(engines.map(async (e) => (await e.docker.info()).ID as string));
  t.equal(new Set(ids).size, 3, `three distinct engine IDs: ${ids.join(' ')}`);
  const byId = await run(`${P}-byid`, [`constraint:node==${ids[1]}`]);
  t.equal(byId.exitCode, 0, byId.stderr);
  t.equal(await nodeOf(`${P}-byid`), 'dockerhost02');
  const byAddr = await run(`${P}-byaddr`, [`constraint:node==${engines[2]?.tcp}`]);
  t.equal(byAddr.exitCode, 0, byAddr.stderr);
  t.equal(await nodeOf(`${P}-byaddr`), 'dockerhost03');
  const notId = await run(`${P}-notid`, [`constraint:node!=${ids[0]}`, 'constraint:zone==external']);
  t.equal(notId.exitCode, 0, notId.stderr);
  t.equal(await nodeOf(`${P}-notid`), 'dockerhost02');
  const info = (await tm.docker(['info'])).stdout;
  for (const id of ids) t.match(info, `ID: ${id}`, 'docker info lists each node by its own ID');
});

t.test('the placement expressions never reach the engine env; they are kept as labels', async (t) => {
  const env = (await tm.docker(['inspect', '-f', '{{json .Config.Env}}', `${P}-master`])).stdout;
  t.notMatch(env, /constraint:/);
  const labels = JSON.parse(
    (await tm.docker(['inspect', '-f', '{{json .Config.Labels}}', `${P}-master`])).stdout,
  ) as Record<string, string>;
  t.same(JSON.parse(labels['com.docker.swarm.constraints'] as string), ['status==master']);
  t.match(labels['com.docker.swarm.id'], /^[0-9a-f]{64}$/);
  const byLabel = await tm.docker(['inspect', '-f', '{{.Name}}', labels['com.docker.swarm.id'] as string]);
  t.equal(byLabel.stdout.trim(), `/${P}-master`, 'the com.docker.swarm.id label is accepted as an ID');
});

t.test('affinity:container== follows the named container; != avoids it', async (t) => {
  const r = await run(`${P}-aff`, [`affinity:container==${P}-int`]);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(await nodeOf(`${P}-aff`), 'dockerhost03');
  const r2 = await run(`${P}-anti`, [`affinity:container!=${P}-int`, 'constraint:zone==internal']);
  t.equal(r2.exitCode, 125, 'nothing but dockerhost03 is internal, and it holds the container');
  t.match(
    r2.stderr,
    `Unable to find a node that satisfies the following conditions \n[available container slots]\n[container!=${P}-int (soft=false)]\n[zone==internal]\n`,
  );
  const soft = await run(`${P}-soft`, [`affinity:container!=~${P}-int`, 'constraint:zone==internal']);
  t.equal(soft.exitCode, 0, 'a soft affinity is dropped when nothing fits');
  t.equal(await nodeOf(`${P}-soft`), 'dockerhost03');
});

t.test('dependencies: --volumes-from, --link and --net=container: land next to their target', async (t) => {
  for (const [suffixName, extra] of [
    ['vf', ['--volumes-from', `${P}-int`]],
    ['ln', ['--link', `${P}-int:db`]],
    ['net', ['--net', `container:${P}-int`]],
  ] as const) {
    const r = await run(`${P}-dep-${suffixName}`, [], [...extra]);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(await nodeOf(`${P}-dep-${suffixName}`), 'dockerhost03', suffixName);
  }
  const missing = await run(`${P}-dep-missing`, [], ['--volumes-from', `${P}-nothere`]);
  t.equal(missing.exitCode, 125);
  t.match(missing.stderr, `\n[available container slots]\n[--volumes-from=${P}-nothere]`);
});

t.test(
  'affinity:image= (the seed single =) follows an image only one node has; a missing image retries where it is',
  async (t) => {
    const tag = `mgseed/only2:${s}`;
    await engines[1]!.cli(['tag', IMAGE, tag]);
    t.teardown(() => engines[1]!.cli(['rmi', tag], { reject: false }).then(() => undefined));
    await tm.manager.cluster.byAddr('127.0.1.2:2375')!.refresh();
    const r = await run(`${P}-img`, [`affinity:image=${tag}`], [], ['sleep', '600']);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(await nodeOf(`${P}-img`), 'dockerhost02');
    // without any expression: whichever node spread picks first, the create ends where the image is
    for (let i = 0; i < 3; i++) {
      const x = await tm.docker(['run', '-d', '--name', `${P}-retry${i}`, tag, 'sleep', '600'], { reject: false });
      t.equal(x.exitCode, 0, x.stderr);
      t.equal(await nodeOf(`${P}-retry${i}`), 'dockerhost02');
    }
  },
);

t.test('-p clashes: one host port per node; the third create fails naming the port', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const names: string[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await run(
      `${P}-web${i}`,
      ['constraint:zone==external'],
      ['-p', `${port}:80`],
      ['httpd', '-f', '-p', '80'],
    );
    t.equal(r.exitCode, 0, r.stderr);
    names.push(await nodeOf(`${P}-web${i}`));
  }
  t.same(names.sort(), ['dockerhost01', 'dockerhost02']);
  const third = await run(
    `${P}-web2`,
    ['constraint:zone==external'],
    ['-p', `${port}:80`],
    ['httpd', '-f', '-p', '80'],
  );
  t.equal(third.exitCode, 125);
  t.match(third.stderr, `following conditions \n[port ${port} (Bridge mode)]\n`);
  const ps = (await tm.docker(['ps', '--filter', `name=${P}-web`, '--format', '{{.Names}} {{.Ports}}'])).stdout;
  t.match(ps, new RegExp(`dockerhost01/${P}-web\\d 127\\.0\\.1\\.1:${port}->80/tcp`));
});

t.test('concurrent creates do not double-book a port', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const rs = await Promise.all(
    [0, 1, 2].map((i) =>
      run(`${P}-cc${i}`, ['constraint:zone==external'], ['-p', `${port}:80`], ['httpd', '-f', '-p', '80']),
    ),
  );
  t.same(rs.map((r) => r.exitCode).sort(), [0, 0, 125]);
  const nodes = await Promise.all(rs.flatMap((r, i) => (r.exitCode === 0 ? [nodeOf(`${P}-cc${i}`)] : [])));
  t.same(nodes.sort(), ['dockerhost01', 'dockerhost02']);
});

t.test('names are unique across the cluster, for create and rename', async (t) => {
  const r = await run(`${P}-master`, ['constraint:node==dockerhost02']);
  t.equal(r.exitCode, 125);
  t.match(r.stderr, /is already in use in the cluster/);
  const mv = await tm.docker(['rename', `${P}-int`, `${P}-master`], { reject: false });
  t.not(mv.exitCode, 0, 'dockerhost03 alone would accept it; the cluster does not');
  t.match(mv.stderr, /is already in use in the cluster/);
});

t.test('docker info: swarm status layout', async (t) => {
  const out = (await tm.docker(['info'])).stdout;
  t.match(out, /Role: primary/);
  t.match(out, /Strategy: spread/);
  t.match(out, /Filters: health, port, containerslots, dependency, affinity, constraint, whitelist/);
  t.match(out, /Nodes: 3/);
  for (const n of [1, 2, 3]) t.match(out, new RegExp(`dockerhost0${n}: 127\\.0\\.1\\.${n}:2375`));
  t.match(out, /└ Containers: \d+ \(\d+ Running, \d+ Paused, \d+ Stopped\)/);
  t.match(out, /└ Labels: .*status=master.*zone=external/);
  t.match(out, /Server Version: swarm\/1\.2\.9 \(shoal /);
});

t.test('ps, logs, exec, inspect, rm -f', async (t) => {
  const r = await run(
    `${P}-talk`,
    ['constraint:node==dockerhost02'],
    [],
    ['sh', '-c', 'echo hello-from-$(hostname); sleep 600'],
  );
  t.equal(r.exitCode, 0);
  const ps = (await tm.docker(['ps', '--filter', `name=${P}-talk`, '--format', '{{.Names}}'])).stdout.trim();
  t.equal(ps, `dockerhost02/${P}-talk`);
  const node = (
    await tm.docker(['ps', '--filter', 'node=dockerhost02', '--filter', `name=${P}`, '--format', '{{.Names}}'])
  ).stdout;
  t.notMatch(node, /dockerhost0[13]\//, 'the node filter keeps one node');
  t.match(node, new RegExp(`dockerhost02/${P}-talk`));
  await waitUntil(
    async () => /hello-from-/.test((await tm.docker(['logs', `${P}-talk`])).stdout),
    15_000,
    'the container wrote its line',
  );
  t.match((await tm.docker(['logs', `${P}-talk`])).stdout, /hello-from-/);
  t.equal((await tm.docker(['exec', `${P}-talk`, 'echo', 'exec-ok'])).stdout.trim(), 'exec-ok');
  t.equal((await tm.docker(['exec', `dockerhost02/${P}-talk`, 'echo', 'by-node-name'])).stdout.trim(), 'by-node-name');
  const insp = JSON.parse((await tm.docker(['inspect', `${P}-talk`])).stdout)[0];
  t.equal(insp.Node.Name, 'dockerhost02');
  t.equal(insp.Node.Addr, '127.0.1.2:2375');
  t.equal((await tm.docker(['stop', '-t', '0', `${P}-talk`])).exitCode, 0);
  const all = (await tm.docker(['ps', '-a', '--filter', `name=${P}-talk`, '--format', '{{.Status}}'])).stdout;
  t.match(all, /Exited/);
  t.equal((await tm.docker(['rm', '-f', `${P}-talk`])).exitCode, 0);
  const gone = await tm.docker(['inspect', `${P}-talk`], { reject: false });
  t.equal(gone.exitCode, 1);
  t.match(gone.stderr, /No such (container|object)/i);
});

t.test('global placement: one container per matching node, all started', async (t) => {
  const r = await run(`${P}-glob`, ['constraint:global==true', 'constraint:zone==external']);
  t.equal(r.exitCode, 0, r.stderr);
  const out = (await tm.docker(['ps', '--filter', `name=${P}-glob`, '--format', '{{.Names}} {{.State}}'])).stdout
    .trim()
    .split('\n')
    .sort();
  t.same(out, [`dockerhost01/${P}-glob-dockerhost01 running`, `dockerhost02/${P}-glob-dockerhost02 running`]);
});
