/** The cached `docker ps` path large clusters use (forced here with liveListMax 0): state changes made through the manager show at once. */
import t from 'tap';
import { cleanup, ENGINE_ADDRS, IMAGE, managerConfig, sharedEngines, startTestManager, suffix } from './helpers.js';

const engines = await sharedEngines();
const P = `mgcache${suffix()}`;
const tm = await startTestManager({ ...managerConfig(ENGINE_ADDRS), liveListMax: 0 });
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
});
const ps = async (...args: string[]) =>
  (await tm.docker(['ps', ...args, '--format', '{{.Names}} {{.State}}'])).stdout.trim();

t.test('create, stop, start, rm through the manager: the cached list follows each at once', async (t) => {
  await tm.docker([
    'run',
    '-d',
    '--name',
    `${P}-a`,
    '--label',
    'tier=web',
    '-e',
    'constraint:node==dockerhost03',
    IMAGE,
    'sleep',
    '600',
  ]);
  t.equal(await ps('--filter', `name=${P}`), `dockerhost03/${P}-a running`);
  t.equal(await ps('--filter', 'label=tier=web', '--filter', `name=${P}`), `dockerhost03/${P}-a running`);
  t.equal(await ps('--filter', 'label=tier=db', '--filter', `name=${P}`), '');
  await tm.docker(['stop', '-t', '0', `${P}-a`]);
  t.equal(await ps('--filter', `name=${P}`), '', 'not running any more');
  t.equal(await ps('-a', '--filter', `name=${P}`), `dockerhost03/${P}-a exited`);
  t.equal(await ps('-a', '--filter', 'status=exited', '--filter', `name=${P}`), `dockerhost03/${P}-a exited`);
  await tm.docker(['start', `${P}-a`]);
  t.equal(await ps('--filter', `name=${P}`), `dockerhost03/${P}-a running`);
  await tm.docker(['rm', '-f', `${P}-a`]);
  t.equal(await ps('-a', '--filter', `name=${P}`), '');
});

t.test('containers made behind the manager arrive through the event stream', async (t) => {
  await engines[0]!.cli(['run', '-d', '--name', `${P}-direct`, IMAGE, 'sleep', '600']);
  const until = Date.now() + 10_000;
  let seen = '';
  while (Date.now() < until && seen === '') {
    seen = await ps('--filter', `name=${P}-direct`);
    if (seen === '') await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(seen, `dockerhost01/${P}-direct running`);
});
