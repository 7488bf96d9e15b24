import t, { type Test } from 'tap';
import { backoffDelay, sleep, withTimeout } from '../../agents/common/backoff.js';

t.test('backoffDelay doubles from the initial delay up to the cap', async (t) => {
  const noJitter = { initialMs: 100, maxMs: 1000, jitter: 0 };
  t.same(
    [0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, noJitter)),
    [100, 200, 400, 800, 1000, 1000, 1000],
  );
  t.equal(backoffDelay(-3, noJitter), 100, 'negative attempts count as the first');
  t.equal(backoffDelay(2, { initialMs: 100, factor: 3, jitter: 0 }), 900);
  t.equal(backoffDelay(100, { jitter: 0 }), 30_000, 'default cap 30 s');
  t.equal(backoffDelay(0, { jitter: 0 }), 250, 'default initial 250 ms');
});

t.test('jitter randomises the given fraction of the delay', async (t) => {
  const opts = { initialMs: 1000, maxMs: 60_000, jitter: 0.5 };
  t.equal(
    backoffDelay(0, opts, () => 0),
    500,
  );
  t.equal(
    backoffDelay(0, opts, () => 1),
    1000,
  );
  t.equal(
    backoffDelay(1, opts, () => 0.5),
    1500,
  );
  t.equal(
    backoffDelay(0, { initialMs: 1000, jitter: 1 }, () => 0),
    0,
    'full jitter',
  );
  // with the real random source every delay stays within [base*(1-jitter), base]
  const delays = Array.from({ length: 200 }, () => backoffDelay(3, opts));
  t.same(
    delays.filter((d) => d < 4000 || d > 8000),
    [],
    'every delay within [4000, 8000]',
  );
  t.ok(new Set(delays).size > 10, 'and they differ');
});

/** Replace the global timers for one test: armed timers are listed and fire only when the test says so. */
function fakeTimers(t: Test) {
  const armed = new Map<number, { ms: number; fn: () => void }>();
  let seq = 0;
  const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  globalThis.setTimeout = ((fn: () => void, ms: number) => {
    armed.set(++seq, { ms, fn });
    return seq;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((id: number) => void armed.delete(id)) as unknown as typeof clearTimeout;
  const restore = () => Object.assign(globalThis, real);
  t.teardown(restore);
  return {
    armed,
    restore,
    fire(id: number) {
      const timer = armed.get(id);
      armed.delete(id);
      timer?.fn();
    },
  };
}

/** Whether `p` has settled once every queued callback has run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

t.test('sleep resolves when its timer of the given delay fires, not before', async (t) => {
  const timers = fakeTimers(t);
  const p = sleep(50);
  t.same(
    [...timers.armed.values()].map((x) => x.ms),
    [50],
    'one timer of 50 ms',
  );
  t.equal(await settled(p), false, 'pending while the timer has not fired');
  timers.fire([...timers.armed.keys()][0]!);
  t.equal(await settled(p), true, 'resolved once it fired');
  await p;
  timers.restore();
});

t.test('sleep rejects with the abort reason at once, and clears its timer', async (t) => {
  const timers = fakeTimers(t);
  const ac = new AbortController();
  const p = sleep(10_000, ac.signal);
  t.same(
    [...timers.armed.values()].map((x) => x.ms),
    [10_000],
  );
  t.equal(await settled(p), false, 'pending before the abort');
  const reason = new Error('shutting down');
  ac.abort(reason);
  t.equal(timers.armed.size, 0, 'the timer is cleared');
  await t.rejects(p, reason, 'rejected by the abort, with no timer having fired');
  timers.restore();

  const done = new AbortController();
  done.abort(new Error('already'));
  await t.rejects(sleep(10, done.signal), { message: 'already' });
});

t.test('withTimeout resolves with the value, or rejects with the timeout error', async (t) => {
  t.equal(await withTimeout(Promise.resolve(42), 1000, () => new Error('late')), 42);
  await t.rejects(
    withTimeout(new Promise(() => {}), 30, () => new Error('late')),
    { message: 'late' },
  );
  await t.rejects(
    withTimeout(Promise.reject(new Error('own')), 1000, () => new Error('late')),
    { message: 'own' },
  );
  // the timer is cleared: a quick result leaves nothing to keep the process alive
  const before = (process as unknown as { getActiveResourcesInfo(): string[] })
    .getActiveResourcesInfo()
    .filter((r) => r === 'Timeout').length;
  await withTimeout(Promise.resolve(1), 60_000, () => new Error('late'));
  const after = (process as unknown as { getActiveResourcesInfo(): string[] })
    .getActiveResourcesInfo()
    .filter((r) => r === 'Timeout').length;
  t.equal(after, before);
});
