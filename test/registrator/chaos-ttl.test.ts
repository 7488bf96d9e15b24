/**
 * --ttl through a store outage (engine 6, the store's chaos instance stopped for longer than the TTL): the
 * lease is re-created or kept, and the entries end exactly right, with containers changed during the outage.
 */
import t from 'tap';
import { holdForProcess } from '../harness/proc.js';
import { busyboxImage, engine } from '../harness/engines.js';
import { service } from '../harness/services.js';
import { leaseExpiry } from '../helpers/lease-canary.js';
import {
  asObject,
  liveBackends,
  nextPass,
  rand,
  readerFor,
  sameKeys,
  startRegistrator,
  waitEntries,
  type Backend,
  SERVICE_OF,
} from './helpers.js';

const E = 6;
// every container on engine 6 is registered by this file's registrators: the engine is this file's alone
await holdForProcess('engine-6');
const HOST = `dockerhost0${E}`;
const OUTAGE_MS = 8000;
const backends = await liveBackends();

for (const b of backends) {
  t.test(`--ttl 3s on ${b}: store down 8 s, entries exact afterwards`, async (t) => {
    const e = await engine(E);
    const image = await busyboxImage(e);
    const s = rand();
    const mine = (kv: { key: string }) => kv.key.includes(`/${HOST}:`) && kv.key.endsWith(`-${s}:80`);
    const chaos = await service(SERVICE_OF[b], 'chaos');
    const uri = `${b}://${chaos.address}/shoaltest-chaosttl-${s}`;
    const store = await readerFor(uri);
    const names: string[] = [];
    t.teardown(async () => {
      if (names.length) await e.cli(['rm', '-f', ...names], { reject: false });
      await chaos.start();
      await store.deleteTree('').catch(() => undefined);
      await store.close();
    });
    const run = async (name: string) => {
      names.push(name);
      await e.cli(['run', '-d', '--name', name, '-p', '80', image, 'httpd', '-f', '-p', '80']);
      return ((await e.cli(['port', name, '80/tcp'])).stdout.split('\n')[0] ?? '').trim();
    };
    const want: Record<string, string> = {
      [`busybox-80/${HOST}:a-${s}:80`]: await run(`a-${s}`),
      [`busybox-80/${HOST}:b-${s}:80`]: await run(`b-${s}`),
    };
    const reg = startRegistrator(uri, { dockerHost: e.dockerHost, ttl: '3s', ttlRefresh: '1s' });
    t.teardown(() => reg.stop());
    await waitEntries(store, sameKeys(want), 30_000, mine);
    const core = await reg.core();
    await chaos.stop();
    const failed = nextPass(core, (p) => !p.ok);
    await e.cli(['rm', '-f', `a-${s}`]);
    delete want[`busybox-80/${HOST}:a-${s}:80`];
    want[`busybox-80/${HOST}:c-${s}:80`] = await run(`c-${s}`);
    await failed; // the changes met the outage: a write failed
    // the outage's length is the scenario (longer than the TTL, so the lease may be lost), not a wait for a result
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await chaos.start();
    await waitEntries(store, sameKeys(want), 60_000, mine).then(
      () => t.pass('exact after the outage'),
      (err) => t.fail(String(err)),
    );
    // and still alive on the lease: a lease of the same TTL created now and never renewed expires first
    await leaseExpiry(uri, store, 3000);
    t.same(asObject((await store.list('')).filter(mine)), want, 'kept alive after the outage');
    t.equal(reg.settled(), false, 'registrator did not exit');
  });
}
