/** retry(): what it retries, what it gives up on at once, attempts, progress resets, cancellation. Pure. */
import t from 'tap';
import { Retrier, retry, worthRetrying } from '../../agents/common/retry.js';
import {
  ConfigError,
  ShoalError,
  StoreAuthError,
  StoreError,
  StoreUnavailableError,
} from '../../agents/common/errors.js';

const fast = { initialMs: 1, maxMs: 2, what: 'op' };

/** An operation that fails with the given errors in turn, then answers `ok`. */
function failing(errors: unknown[]) {
  let calls = 0;
  const fn = async () => {
    const err = errors[calls++];
    if (err !== undefined) throw err;
    return 'ok';
  };
  return { fn, calls: () => calls };
}

t.test('which errors are worth retrying', async (t) => {
  const table: [unknown, boolean, string][] = [
    [new StoreUnavailableError('down'), true, 'a recoverable typed error'],
    [new StoreError('odd'), true, 'an unclassified store error'],
    [new StoreAuthError('ACL not found'), false, 'a refused token'],
    [new ConfigError('bad flag'), false, 'a bad config'],
    [new ShoalError('X', 'final'), false, 'a typed error marked final'],
    [new Error('plain'), true, 'an error nobody classified'],
    ['a string', true, 'not even an Error'],
  ];
  for (const [err, want, why] of table) t.equal(worthRetrying(err), want, why);
});

t.test('recoverable failures are retried until the operation answers', async (t) => {
  const op = failing([new StoreUnavailableError('a'), new Error('b')]);
  const retries: number[] = [];
  t.equal(await retry(op.fn, { ...fast, onRetry: (_e, attempt) => retries.push(attempt) }), 'ok');
  t.equal(op.calls(), 3);
  t.same(retries, [1, 2], 'onRetry is told each attempt number');
});

t.test('a non-recoverable error stops at once, even when retrying forever', async (t) => {
  const op = failing([new StoreUnavailableError('down'), new StoreAuthError('ACL not found')]);
  await t.rejects(retry(op.fn, { ...fast, attempts: -1 }), { code: 'SHOAL_STORE_AUTH' });
  t.equal(op.calls(), 2, 'no attempt after the refusal');
});

t.test('isRetryable overrides the default decision', async (t) => {
  const op = failing([new StoreAuthError('no'), new StoreAuthError('no')]);
  t.equal(await retry(op.fn, { ...fast, isRetryable: () => true }), 'ok');
  const plain = failing([new Error('plain')]);
  await t.rejects(retry(plain.fn, { ...fast, isRetryable: () => false }), { message: 'plain' });
  t.equal(plain.calls(), 1);
});

t.test('attempts counts failures in a row; progress() starts the count again', async (t) => {
  const op = failing([new Error('1'), new Error('2'), new Error('3')]);
  await t.rejects(retry(op.fn, { ...fast, attempts: 2 }), { message: '2' });
  t.equal(op.calls(), 2);

  // a long-lived loop: each round makes progress once, then fails; with attempts 2 it would stop at the
  // second failure in a row, but progress in between keeps it going until the work is done
  let rounds = 0;
  const result = await retry(
    async (progress) => {
      rounds += 1;
      progress();
      if (rounds < 5) throw new Error(`round ${rounds}`);
      return rounds;
    },
    { ...fast, attempts: 2 },
  );
  t.equal(result, 5);
});

t.test('the backoff after progress starts from the initial delay', async (t) => {
  const delays: number[] = [];
  let rounds = 0;
  await retry(
    async (progress) => {
      rounds += 1;
      if (rounds === 4) progress();
      if (rounds < 6) throw new Error('x');
    },
    { initialMs: 1, maxMs: 1000, what: 'op', onRetry: (_e, attempt) => delays.push(attempt) },
  );
  t.same(delays, [1, 2, 3, 1, 2], 'attempt numbers restart after progress');
});

t.test('an aborted signal stops the waiting and the retrying', async (t) => {
  const ac = new AbortController();
  let calls = 0;
  const p = retry(
    async () => {
      calls += 1;
      throw new StoreUnavailableError('down');
    },
    { initialMs: 10_000, maxMs: 10_000, what: 'op', signal: ac.signal },
  );
  setImmediate(() => ac.abort(new Error('shutdown')));
  await t.rejects(p, { message: 'shutdown' });
  t.equal(calls, 1);
  const late = retry(async () => Promise.reject(new Error('late')), { ...fast, signal: ac.signal });
  await t.rejects(late, { message: 'late' });
});

t.test('a Retrier makes the same decisions for a loop that waits its own way', async (t) => {
  const told: [number, number][] = [];
  const r = new Retrier({
    initialMs: 100,
    maxMs: 400,
    what: 'op',
    onRetry: (_e, attempt, ms) => told.push([attempt, ms]),
  });
  const delays = [r.failed(new Error('a')), r.failed(new StoreUnavailableError('b')), r.failed(new Error('c'))];
  t.same(
    told.map(([a]) => a),
    [1, 2, 3],
  );
  t.same(
    told.map(([, ms]) => ms),
    delays,
    'onRetry is told the delay it returns',
  );
  // jitter randomises half of each delay: 100, 200, 400 at the most
  t.ok(delays[0]! >= 50 && delays[0]! <= 100 && delays[1]! >= 100 && delays[1]! <= 200 && delays[2]! >= 200);
  r.progress();
  t.ok(r.failed(new Error('d')) <= 100, 'after progress the delay starts from the initial one');
  t.equal(told.at(-1)?.[0], 1);
  t.throws(() => r.failed(new StoreAuthError('ACL not found')), { code: 'SHOAL_STORE_AUTH' }, 'a refusal is thrown');

  const twice = new Retrier({ initialMs: 1, what: 'op', attempts: 2 });
  twice.failed(new Error('1'));
  t.throws(() => twice.failed(new Error('2')), { message: '2' }, 'the attempts ran out');

  const ac = new AbortController();
  const stopped = new Retrier({ initialMs: 1, what: 'op', signal: ac.signal });
  ac.abort();
  t.throws(() => stopped.failed(new Error('late')), { message: 'late' }, 'after an abort nothing is retried');
});

t.test('retry waits through the given wait, so an injectable clock or a cut-short pause can serve', async (t) => {
  const waited: number[] = [];
  const op = failing([new Error('1'), new Error('2')]);
  const wait = async (ms: number) => {
    waited.push(ms);
  };
  t.equal(await retry(op.fn, { initialMs: 60_000, maxMs: 60_000, what: 'op', wait }), 'ok');
  t.equal(waited.length, 2);
  t.ok(
    waited.every((ms) => ms >= 30_000),
    'the delays were handed over, not slept',
  );
});
