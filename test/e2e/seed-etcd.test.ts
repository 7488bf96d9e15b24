/**
 * Issue 6, end to end with etcd (v3, `etcd://127.0.0.1:2379/<unique prefix>`) + Nginx: the seed demo, placement,
 * keys, traffic to every webapp, a webapp killed leaves the edge, an engine stopped (the same checks as with
 * Consul: engine-stop.ts), then `shoal down`.
 */
import t from 'tap';
import { service } from '../harness/index.js';
import { openStore } from '../../agents/store/open.js';
import { engineStop } from './engine-stop.js';
import { RAND, seedRun } from './seed.js';

t.test('etcd + Nginx: the seed demo, a webapp killed, an engine stopped, then down', async (t) => {
  const etcd = await service('etcd');
  const prefix = `e2e-etcd-${RAND}`;
  const store = await openStore(`etcd://${etcd.address}/${prefix}`, { timeoutMs: 5000 });
  t.teardown(async () => {
    await store.deleteTree('services').catch(() => {});
    await store.deleteTree('swarm').catch(() => {});
    await store.close();
  });
  await seedRun(t, {
    name: 'etcd',
    store,
    prefix,
    upArgs: ['--store', `etcd://${etcd.address}/${prefix}`, '--proxy', 'nginx'],
    then: async (c, timings, killed) => {
      t.match(c.out, /edge +nginx +http:\/\/127\.0\.0\.1:\d+ +running/, 'the edge is Nginx');
      await engineStop(t, store, c, timings, killed);
    },
  });
});
