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
import { leaseExpiry, recordSnapshots } from '../helpers/lease-canary.js';
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
    // a lease of the same TTL created after ours, never renewed: once it has expired, ours was kept alive
    await leaseExpiry(uri, store, 3000);
    t.same(await store.list(''), [{ key: ADDR, value: ADDR }], 'still there after a TTL of heartbeats, nothing else');
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

t.test(
  'engine stopped: the key is no longer refreshed and expires with its TTL, then comes back, on every backend at once',
  async (t) => {
    const e = await engine(E);
    const s = rand();
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
    const recs = runs.map((r) => recordSnapshots(r.store));
    t.teardown(() => Promise.all(recs.map((x) => x.stop())));
    const s0 = Date.now();
    await e.stop();
    t.comment(`engine ${E} stopped in ${Date.now() - s0} ms`);
    for (const r of runs)
      t.ok(has(await r.store.list('')), `${r.b}: the key is still there right after the engine stopped`);
    await Promise.all(
      runs.map(async (r) => {
        await until(async () => (await metricsOf(r.status)).lapsing === 1, 30_000, `${r.b}: lapsing`).catch(
          () => undefined,
        );
        const m = await metricsOf(r.status);
        t.equal(m.engineUp, 0, `${r.b}: shoal_join_engine_up 0`);
        t.equal(m.lapsing, 1, `${r.b}: shoal_join_lapsing 1 while the key waits to expire`);
        t.equal(m.refreshStopped, 1, `${r.b}: shoal_join_refresh_stopped_total 1`);
        t.ok(
          has(await r.store.list('')),
          `${r.b}: the key stays while it lapses (not removed when the engine stopped)`,
        );
      }),
    );
    // the store's watch sees each key go: generous bounds on a hang, not a measure (the joiner's unit test
    // checks, on a fake clock, that the removal comes at TTL after the last refresh)
    const absent = (i: number) => recs[i]!.seen.findIndex((kvs) => !has(kvs));
    await until(() => runs.every((_, i) => absent(i) >= 0), 2 * TTL + 20_000, 'every key gone').catch(() => undefined);
    const beatsAtExpiry: number[] = [];
    for (const [i, r] of runs.entries()) {
      t.ok(absent(i) >= 0, `${r.b}: the key expired while the engine was down`);
      const m = await metricsOf(r.status);
      beatsAtExpiry.push(m.beats ?? 0);
      t.match(m, { expired: 1, lapsing: 0, advertised: 1 }, `${r.b}: shoal_join_expired_total 1, lapsing 0`);
      t.match(
        readFileSync(r.log, 'utf8'),
        /"level":40,[^\n]*"msg":"engine does not answer: key no longer refreshed/,
        `${r.b}: a warning when the refresh stopped`,
      );
    }
    // two more beats counted (a beat is counted as it starts): one started after the key was seen gone, and ended
    await Promise.all(
      runs.map((r, i) =>
        until(async () => ((await metricsOf(r.status)).beats ?? 0) >= beatsAtExpiry[i]! + 2, 30_000, `${r.b}: beats`),
      ),
    );
    for (const [i, r] of runs.entries()) {
      t.same(await r.store.list(''), [], `${r.b}: stays away while the engine is down`);
      await recs[i]!.stop();
      t.notOk(recs[i]!.seen.slice(absent(i)).some(has), `${r.b}: never re-advertised while the engine was down`);
    }
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
    beats: sample(m, 'shoal_join_beats_total'),
  };
}
