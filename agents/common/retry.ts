/**
 * Retry an operation with jittered backoff until it succeeds, the attempts run out, the signal aborts, or it
 * fails with an error that retrying cannot fix. Long-lived loops (keep-alives, watches, waits for a lock) run
 * inside `fn` and call `progress()` after each success, so that the next failure backs off from the start.
 * A loop that cannot be one awaited function (a generator that yields between attempts, a pipeline whose next
 * attempt is a timer) keeps the same bookkeeping with a `Retrier` and waits out each delay its own way.
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
  /**
   * How `retry()` waits out a delay (default: `sleep` on the signal). A seam for an injectable clock, or for a
   * pause something else may cut short; resolving early on abort is fine (the next failure then ends it).
   */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * A typed error says whether retrying can help (`recoverable`: false for a refused token or password, a bad
 * config); an error nobody classified gets the benefit of the doubt.
 */
export function worthRetrying(err: unknown): boolean {
  return !(err instanceof ShoalError) || err.recoverable;
}

/** The decisions of one retry loop: which failure ends it, how long to wait after each other one. */
export class Retrier {
  private failures = 0;

  constructor(private readonly opts: RetryOptions) {}

  /** The work went forward: the next failure backs off from the initial delay again. */
  readonly progress = (): void => {
    this.failures = 0;
  };

  /**
   * A failed attempt: throws `err` when the signal aborted, retrying cannot fix it or the attempts ran out;
   * otherwise tells `onRetry` (or logs the default warning) and returns the delay before the next attempt.
   */
  failed(err: unknown): number {
    const opts = this.opts;
    const attempts = opts.attempts ?? -1;
    if (opts.signal?.aborted || !(opts.isRetryable ?? worthRetrying)(err)) throw err;
    if (attempts >= 0 && this.failures + 1 >= attempts) throw err;
    const delay = backoffDelay(this.failures, { initialMs: opts.initialMs ?? 500, maxMs: opts.maxMs ?? 30_000 });
    this.failures += 1;
    if (opts.onRetry) opts.onRetry(err, this.failures, delay);
    else
      opts.log?.warn(
        { err: errorMessage(err), attempt: this.failures, retryInMs: delay },
        `${opts.what} failed; retrying`,
      );
    return delay;
  }
}

export async function retry<T>(fn: (progress: () => void) => Promise<T>, opts: RetryOptions): Promise<T> {
  const retrier = new Retrier(opts);
  const wait = opts.wait ?? sleep;
  for (;;) {
    try {
      return await fn(retrier.progress);
    } catch (err) {
      await wait(retrier.failed(err), opts.signal);
    }
  }
}
