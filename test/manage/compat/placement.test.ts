/**
 * Classic Swarm compatibility of placement, with the stock CLI on two nodes: the failure message's exact
 * layout (PL1), no resources (PL2), `--cpu-shares N` as N CPUs (PL3), reschedule policies (PL5), expression
 * labels (PL4).
 */
import t from 'tap';
import { cleanup, IMAGE, managerConfig, sharedEngines, startTestManager, suffix } from '../helpers.js';

const engines = await sharedEngines();
const P = `cppl${suffix()}`;
const tm = await startTestManager(managerConfig('nodes://127.0.1.1:2375,127.0.1.2:2375'));
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
});
const HEAD = 'Unable to find a node that satisfies the following conditions ';
const run = (name: string, args: string[], cmd = ['sleep', '600']) =>
  tm.docker(['run', '-d', '--name', `${P}-${name}`, ...args, IMAGE, ...cmd], { reject: false });
/** The daemon's message as the CLI prints it (between `Error response from daemon: ` and the help hint). */
const said = (stderr: string) =>
  /Error response from daemon: ([\s\S]*?)\n\nRun 'docker run --help'/.exec(stderr)?.[1] ?? stderr;
const port = 20000 + Math.floor(Math.random() * 20000);

t.test('PL1: host-mode port taken on both nodes', async (t) => {
  for (const i of [1, 2]) t.equal((await run(`h${i}`, ['--net', 'host', '--expose', String(port)])).exitCode, 0);
  const third = await run('h3', ['--net', 'host', '--expose', String(port)]);
  t.equal(third.exitCode, 125);
  t.equal(said(third.stderr), `${HEAD}\n[port ${port}/tcp (Host mode)]`);
});

t.test('PL1: bridge-mode port taken on both nodes', async (t) => {
  for (const i of [1, 2]) t.equal((await run(`b${i}`, ['-p', `${port + 1}:80`])).exitCode, 0);
  const third = await run('b3', ['-p', `${port + 1}:80`]);
  t.equal(said(third.stderr), `${HEAD}\n[port ${port + 1} (Bridge mode)]`);
});

t.test('PL1: an affinity that leaves no node lists every filter up to it', async (t) => {
  for (const n of ['dockerhost01', 'dockerhost02'])
    t.equal((await run(`l-${n}`, ['-e', `constraint:node==${n}`, '--label', `${P}.label=true`])).exitCode, 0);
  const r = await run('aff', ['-e', `affinity:${P}.label!=true`]);
  t.equal(said(r.stderr), `${HEAD}\n[available container slots]\n[${P}.label!=true (soft=false)]`);
  const dep = await run('dep', ['--link', `${P}-nosuch:a`]);
  t.equal(said(dep.stderr), `${HEAD}\n[available container slots]\n[--link=${P}-nosuch:a]`);
});

t.test('PL2: not enough memory or CPUs anywhere', async (t) => {
  for (const args of [
    ['-m', '1000G'],
    ['--cpu-shares', '10240'],
  ]) {
    const r = await run('big', args, ['sh']);
    t.equal(r.exitCode, 125, args.join(' '));
    t.equal(said(r.stderr), 'no resources available to schedule container', args.join(' '));
  }
});

t.test('PL5: reschedule policies are checked as classic Swarm checks them', async (t) => {
  const bad = await run('rp1', ['--label', 'com.docker.swarm.reschedule-policies=["false"]'], ['true']);
  t.equal(bad.exitCode, 125);
  t.equal(said(bad.stderr), 'invalid reschedule policy: false');
  const many = await run(
    'rp2',
    ['-e', 'reschedule:off', '--label', 'com.docker.swarm.reschedule-policies=["on-node-failure"]'],
    ['true'],
  );
  t.equal(many.exitCode, 125);
  t.equal(said(many.stderr), 'too many reschedule policies');
});

t.test(
  'PL4: a shell-escaped != in an expression label is read as !=; other invalid JSON names the label',
  async (t) => {
    t.equal((await run('c1', ['-e', 'constraint:node==dockerhost01'])).exitCode, 0);
    const r = await run('c2', ['--label', `com.docker.swarm.affinities=["container\\!=${P}-c1"]`]);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal((await tm.docker(['inspect', '-f', '{{.Node.Name}}', `${P}-c2`])).stdout.trim(), 'dockerhost02');
    const bad = await run('c3', ['--label', 'com.docker.swarm.affinities=["container==x"'], ['true']);
    t.equal(bad.exitCode, 125);
    t.equal(said(bad.stderr), 'label com.docker.swarm.affinities: expected a JSON list of strings');
  },
);

t.test('PL3: --cpu-shares N reserves N CPUs; the engine gets ceil(N*1024/CPUs) shares', async (t) => {
  const [e1] = engines as [(typeof engines)[0]];
  const ncpu = Number((await e1.cli(['info', '--format', '{{.NCPU}}'])).stdout.toString().trim());
  const one = await run('cpu1', ['--cpu-shares', '1']);
  t.equal(one.exitCode, 0, one.stderr);
  const got = await tm.docker([
    'inspect',
    '-f',
    '{{.HostConfig.CpuShares}} {{.State.Running}} {{.Node.Name}}',
    `${P}-cpu1`,
  ]);
  const [shares, running, where] = got.stdout.trim().split(' ');
  t.equal(Number(shares), Math.ceil(1024 / ncpu));
  t.equal(running, 'true');
  const info = (await tm.docker(['info'])).stdout;
  const block = info.slice(info.indexOf(` ${where}: `));
  t.match(block, new RegExp(`Reserved CPUs: 1 / ${ncpu}`), 'the node accounts one CPU');
  t.equal((await run('cpu1b', ['--cpu-shares', '1'])).exitCode, 0);
  const second = (await tm.docker(['inspect', '-f', '{{.Node.Name}}', `${P}-cpu1b`])).stdout.trim();
  t.not(second, where, 'spread: the next CPU is reserved on the other node');
  await tm.docker(['rm', '-f', `${P}-cpu1`, `${P}-cpu1b`]);
  for (const n of ['a', 'b']) t.equal((await run(`all${n}`, ['--cpu-shares', String(ncpu)])).exitCode, 0);
  const full = await run('allc', ['--cpu-shares', '1'], ['true']);
  t.equal(said(full.stderr), 'no resources available to schedule container', 'every CPU of both nodes reserved');
});
