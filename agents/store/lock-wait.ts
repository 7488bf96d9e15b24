/**
 * The wait for an exclusive lock that the etcd2 and ZooKeeper backends share: take one step (try to create
 * the lock, and while someone else holds it, wait for a change) until a step returns the lock; recoverable
 * failures are retried with backoff, and an abort ends the wait with an AbortedError.
 */
import { AbortedError, isRecoverable } from '../common/errors.js';
import { retry } from '../common/retry.js';

/**
 * `step` is one try: the lock when taken, undefined to try again (after waiting inside the step); `onFail`
 * runs once when the wait fails for good (to close what the steps opened). `backend` names the retries.
 */
export async function waitForLock<T>(
  backend: string,
  key: string,
  signal: AbortSignal | undefined,
  step: (progress: () => void) => Promise<T | undefined>,
  onFail?: () => void,
): Promise<T> {
  const aborted = () => new AbortedError(`lock ${key}: wait aborted`);
  const attempt = async (progress: () => void): Promise<T> => {
    for (;;) {
      if (signal?.aborted) throw aborted();
      const lock = await step(progress);
      if (lock !== undefined) return lock;
    }
  };
  const backoff = { initialMs: 200, maxMs: 3000 };
  return retry(attempt, { ...backoff, signal, what: `${backend} lock ${key}`, isRetryable: isRecoverable }).catch(
    (err) => {
      onFail?.();
      throw signal?.aborted ? aborted() : err;
    },
  );
}
