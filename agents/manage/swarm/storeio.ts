/** One swarm-mode store call, retried briefly; a store that still does not answer is a 503 (SwarmStoreError). */
import type { Logger } from '../../common/log.js';
import { retry } from '../../common/retry.js';
import { SwarmError, SwarmStoreError } from './errors.js';

export async function storeCall<T>(log: Logger, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await retry(fn, { attempts: 3, initialMs: 200, maxMs: 1000, what, log });
  } catch (err) {
    if (err instanceof SwarmError) throw err;
    throw new SwarmStoreError(what, err);
  }
}
