import t from 'tap';
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

t.test('sleep resolves after the delay, or rejects with the abort reason', async (t) => {
  const t0 = Date.now();
  await sleep(50);
  t.ok(Date.now() - t0 >= 45);

  const ac = new AbortController();
  const p = sleep(10_000, ac.signal);
  const reason = new Error('shutting down');
  setTimeout(() => ac.abort(reason), 10);
  const t1 = Date.now();
  await t.rejects(p, reason);
  t.ok(Date.now() - t1 < 1000, 'rejected promptly, not after the full delay');

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
