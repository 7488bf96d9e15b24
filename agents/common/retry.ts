/**
 * Retry an operation with jittered backoff until it succeeds, the attempts run out, the signal aborts, or it
 * fails with an error that retrying cannot fix. Long-lived loops (keep-alives, watches, waits for a lock) run
 * inside `fn` and call `progress()` after each success, so that the next failure backs off from the start.
 */
import type { Logger } from './log.js';
import { backoffDelay, sleep } from './backoff.js';
import { ShoalError, errorMessage } from './errors.js';

export interface RetryOptions {
  /** Attempts in a row without progress; -1 (or undefined): forever. */
  attempts?: number;
  initialMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  log?: Logger;
  what: string;
  /** Whether a failure is worth another attempt (default `worthRetrying`). */
  isRetryable?: (err: unknown) => boolean;
  /** Called before each wait, in place of the default warning; `attempt` counts from 1. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * A typed error says whether retrying can help (`recoverable`: false for a refused token or password, a bad
 * config); an error nobody classified gets the benefit of the doubt.
 */
export function worthRetrying(err: unknown): boolean {
  return !(err instanceof ShoalError) || err.recoverable;
}

export async function retry<T>(fn: (progress: () => void) => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = opts.attempts ?? -1;
  const retryable = opts.isRetryable ?? worthRetrying;
  let failures = 0;
  const progress = () => {
    failures = 0;
  };
  for (;;) {
    try {
      return await fn(progress);
    } catch (err) {
      if (opts.signal?.aborted || !retryable(err)) throw err;
      if (attempts >= 0 && failures + 1 >= attempts) throw err;
      const delay = backoffDelay(failures, { initialMs: opts.initialMs ?? 500, maxMs: opts.maxMs ?? 30_000 });
      failures += 1;
      const fields = { err: errorMessage(err), attempt: failures, retryInMs: delay };
      if (opts.onRetry) opts.onRetry(err, failures, delay);
      else opts.log?.warn(fields, `${opts.what} failed; retrying`);
      await sleep(delay, opts.signal);
    }
  }
}
