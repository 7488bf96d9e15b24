/**
 * A burst of 200 container starts, then 200 removals interleaved with 20 new starts, on engine 8 (owned by
 * this file), followed by one registrator per backend at once: each store ends with exactly the right keys
 * (registrator #663). --internal keeps 200 docker-proxy processes off the shared machine.
 */
import t from 'tap';
import { busyboxImage, engine } from '../harness/engines.js';
import { pool } from '../../agents/registrator/pool.js';
import { liveBackends, rand, readerFor, sameKeys, startRegistrator, storeAddress, waitEntries } from './helpers.js';

const E = 8;
const HOST = `dockerhost0${E}`;
const N = 200;
const backends = await liveBackends();

t.test(`burst of ${N} starts and removals`, async (t) => {
  const e = await engine(E);
  const image = await busyboxImage(e);
  const leftovers = (await e.cli(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (leftovers.length) await e.cli(['rm', '-f', ...leftovers]);
  const s = rand();
  const names: string[] = [];
  t.teardown(async () => {
    const ids = (await e.cli(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await e.cli(['rm', '-f', ...ids], { reject: false });
  });
  const stores: {
    b: string;
    store: Awaited<ReturnType<typeof readerFor>>;
    reg: ReturnType<typeof startRegistrator>;
  }[] = [];
  for (const b of backends) {
    const uri = `${b}://${await storeAddress(b)}/shoaltest-burst-${s}`;
    const store = await readerFor(uri);
    const reg = startRegistrator(uri, { dockerHost: e.dockerHost, internal: true });
    stores.push({ b, store, reg });
  }
  t.teardown(async () => {
    for (const x of stores) {
      await x.reg.stop();
      await x.store.deleteTree('').catch(() => undefined);
      await x.store.close();
    }
  });
  const start = async (name: string) => {
    const c = await e.docker.createContainer({
      name,
      Image: image,
      Cmd: ['sleep', '600'],
      ExposedPorts: { '80/tcp': {} },
    });
    await c.start();
    names.push(name);
  };
  const expected = async () => {
    const list = await e.docker.listContainers();
    const want: Record<string, string> = {};
    for (const c of list) {
      const name = (c.Names[0] ?? '').slice(1);
      const ip = Object.values(c.NetworkSettings.Networks)[0]?.IPAddress;
      want[`busybox-80/${HOST}:${name}:80`] = `${ip}:80`;
    }
    return want;
  };
  // each registrator has its event stream connected (it connects before the first full sync)
  for (const x of stores) await (await x.reg.core()).firstSync;
  const t0 = Date.now();
  await pool(
    Array.from({ length: N }, (_, i) => `b${i}-${s}`),
    16,
    start,
  );
  t.comment(`${N} containers started in ${Date.now() - t0} ms`);
  const want = await expected();
  t.equal(Object.keys(want).length, N);
  for (const x of stores)
    await waitEntries(x.store, sameKeys(want), 90_000).then(
      () => t.pass(`${x.b}: exactly ${N} entries`),
      (err) => t.fail(`${x.b}: ${String(err).slice(0, 400)}`),
    );
  // removals interleaved with new starts
  const t1 = Date.now();
  await Promise.all([
    pool([...names], 16, (n) => e.docker.getContainer(n).remove({ force: true })),
    pool(
      Array.from({ length: 20 }, (_, i) => `n${i}-${s}`),
      4,
      start,
    ),
  ]);
  t.comment(`removed ${N} and started 20 in ${Date.now() - t1} ms`);
  const want2 = await expected();
  t.equal(Object.keys(want2).length, 20);
  for (const x of stores)
    await waitEntries(x.store, sameKeys(want2), 90_000).then(
      () => t.pass(`${x.b}: exactly the 20 survivors`),
      (err) => t.fail(`${x.b}: ${String(err).slice(0, 400)}`),
    );
});
