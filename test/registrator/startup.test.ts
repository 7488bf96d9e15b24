/** Start-up rules of `shoal registrator`: --retry-attempts, retrying forever, unusable host names. */
import t from 'tap';
import { silentLogger } from '../../agents/common/log.js';
import { main } from '../../agents/registrator/main.js';
import { engine } from '../harness/engines.js';
import { registratorConfig, startRegistrator, storeAddress } from './helpers.js';

// 127.0.0.1:1 refuses connections: a store that is down
const DOWN = 'consul://127.0.0.1:1/shoaltest-down';

t.test('--retry-attempts 2: gives up with a typed error', async (t) => {
  const ac = new AbortController();
  const cfg = registratorConfig(DOWN, { retryAttempts: '2', retryInterval: '50ms', storeTimeout: '500ms', dockerHost: 'unix:///nonexistent.sock' });
  await t.rejects(main(cfg, { log: silentLogger(), signal: ac.signal, env: {} }), { code: 'SHOAL_STORE_UNAVAILABLE' });
});

t.test('--retry-attempts -1 (default): keeps trying, stops cleanly on shutdown', async (t) => {
  const reg = startRegistrator(DOWN, { retryInterval: '50ms', storeTimeout: '500ms', dockerHost: 'unix:///nonexistent.sock' });
  await new Promise((r) => setTimeout(r, 2000));
  t.equal(reg.settled(), false, 'still trying');
  t.equal(await reg.stop(), 0);
});

t.test('a host name that cannot be part of a key is refused', async (t) => {
  const e = await engine(1);
  const ac = new AbortController();
  const cfg = registratorConfig(`consul://${await storeAddress('consul')}/shoaltest-badhost`, { hostname: 'bad/host', dockerHost: e.dockerHost });
  await t.rejects(main(cfg, { log: silentLogger(), signal: ac.signal, env: {} }), { code: 'SHOAL_BAD_HOSTNAME' });
});
