/** Classic Swarm compatibility, with the stock docker CLI: the server identity (OT1) and events history (EV1). */
import t from 'tap';
import { cleanup, ENGINE_ADDRS, IMAGE, managerConfig, sharedEngines, startTestManager, suffix } from '../helpers.js';
import { VERSION } from '../../../agents/version.js';

const engines = await sharedEngines();
const P = `cpsys${suffix()}`;
const tm = await startTestManager(managerConfig(ENGINE_ADDRS));
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
});

t.test('OT1: version and info say swarm/1.2.9 first, then shoal', async (t) => {
  const want = `swarm/1.2.9 (shoal ${VERSION})`;
  t.equal((await tm.docker(['version', '--format', '{{.Server.Version}}'])).stdout.trim(), want);
  t.equal((await tm.docker(['info', '--format', '{{.ServerVersion}}'])).stdout.trim(), want);
});

t.test('EV1: events --until <past> ends at once with nothing', async (t) => {
  await tm.docker(['create', '--name', `${P}-ev`, IMAGE, 'true']);
  const past = String(Math.floor(Date.now() / 1000) - 1);
  const started = Date.now();
  const r = await tm.docker(['events', '--until', past]);
  t.equal(r.stdout, '', 'no history replayed');
  t.ok(Date.now() - started < 5000, 'returns at once');
  const soon = String(Math.floor(Date.now() / 1000) + 2);
  t.equal(
    (await tm.docker(['events', '--until', soon, '--filter', `container=${P}-ev`])).stdout,
    '',
    'a future until streams only new events',
  );
});
