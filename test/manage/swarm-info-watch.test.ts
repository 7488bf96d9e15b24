/**
 * `/info`'s Swarm section served from the watched view (consul, etcd): a replica manager, whose store calls are
 * counted through a wrapper, answers `/info` without reading the store once its watches are live, sees
 * `swarm init` and `swarm leave --force` made through the other manager through its watches, and the services
 * orchestrator's "is there a swarm?" check asks its view, not the store.
 */
import t from 'tap';
import { openStore } from '../../agents/store/open.js';
import type { Store } from '../../agents/store/store.js';
import { startManager, type Manager } from '../../agents/manage/manager.js';
import { CLUSTER_KEY, MODE_PREFIX } from '../../agents/manage/swarm/layout.js';
import { ServiceStore } from '../../agents/manage/orchestrator/store.js';
import { SwarmView } from '../../agents/manage/swarm/view.js';
import { silentLogger } from '../../agents/common/log.js';
import { swarmSetup } from './swarm-setup.js';
import { startTestManager, waitUntil } from './helpers.js';
import { freePort } from '../harness/proxies.js';

/** The store with every `get` and `list` counted by key. */
function counting(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const wrapped = new Proxy(store, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (prop === 'get' || prop === 'list')
        return (key: string) => {
          calls.set(`${prop} ${key}`, (calls.get(`${prop} ${key}`) ?? 0) + 1);
          return (v as (k: string) => Promise<unknown>).call(target, key);
        };
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: wrapped, calls };
}

const kinds = (process.env.SHOAL_SWARM_STORES ?? 'consul,etcd').split(',');

for (const kind of kinds) {
  t.test(`/info from the watched view on ${kind}`, async (t) => {
    const { uri, config, port } = await swarmSetup(t, kind, 'mginfo');
    const a = await startTestManager({
      ...config,
      replication: { advertise: `127.0.0.1:${port}`, ttlMs: 4000 },
    });
    t.teardown(() => a.stop());
    const portB = await freePort();
    let calls = new Map<string, number>();
    const b: Manager = await startManager(
      {
        ...config,
        hosts: [{ kind: 'tcp', host: '127.0.0.1', port: portB }],
        replication: { advertise: `127.0.0.1:${portB}`, ttlMs: 4000 },
      },
      silentLogger(),
      {
        openStore: async (u, o) => {
          const c = counting(await openStore(u, o));
          calls = c.calls;
          return c.store;
        },
      },
    );
    t.teardown(() => b.stop());
    const info = async () => {
      const r = await fetch(`http://127.0.0.1:${portB}/v1.41/info`);
      return ((await r.json()) as { Swarm: { LocalNodeState: string; Error: string; Nodes?: number } }).Swarm;
    };
    const reads = () => (calls.get(`list ${MODE_PREFIX}`) ?? 0) + (calls.get(`get ${CLUSTER_KEY}`) ?? 0);

    t.test('an idle manager answers /info without reading the store', async (t) => {
      // while its watches start, /info may read once; from then on, never
      await waitUntil(
        async () => {
          const before = reads();
          await info();
          return reads() === before;
        },
        20_000,
        'an /info that does not read the store',
      );
      const before = reads();
      for (let i = 0; i < 20; i++) t.equal((await info()).LocalNodeState, 'inactive');
      t.equal(reads(), before, 'twenty /info calls, no store read');
    });

    t.test('swarm init and leave through the other manager show through the watch', async (t) => {
      await a.docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      await waitUntil(async () => (await info()).LocalNodeState === 'active', 20_000, 'active on the replica');
      const before = reads();
      const s = await info();
      t.equal(s.Error, '');
      t.ok((s.Nodes ?? 0) >= 1, 'the node records came with it');
      t.equal(reads(), before, 'from the view');
      await a.docker(['swarm', 'leave', '--force']);
      await waitUntil(async () => (await info()).LocalNodeState === 'inactive', 20_000, 'inactive on the replica');
      t.equal(reads(), before, 'still no store read');
    });

    t.test("the orchestrator's swarm check asks the view, not the store", async (t) => {
      const c = counting(await openStore(uri, { timeoutMs: 5000 }));
      const view = new SwarmView(c.store, silentLogger());
      view.start();
      t.teardown(async () => {
        await view.stop();
        await c.store.close();
      });
      await waitUntil(() => view.state === 'live', 20_000, 'the view live');
      const services = new ServiceStore(c.store, silentLogger(), Date.now, () => view.clusterKnown());
      for (let i = 0; i < 10; i++) {
        const err = await services.read(true).catch((e: unknown) => e);
        t.match((err as Error).message, /not a swarm manager/);
      }
      t.equal(c.calls.get(`get ${CLUSTER_KEY}`) ?? 0, 0, 'ten passes before init, no store read');
      // a request (not a pass) confirms the view's "no swarm" with one read: the view may lag an init made
      // through another manager
      const err = await services.read().catch((e: unknown) => e);
      t.match((err as Error).message, /not a swarm manager/);
      t.equal(c.calls.get(`get ${CLUSTER_KEY}`) ?? 0, 1, 'a request reads the cluster key once');
    });
  });
}
