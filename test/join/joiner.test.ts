import t from 'tap';
import { joinStep, nextBeatIn, startDelay } from '../../agents/join/decide.js';
import { Joiner } from '../../agents/join/joiner.js';
import { silentLogger } from '../../agents/common/log.js';
import { StoreAuthError } from '../../agents/common/errors.js';
import { MemoryStore, type MemoryLease } from '../fakes/memory-store.js';

/** A store that refuses our credentials while `refusing` is true. */
class RefusingStore extends MemoryStore {
  refusing = true;
  override async ping() {
    if (this.refusing) throw new StoreAuthError('consul: ACL not found (check the ACL token)');
    return super.ping();
  }
  override async lease(ttlMs: number) {
    await this.ping();
    return super.lease(ttlMs);
  }
}

t.test('joinStep table', async (t) => {
  const s = { now: 10_000, refreshedAt: 8_000, ttlMs: 3000 };
  t.equal(joinStep({ ...s, advertised: false, engineUp: true }), 'advertise');
  t.equal(joinStep({ ...s, advertised: true, engineUp: true }), 'refresh');
  t.equal(
    joinStep({ ...s, advertised: true, engineUp: false }),
    'lapse',
    'engine down, 2 s since the refresh, TTL 3 s: left unrefreshed',
  );
  t.equal(
    joinStep({ ...s, advertised: true, engineUp: false, now: 11_000 }),
    'expire',
    'exactly TTL since the refresh: expired',
  );
  t.equal(joinStep({ ...s, advertised: true, engineUp: false, now: 12_500 }), 'expire');
  t.equal(joinStep({ ...s, advertised: false, engineUp: false }), 'idle');
  t.equal(
    startDelay(0, () => 0.9),
    0,
  );
  t.equal(
    startDelay(1000, () => 0.5),
    500,
  );
  t.ok(startDelay(1000, () => 0.999999) < 1000);
});

t.test('nextBeatIn: one heartbeat, or sooner when an unrefreshed key reaches its TTL', async (t) => {
  t.equal(nextBeatIn('refresh', 1000, 10_000, 10_000, 3000), 1000);
  t.equal(nextBeatIn('lapse', 1000, 10_000, 9_000, 3000), 1000, 'deadline 2 s away');
  t.equal(nextBeatIn('lapse', 1000, 10_000, 7_400, 3000), 400, 'deadline 400 ms away');
  t.equal(nextBeatIn('lapse', 1000, 10_000, 6_000, 3000), 0, 'deadline passed');
  t.equal(nextBeatIn('idle', 1000, 10_000, undefined, 3000), 1000);
});

t.test(
  'joiner beats: advertise, refresh after loss, lapse while the engine is down, expire at TTL, survive store outage',
  async (t) => {
    const store = new MemoryStore();
    const KEY = '127.0.1.4:2375';
    let up = true;
    let now = 100_000;
    const j = new Joiner(
      store,
      {
        key: KEY,
        value: KEY,
        heartbeatMs: 1000,
        ttlMs: 3000,
        now: () => now,
        ping: async () => {
          if (!up) throw new Error('down');
        },
      },
      silentLogger(),
    );
    t.equal(await j.beat(), 'advertise');
    t.equal(store.data.get(KEY), KEY);
    (store.leases[0] as MemoryLease).expire();
    now += 1000;
    t.equal(await j.beat(), 'refresh');
    t.equal(store.data.get(KEY), KEY, 'refreshed after the key vanished');

    // engine stops: the key stays (not refreshed) until TTL after the last refresh, then goes
    up = false;
    now += 1000;
    const puts = store.data.get(KEY);
    t.equal(await j.beat(), 'lapse');
    t.equal(store.data.get(KEY), puts, 'still there right after the engine stopped');
    t.equal(j.lapsing, true);
    t.match(j.stats, { refreshStopped: 1, expired: 0 });
    now += 1000;
    t.equal(await j.beat(), 'lapse');
    t.equal(store.data.get(KEY), KEY, 'still there 2 s after the last refresh (TTL 3 s)');
    t.match(j.stats, { refreshStopped: 1 }, 'counted once per outage');
    now += 1000;
    t.equal(await j.beat(), 'expire');
    t.equal(store.data.has(KEY), false, 'gone at TTL after the last refresh');
    t.match(j.stats, { refreshStopped: 1, expired: 1 });
    t.equal(j.lapsing, false);
    now += 1000;
    t.equal(await j.beat(), 'idle');
    t.equal(store.data.has(KEY), false, 'stays gone');

    // back: advertised again on a new lease
    up = true;
    now += 1000;
    t.equal(await j.beat(), 'advertise');
    t.equal(store.data.get(KEY), KEY, 'back when the engine returns');
    t.equal(store.leases.length, 2, 'a new lease after the old one was released');

    // a short outage: refreshed again before the TTL, never removed
    up = false;
    now += 1000;
    t.equal(await j.beat(), 'lapse');
    up = true;
    now += 1500;
    t.equal(await j.beat(), 'refresh');
    t.equal(store.data.get(KEY), KEY);
    t.match(j.stats, { refreshStopped: 2, expired: 1, advertised: 2 });

    store.failing = true;
    await t.rejects(j.beat());
    store.failing = false;
    t.equal(await j.beat(), 'refresh');
    t.equal(store.data.get(KEY), KEY, 'back after the outage');
    const ac = new AbortController();
    const running = j.run(ac.signal);
    ac.abort();
    await running;
    t.equal(store.data.has(KEY), false, 'removed on shutdown');
  },
);

t.test('run: a lapsing key is removed at its deadline, not a heartbeat later', async (t) => {
  const store = new MemoryStore();
  const KEY = '127.0.1.4:2375';
  let up = true;
  let now = 0;
  const ac = new AbortController();
  // what run() saw at each pause: the time, how long it pauses, whether the key is there
  const pauses: { at: number; ms: number; present: boolean }[] = [];
  const j = new Joiner(
    store,
    {
      key: KEY,
      value: KEY,
      heartbeatMs: 700,
      ttlMs: 1000,
      now: () => now,
      sleep: async (ms) => {
        pauses.push({ at: now, ms, present: store.data.has(KEY) });
        up = false; // the engine stops after the first beat
        now += ms;
        if (pauses.length === 4) ac.abort();
        await new Promise((r) => setImmediate(r));
      },
      ping: async () => {
        if (!up) throw new Error('down');
      },
    },
    silentLogger(),
  );
  await j.run(ac.signal);
  t.same(
    pauses,
    [
      { at: 0, ms: 700, present: true }, // advertised at 0
      { at: 700, ms: 300, present: true }, // lapse: the next beat at the deadline (0 + TTL), not at 1400
      { at: 1000, ms: 700, present: false }, // expired exactly TTL after the last refresh
      { at: 1700, ms: 700, present: false }, // idle
    ],
    'TTL 1000 ms, heartbeat 700 ms: removed at 1000 ms; a beat-bound removal would be at 1400 ms',
  );
  t.match(j.stats, { advertised: 1, refreshStopped: 1, expired: 1 });
});

t.test('--check-engine=false (no ping): the key is refreshed at every beat, as swarm join did', async (t) => {
  const store = new MemoryStore();
  const KEY = '127.0.1.4:2375';
  let now = 0;
  const j = new Joiner(
    store,
    { key: KEY, value: KEY, heartbeatMs: 1000, ttlMs: 3000, now: () => now, ping: undefined },
    silentLogger(),
  );
  const actions = [];
  for (let i = 0; i < 5; i++, now += 1000) actions.push(await j.beat());
  t.same(actions, ['advertise', 'refresh', 'refresh', 'refresh', 'refresh']);
  t.equal(store.data.get(KEY), KEY);
  t.match(j.stats, { refreshStopped: 0, expired: 0 });
});

t.test('run: a refusal before any beat reached the store ends run at once; after that it is retried', async (t) => {
  const KEY = '127.0.1.4:2375';
  const opts = { key: KEY, value: KEY, heartbeatMs: 50, ttlMs: 3000, ping: undefined };
  const refused = new Joiner(new RefusingStore(), opts, silentLogger());
  await t.rejects(refused.run(new AbortController().signal), { code: 'SHOAL_STORE_AUTH' });
  t.equal(refused.stats.beats, 1, 'no second attempt');

  const store = new RefusingStore();
  store.refusing = false;
  const j = new Joiner(store, opts, silentLogger());
  const ac = new AbortController();
  const running = j.run(ac.signal);
  await j.firstBeat;
  store.refusing = true; // the next refreshes are refused
  while (j.stats.errors < 2) await new Promise((r) => setTimeout(r, 10));
  store.refusing = false;
  ac.abort();
  await running;
  t.ok(j.stats.errors >= 2, 'refusals after the first beat are retried');
});
