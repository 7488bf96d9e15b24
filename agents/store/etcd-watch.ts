/** The etcd v3 watch's wait step: a native watch on a prefix that keeps one snapshot map up to date. */
import type { Etcd3 } from 'etcd3';
import type { Logger } from 'pino';
import { errorMessage } from '../common/errors.js';
import { withTimeout } from '../common/backoff.js';

/** What the wait needs of the store (EtcdStore implements it). */
export interface WatchHost {
  readonly client: Etcd3;
  readonly log: Logger;
  /** Set (value) or remove (undefined) a raw etcd key in a snapshot map, skipping keys it cannot map. */
  apply(entries: Map<string, string>, rawKey: Buffer, value: Buffer | undefined): void;
  setConnected(up: boolean, err?: unknown): void;
}

/**
 * Follow `dir` from the revision after `at.revision`, applying every put and delete to `at.entries` and
 * calling `changed` with the revision seen. etcd3 resumes from the last seen revision after a disconnect.
 * Resolves when `signal` aborts; rejects on a watch error (a compacted revision, a cancel).
 */
export async function watchPrefix(
  host: WatchHost,
  dir: string,
  at: { entries: Map<string, string>; revision: number },
  signal: AbortSignal,
  changed: (revision: string) => void,
): Promise<undefined> {
  const w = host.client
    .watch()
    .prefix(dir)
    .startRevision(String(at.revision + 1))
    .watcher();
  try {
    await new Promise<void>((resolve, reject) => {
      const revision = () => String(w.lastRevision() ?? at.revision);
      w.on('put', (kv) => (host.apply(at.entries, kv.key, kv.value), changed(revision())));
      w.on('delete', (kv) => (host.apply(at.entries, kv.key, undefined), changed(revision())));
      w.on('disconnected', (err) => {
        host.log.warn({ err: errorMessage(err) }, 'etcd watch disconnected; resuming');
        host.setConnected(false, err);
      });
      w.on('connected', () => host.setConnected(true));
      w.on('error', reject);
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    await withTimeout(w.cancel(), 1000, () => new Error('cancel')).catch(() => {});
  }
  return undefined;
}
