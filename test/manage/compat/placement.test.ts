/**
 * Classic Swarm compatibility of placement, with the stock CLI on two nodes: the failure message's exact
 * layout (PL1), no resources (PL2).
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
const run = (name: string, args: string[], cmd = ['sleep', '600']) => tm.docker(['run', '-d', '--name', `${P}-${name}`, ...args, IMAGE, ...cmd], { reject: false });
/** The daemon's message as the CLI prints it (between `Error response from daemon: ` and the help hint). */
const said = (stderr: string) => /Error response from daemon: ([\s\S]*?)\n\nRun 'docker run --help'/.exec(stderr)?.[1] ?? stderr;
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
  for (const n of ['dockerhost01', 'dockerhost02']) t.equal((await run(`l-${n}`, ['-e', `constraint:node==${n}`, '--label', `${P}.label=true`])).exitCode, 0);
  const r = await run('aff', ['-e', `affinity:${P}.label!=true`]);
  t.equal(said(r.stderr), `${HEAD}\n[available container slots]\n[${P}.label!=true (soft=false)]`);
  const dep = await run('dep', ['--link', `${P}-nosuch:a`]);
  t.equal(said(dep.stderr), `${HEAD}\n[available container slots]\n[--link=${P}-nosuch:a]`);
});

t.test('PL2: not enough memory or CPUs anywhere', async (t) => {
  for (const args of [['-m', '1000G'], ['--cpu-shares', '10240']]) {
    const r = await run('big', args, ['sh']);
    t.equal(r.exitCode, 125, args.join(' '));
    t.equal(said(r.stderr), 'no resources available to schedule container', args.join(' '));
  }
});
