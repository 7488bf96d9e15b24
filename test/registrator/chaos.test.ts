/**
 * The registrator under failure, on engine 4 (reserved for this file: its entries are asserted exactly):
 * SIGKILL and restart loses and duplicates nothing; with --ttl a dead host's entries vanish; a store restarted
 * mid-run and a dockerd restarted mid-run are caught up with, and the daemon never exits.
 */
import t, { type Test } from 'tap';
import { busyboxImage, engine, type EngineHandle } from '../harness/engines.js';
import { service } from '../harness/services.js';
import { captureLog, until } from '../helpers/capture-log.js';
import { leaseExpiry, recordSnapshots } from '../helpers/lease-canary.js';
import {
  asObject,
  liveBackends,
  nextPass,
  rand,
  readerFor,
  sameKeys,
  spawnShoal,
  startRegistrator,
  storeAddress,
  waitEntries,
  type Backend,
  SERVICE_OF,
} from './helpers.js';

const E = 4;
const HOST = `dockerhost0${E}`;
const backends = await liveBackends();

async function hostPort(e: EngineHandle, name: string): Promise<string> {
  return ((await e.cli(['port', name, '80/tcp'])).stdout.split('\n')[0] ?? '').trim();
}

function containers(e: EngineHandle, image: string, t: { teardown(fn: () => unknown): void }) {
  const names: string[] = [];
  t.teardown(async () => {
    if (names.length && (await e.running())) await e.cli(['rm', '-f', ...names], { reject: false });
  });
  return {
    async run(name: string, extra: string[] = []) {
      names.push(name);
      await e.cli(['run', '-d', '--name', name, '-p', '80', ...extra, image, 'httpd', '-f', '-p', '80']);
      return hostPort(e, name);
    },
  };
}

/** Only this engine's entries (the file owns engine 4). */
const onHost = (kv: { key: string }) => kv.key.includes(`/${HOST}:`);

t.test('cleanup: engine 4 has no leftover containers', async () => {
  const e = await engine(E);
  const ids = (await e.cli(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await e.cli(['rm', '-f', ...ids]);
});

for (const b of backends) {
  t.test(`SIGKILL then restart on ${b}: nothing lost, nothing duplicated, nothing stale`, async (t) => {
    const e = await engine(E);
    const image = await busyboxImage(e);
    const s = rand();
    const uri = `${b}://${await storeAddress(b)}/shoaltest-kill-${s}`;
    const store = await readerFor(uri);
    t.teardown(async () => {
      await store.deleteTree('').catch(() => undefined);
      await store.close();
    });
    const c = containers(e, image, t);
    const want: Record<string, string> = {};
    for (const i of [1, 2, 3]) want[`busybox-80/${HOST}:k${i}-${s}:80`] = await c.run(`k${i}-${s}`);
    const args = ['registrator', '--docker-host', e.dockerHost, '--retry-interval', '200ms', uri];
    let child = await spawnShoal(args, `kill-${b}-${s}`);
    t.teardown(() => child.kill());
    await waitEntries(store, sameKeys(want), 30_000, onHost);
    t.equal(await child.kill('SIGKILL'), null, 'killed');
    // while it is dead: one container goes, one comes
    await e.cli(['rm', '-f', `k1-${s}`]);
    delete want[`busybox-80/${HOST}:k1-${s}:80`];
    want[`busybox-80/${HOST}:k4-${s}:80`] = await c.run(`k4-${s}`);
    child = await spawnShoal(args, `kill-${b}-${s}`);
    const got = await waitEntries(store, sameKeys(want), 30_000, onHost).catch((err) => String(err));
    t.same(typeof got === 'string' ? got : asObject(got), want, 'exactly the running containers after restart');
    // and it keeps following events
    want[`busybox-80/${HOST}:k5-${s}:80`] = await c.run(`k5-${s}`);
    await waitEntries(store, sameKeys(want), 30_000, onHost).then(
      () => t.pass('follows events after restart'),
      (err) => t.fail(String(err)),
    );
    await child.kill('SIGTERM');
  });

  t.test(`--ttl on ${b}: a dead registrator's entries vanish within the TTL`, async (t) => {
    const e = await engine(E);
    const image = await busyboxImage(e);
    const s = rand();
    const uri = `${b}://${await storeAddress(b)}/shoaltest-ttl-${s}`;
    const store = await readerFor(uri);
    t.teardown(async () => {
      await store.deleteTree('').catch(() => undefined);
      await store.close();
    });
    const c = containers(e, image, t);
    const want = { [`busybox-80/${HOST}:t1-${s}:80`]: await c.run(`t1-${s}`) };
    const child = await spawnShoal(
      ['registrator', '--docker-host', e.dockerHost, '--ttl', '3s', '--ttl-refresh', '1s', uri],
      `ttl-${b}-${s}`,
    );
    t.teardown(() => child.kill());
    await waitEntries(store, sameKeys(want), 30_000, onHost);
    await leaseExpiry(uri, store, 3000); // a lease created after ours, never renewed, has expired
    t.same(asObject((await store.list('')).filter(onHost)), want, 'still there after a TTL (kept alive)');
    await child.kill('SIGKILL');
    const killedAt = Date.now();
    // Consul invalidates a session up to 2x its TTL after the last renewal; etcd/zk at the TTL
    await waitEntries(store, (kvs) => kvs.length === 0, 2 * 3000 + 5000, onHost).then(
      () => t.pass(`gone ${Date.now() - killedAt} ms after SIGKILL`),
      (err) => t.fail(String(err)),
    );
  });

  t.test(`store (${b} chaos instance) restarted mid-run`, async (t) => {
    const e = await engine(E);
    const image = await busyboxImage(e);
    const s = rand();
    const chaos = await service(SERVICE_OF[b], 'chaos');
    const uri = `${b}://${chaos.address}/shoaltest-chaos-${s}`;
    const store = await readerFor(uri);
    t.teardown(async () => {
      await chaos.start();
      await store.deleteTree('').catch(() => undefined);
      await store.close();
    });
    const c = containers(e, image, t);
    const want: Record<string, string> = {
      [`busybox-80/${HOST}:c1-${s}:80`]: await c.run(`c1-${s}`),
      [`busybox-80/${HOST}:c2-${s}:80`]: await c.run(`c2-${s}`),
    };
    const reg = startRegistrator(uri, { dockerHost: e.dockerHost });
    t.teardown(() => reg.stop());
    await waitEntries(store, sameKeys(want), 30_000, onHost);
    const core = await reg.core();
    await chaos.stop();
    const failed = nextPass(core, (p) => !p.ok);
    // during the outage: one goes, one comes
    await e.cli(['rm', '-f', `c1-${s}`]);
    delete want[`busybox-80/${HOST}:c1-${s}:80`];
    want[`busybox-80/${HOST}:c3-${s}:80`] = await c.run(`c3-${s}`);
    await failed; // the changes met the outage: a write failed
    await chaos.start();
    await waitEntries(store, sameKeys(want), 60_000, onHost).then(
      () => t.pass('caught up after the store came back'),
      (err) => t.fail(String(err)),
    );
    t.equal(reg.settled(), false, 'registrator did not exit during the outage');
  });
}

/** The dockerd cases: engine 4, one backend, a fresh prefix with a reader, and a container runner. */
async function dockerdCase(t: Test, tag: string) {
  const e = await engine(E);
  const image = await busyboxImage(e);
  const s = rand();
  const b: Backend = 'consul';
  const uri = `${b}://${await storeAddress(b)}/shoaltest-${tag}-${s}`;
  const store = await readerFor(uri);
  t.teardown(async () => {
    await store.deleteTree('').catch(() => undefined);
    await store.close();
  });
  return { e, s, uri, store, c: containers(e, image, t), keep: `always-${s}` };
}

t.test('dockerd (engine 4) restarted mid-run: registrator stays up and catches up', async (t) => {
  const { e, s, uri, store, c, keep } = await dockerdCase(t, 'dockerd');
  const once = `once-${s}`;
  const want: Record<string, string> = {
    [`busybox-80/${HOST}:${keep}:80`]: await c.run(keep, ['--restart', 'always']),
    [`busybox-80/${HOST}:${once}:80`]: await c.run(once),
  };
  const cap = captureLog('warn');
  const reg = startRegistrator(uri, { dockerHost: e.dockerHost }, cap.log);
  t.teardown(() => reg.stop());
  await waitEntries(store, sameKeys(want), 30_000, onHost);
  await e.stop();
  // an entry no container backs appears while dockerd is down: only a resync on reconnect removes it
  await store.put(`busybox-80/${HOST}:ghost-${s}:80`, '127.0.1.4:1');
  const lost = () => cap.lines.some((l) => l.msg === 'docker event stream lost; reconnecting');
  await until(lost, 30_000, 'the registrator to see the event stream drop');
  await e.start();
  await e.cli(['start', keep], { reject: false }); // restart=always brings it back; make sure
  const after = { [`busybox-80/${HOST}:${keep}:80`]: await hostPort(e, keep) };
  await waitEntries(store, sameKeys(after), 60_000, onHost).then(
    (kvs) => t.same(asObject(kvs), after, 'the container that came back is registered, the one that did not is gone'),
    (err) => t.fail(String(err)),
  );
  // still following events after the reconnect
  after[`busybox-80/${HOST}:late-${s}:80`] = await c.run(`late-${s}`);
  await waitEntries(store, sameKeys(after), 30_000, onHost).then(
    () => t.pass('events followed after the reconnect'),
    (err) => t.fail(String(err)),
  );
  t.ok((await reg.core()).stats.reconnects >= 1, 'caught up through an event-stream reconnect');
  t.equal(reg.settled(), false, 'registrator did not exit');
});

t.test(
  'dockerd (engine 4) down longer than --withdraw-after: this host leaves the store, and returns with the engine',
  async (t) => {
    const { e, uri, store, c, keep } = await dockerdCase(t, 'withdraw');
    const want: Record<string, string> = {
      [`busybox-80/${HOST}:${keep}:80`]: await c.run(keep, ['--restart', 'always']),
    };
    // with a lease (--ttl), as in production: the lease alone would keep the entries alive for ever
    const reg = startRegistrator(uri, { dockerHost: e.dockerHost, ttl: '5s', withdrawAfter: '2s' });
    t.teardown(() => reg.stop());
    await waitEntries(store, sameKeys(want), 30_000, onHost);
    const core = await reg.core();
    const withdrawn = nextPass(core, (p) => p.kind === 'withdraw' && p.ok);
    const stoppedAt = Date.now();
    await e.stop();
    await waitEntries(store, (kvs) => kvs.length === 0, 20_000, onHost).then(
      () =>
        t.pass(
          `entries withdrawn ${Date.now() - stoppedAt} ms after the stop began (dockerd takes ~10 s to stop its containers)`,
        ),
      (err) => t.fail(String(err)),
    );
    await withdrawn;
    const rec = recordSnapshots(store);
    await nextPass(core); // the loop ran again after the withdrawal (the engine still down)
    await leaseExpiry(uri, store, 5000); // and a lease of the same TTL, never renewed, has expired
    await rec.stop();
    const back = rec.seen.filter((kvs) => kvs.some(onHost));
    t.same(back, [], 'nothing of this host re-written since the withdrawal, neither by a pass nor by the lease');
    t.same(asObject((await store.list('')).filter(onHost)), {}, 'still withdrawn after a TTL');
    await e.start();
    await e.cli(['start', keep], { reject: false });
    const again = { [`busybox-80/${HOST}:${keep}:80`]: await hostPort(e, keep) };
    await waitEntries(store, sameKeys(again), 60_000, onHost).then(
      (kvs) => t.same(asObject(kvs), again, 'registered again once the engine answers'),
      (err) => t.fail(String(err)),
    );
    t.equal(reg.settled(), false, 'registrator did not exit');
  },
);
