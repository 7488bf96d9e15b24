/** Retry an operation with jittered backoff until it succeeds, the attempts run out, or the signal aborts. */
import type { Logger } from './log.js';
import { backoffDelay, sleep } from './backoff.js';
import { errorMessage } from './errors.js';

export interface RetryOptions {
  /** -1 (or undefined): forever. */
  attempts?: number;
  initialMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  log?: Logger;
  what: string;
}

export async function retry<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = opts.attempts ?? -1;
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (attempts >= 0 && i + 1 >= attempts) throw err;
      const delay = backoffDelay(i, { initialMs: opts.initialMs ?? 500, maxMs: opts.maxMs ?? 30_000 });
      opts.log?.warn({ err: errorMessage(err), attempt: i + 1, retryInMs: delay }, `${opts.what} failed; retrying`);
      await sleep(delay, opts.signal);
    }
  }
}
