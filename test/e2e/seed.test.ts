/**
 * Issue 6, end to end with Consul + HAProxy: the seed demo (`shoal up --engines 3 --demo`), placement by
 * constraints, the /services keys, traffic to every webapp through the edge, a webapp killed leaves the edge,
 * an engine stopped (seed.ts, engine-stop.ts), then `shoal down`. seed-etcd.test.ts: the same on etcd + Nginx.
 */
import t from 'tap';
import { service } from '../harness/index.js';
import { openStore } from '../../agents/store/open.js';
import { engineStop } from './engine-stop.js';
import { RAND, seedRun } from './seed.js';

t.test('Consul + HAProxy: the seed demo, a webapp killed, an engine stopped, then down', async (t) => {
  const consul = await service('consul');
  const prefix = `e2e-${RAND}`;
  const store = await openStore(`consul://${consul.address}/${prefix}`, { timeoutMs: 5000 });
  t.teardown(async () => {
    await store.deleteTree('').catch(() => {});
    await store.close();
  });
  await seedRun(t, {
    name: 'consul',
    store,
    prefix,
    upArgs: ['--store', `consul://${consul.address}`, '--prefix', prefix],
    then: (c, timings, killed) => engineStop(t, store, c, timings, killed),
  });
});
