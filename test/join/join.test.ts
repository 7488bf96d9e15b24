/**
 * shoal join against real stores and a real engine (engine 7, stopped and restarted here): the key appears,
 * survives heartbeats, is removed on SIGTERM, vanishes within the TTL after SIGKILL; while the engine is
 * stopped it is no longer refreshed (still there right after the stop, counted and logged) and expires with its
 * TTL, and it comes back when the engine returns.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { engine } from '../harness/engines.js';
import { freePort } from '../harness/proxies.js';
import { stateDir } from '../harness/proc.js';
import { sample, until } from '../helpers/capture-log.js';
import {
  liveBackends,
  rand,
  readerFor,
  spawnShoal,
  storeAddress,
  waitEntries,
  type Backend,
} from '../registrator/helpers.js';

const E = 7;
const ADDR = `127.0.1.${E}:2375`;
const backends = await liveBackends();

const joinArgs = (dockerHost: string, uri: string) => [
  'join',
  '--addr',
  ADDR,
  '--heartbeat',
  '1s',
  '--ttl',
  '3s',
  '--docker-host',
  dockerHost,
  uri,
];
const has = (kvs: { key: string; value: string }[]) => kvs.some((kv) => kv.key === ADDR && kv.value === ADDR);

for (const b of backends) {
  t.test(`join on ${b}: appears, survives heartbeats, SIGTERM removes, SIGKILL expires`, async (t) => {
    const e = await engine(E);
    const s = rand();
    const uri = `${b}://${await storeAddress(b)}/shoaltest-join-${s}`;
    const store = await readerFor(uri);
    t.teardown(async () => {
      await store.deleteTree('').catch(() => undefined);
      await store.close();
    });
    let child = await spawnShoal(joinArgs(e.dockerHost, uri), `join-${b}-${s}`);
    t.teardown(() => child.kill());
    await waitEntries(store, has, 20_000);
    t.pass('key appears');
    await new Promise((r) => setTimeout(r, 7000));
    t.same(
      await store.list(''),
      [{ key: ADDR, value: ADDR }],
      'still there after two TTLs of heartbeats, and nothing else',
    );
    t.equal(await child.kill('SIGTERM'), 0, 'clean exit on SIGTERM');
    t.same(await store.list(''), [], 'key removed on SIGTERM');
    child = await spawnShoal(joinArgs(e.dockerHost, uri), `join-${b}-${s}`);
    await waitEntries(store, has, 20_000);
    await child.kill('SIGKILL');
    const at = Date.now();
    await waitEntries(store, (kvs) => kvs.length === 0, 2 * 3000 + 5000).then(
      () => t.pass(`gone ${Date.now() - at} ms after SIGKILL`),
      (err) => t.fail(String(err)),
    );
  });
}

/** Poll `store` every 100 ms from now on: when the key was last seen and when it was first found absent. */
function sampler(store: Awaited<ReturnType<typeof readerFor>>) {
  const seen = { lastPresent: 0, firstAbsent: undefined as number | undefined };
  let stop = false;
  const done = (async () => {
    while (!stop && seen.firstAbsent === undefined) {
      const kvs = await store.list('').catch(() => undefined);
      if (kvs && has(kvs)) seen.lastPresent = Date.now();
      else if (kvs) seen.firstAbsent = Date.now();
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { seen, stop: async () => ((stop = true), await done) };
}

t.test(
  'engine stopped: the key is no longer refreshed and expires with its TTL, then comes back, on every backend at once',
  async (t) => {
    const e = await engine(E);
    const s = rand();
    const HB = 1000;
    const TTL = 8000;
    const runs: {
      b: Backend;
      store: Awaited<ReturnType<typeof readerFor>>;
      status: string;
      log: string;
      kill: () => Promise<unknown>;
    }[] = [];
    t.teardown(async () => {
      await e.start();
      for (const r of runs) {
        await r.kill();
        await r.store.deleteTree('').catch(() => undefined);
        await r.store.close();
      }
    });
    for (const b of backends) {
      const uri = `${b}://${await storeAddress(b)}/shoaltest-joine-${s}`;
      const port = await freePort();
      const name = `joine-${b}-${s}`;
      const child = await spawnShoal(
        [
          'join',
          '--addr',
          ADDR,
          '--heartbeat',
          '1s',
          '--ttl',
          '8s',
          '--docker-host',
          e.dockerHost,
          '--status-addr',
          `127.0.0.1:${port}`,
          uri,
        ],
        name,
      );
      runs.push({
        b,
        store: await readerFor(uri),
        status: `http://127.0.0.1:${port}`,
        log: `${stateDir('registrator-logs')}/${name}.log`,
        kill: () => child.kill(),
      });
    }
    for (const r of runs) await waitEntries(r.store, has, 20_000);
    t.pass('advertised on every backend');
    const samplers = runs.map((r) => sampler(r.store));
    const s0 = Date.now();
    await e.stop();
    const s1 = Date.now();
    t.comment(`engine ${E} stopped in ${s1 - s0} ms`);
    for (const r of runs)
      t.ok(has(await r.store.list('')), `${r.b}: the key is still there right after the engine stopped`);
    await Promise.all(
      runs.map(async (r) => {
        await until(async () => (await metricsOf(r.status)).lapsing === 1, 5000, `${r.b}: lapsing`).catch(
          () => undefined,
        );
        const m = await metricsOf(r.status);
        t.equal(m.engineUp, 0, `${r.b}: shoal_join_engine_up 0`);
        t.equal(m.lapsing, 1, `${r.b}: shoal_join_lapsing 1 while the key waits to expire`);
        t.equal(m.refreshStopped, 1, `${r.b}: shoal_join_refresh_stopped_total 1`);
      }),
    );
    await until(() => samplers.every((x) => x.seen.firstAbsent !== undefined), TTL + 6000, 'every key gone').catch(
      () => undefined,
    );
    for (const [i, r] of runs.entries()) {
      const { seen } = samplers[i]!;
      await samplers[i]!.stop();
      // the last refresh was at most one heartbeat before the ping first failed, which was in [s0, s1]
      t.ok(
        seen.lastPresent >= s0 + TTL - HB - 500,
        `${r.b}: present until ${seen.lastPresent - s0} ms after the stop began (TTL ${TTL}, heartbeat ${HB})`,
      );
      t.ok(
        seen.firstAbsent !== undefined && seen.firstAbsent <= s1 + TTL + 2000,
        `${r.b}: gone ${seen.firstAbsent === undefined ? 'never' : `${seen.firstAbsent - s0} ms`} after the stop began (within TTL + 2 s of it ending)`,
      );
      const m = await metricsOf(r.status);
      t.match(m, { expired: 1, lapsing: 0, advertised: 1 }, `${r.b}: shoal_join_expired_total 1, lapsing 0`);
      t.match(
        readFileSync(r.log, 'utf8'),
        /"level":40,[^\n]*"msg":"engine does not answer: key no longer refreshed/,
        `${r.b}: a warning when the refresh stopped`,
      );
    }
    await new Promise((r) => setTimeout(r, 2000));
    for (const r of runs) t.same(await r.store.list(''), [], `${r.b}: stays away while the engine is down`);
    await e.start();
    for (const r of runs)
      await waitEntries(r.store, has, 20_000).then(
        () => t.pass(`${r.b}: back when the engine returns`),
        (err) => t.fail(`${r.b}: ${String(err)}`),
      );
    for (const r of runs)
      t.match(
        await metricsOf(r.status),
        { engineUp: 1, advertised: 2, lapsing: 0 },
        `${r.b}: advertised again (shoal_join_advertised_total 2)`,
      );
  },
);

async function metricsOf(base: string): Promise<Record<string, number | undefined>> {
  const m = await (await fetch(`${base}/metrics`)).text();
  return {
    engineUp: sample(m, 'shoal_join_engine_up'),
    lapsing: sample(m, 'shoal_join_lapsing'),
    refreshStopped: sample(m, 'shoal_join_refresh_stopped_total'),
    expired: sample(m, 'shoal_join_expired_total'),
    advertised: sample(m, 'shoal_join_advertised_total'),
  };
}
