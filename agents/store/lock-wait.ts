/**
 * The wait for an exclusive lock that the etcd2 and ZooKeeper backends share: take one step (try to create
 * the lock, and while someone else holds it, wait for a change) until a step returns the lock; recoverable
 * failures are retried with backoff, and an abort ends the wait with an AbortedError.
 */
import { AbortedError, isRecoverable } from '../common/errors.js';
import { retry } from '../common/retry.js';

export interface LockWait<T> {
  /** The logical key (for the abort message). */
  key: string;
  /** What the retry reports, e.g. `etcd2 lock KEY`. */
  what: string;
  signal: AbortSignal | undefined;
  /** One try: the lock when taken, undefined to try again (after waiting inside the step). */
  step(progress: () => void): Promise<T | undefined>;
  /** Called once when the wait fails for good (to close what the steps opened). */
  onFail?(): void;
}

export async function waitForLock<T>(w: LockWait<T>): Promise<T> {
  const { signal } = w;
  const aborted = () => new AbortedError(`lock ${w.key}: wait aborted`);
  const attempt = async (progress: () => void): Promise<T> => {
    for (;;) {
      if (signal?.aborted) throw aborted();
      const lock = await w.step(progress);
      if (lock !== undefined) return lock;
    }
  };
  const backoff = { initialMs: 200, maxMs: 3000 };
  return retry(attempt, { ...backoff, signal, what: w.what, isRetryable: isRecoverable }).catch((err) => {
    w.onFail?.();
    throw signal?.aborted ? aborted() : err;
  });
}
