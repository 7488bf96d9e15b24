/**
 * Classic Swarm compatibility of `docker ps`, with the stock CLI: -l and -n N include stopped containers
 * (PS1), --filter is-task by the com.docker.swarm.task label (PS3), plain ps leaves out an unhealthy node's
 * containers while -a shows them Host Down (PS2, on engine 6, ours to stop).
 */
import t from 'tap';
import { engine, busyboxImage } from '../../harness/index.js';
import { cleanup, IMAGE, managerConfig, startTestManager, suffix, waitUntil } from '../helpers.js';

const e1 = await engine(1);
const e6 = await engine(6);
await busyboxImage(e6);
const P = `cpps${suffix()}`;
const tm = await startTestManager(
  managerConfig('nodes://127.0.1.1:2375,127.0.1.6:2375', { refreshMinMs: 1000, refreshMaxMs: 1000, failureRetry: 1 }),
);
t.teardown(async () => {
  await tm.stop();
  if (!(await e6.running())) await e6.start();
  await cleanup([e1, e6], P);
});
const names = async (args: string[]) =>
  (await tm.docker(['ps', ...args, '--format', '{{.Names}}|{{.Status}}'])).stdout
    .trim()
    .split('\n')
    .filter((l) => l.includes(P))
    .sort();

t.test('PS1: ps -l and ps -n N include a container that was only created', async (t) => {
  await tm.docker(['create', '--name', `${P}-x`, '-e', 'constraint:node==dockerhost01', IMAGE, 'sleep', '1000']);
  t.same(await names(['-l']), [`dockerhost01/${P}-x|Created`]);
  t.same(await names(['-n', '3']), [`dockerhost01/${P}-x|Created`]);
  t.same(await names([]), [], 'plain ps still shows running ones only');
  await tm.docker(['rm', `${P}-x`]);
});

t.test('PS3: --filter is-task decides by the com.docker.swarm.task label', async (t) => {
  await tm.docker([
    'run',
    '-d',
    '--name',
    `${P}-c1`,
    '-e',
    'constraint:node==dockerhost01',
    '--label',
    'com.docker.swarm.task=',
    IMAGE,
    'sleep',
    '100',
  ]);
  await tm.docker(['run', '-d', '--name', `${P}-c2`, '-e', 'constraint:node==dockerhost06', IMAGE, 'sleep', '100']);
  const only = async (v: string) => (await names(['--filter', `is-task=${v}`])).map((l) => l.split('|')[0]);
  t.same(await only('true'), [`dockerhost01/${P}-c1`]);
  t.same(await only('false'), [`dockerhost06/${P}-c2`]);
});

t.test('PS2: plain ps leaves out the containers of an unhealthy node; ps -a shows them Host Down', async (t) => {
  await e6.stop();
  await waitUntil(
    () => tm.manager.cluster.list().some((n) => n.name === 'dockerhost06' && n.health === 'unhealthy'),
    30_000,
    'dockerhost06 unhealthy',
  );
  t.same(
    (await names([])).map((l) => l.split('|')[0]),
    [`dockerhost01/${P}-c1`],
  );
  t.same(await names(['-a', '--filter', `name=${P}-c2`]), [`dockerhost06/${P}-c2|Host Down`]);
});
