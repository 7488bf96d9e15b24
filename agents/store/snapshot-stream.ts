/**
 * Turns a backend's watch loop into the `Store.watch` async iterable: the producer pushes confirmed
 * snapshots whenever it has one; the consumer gets the latest one (older ones are dropped, so a slow consumer
 * never falls behind), bursts within `coalesceMs` become one, and a snapshot equal to the last yielded one is
 * not yielded again. The producer owns retry/backoff; it only pushes what the store actually answered.
 */
import type { KV, Snapshot } from './store.js';

export type Producer = (push: (s: Snapshot) => void, signal: AbortSignal) => Promise<void>;

export function fingerprint(entries: readonly KV[]): string {
  return JSON.stringify(entries.map((e) => [e.key, e.value]));
}

export async function* snapshotStream(
  producer: Producer,
  opts: { signal?: AbortSignal | undefined; coalesceMs?: number | undefined } = {},
): AsyncGenerator<Snapshot> {
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  if (opts.signal?.aborted) return;
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const coalesceMs = opts.coalesceMs ?? 50;

  let latest: Snapshot | undefined;
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  ac.signal.addEventListener('abort', notify, { once: true });
  const done = producer((s) => {
    latest = s.receivedAt === undefined ? { ...s, receivedAt: performance.now() } : s;
    notify();
  }, ac.signal)
    .catch((err: unknown) => {
      if (!ac.signal.aborted) failure = err;
    })
    .finally(() => {
      finished = true;
      notify();
    });

  const waitForPush = () => new Promise<void>((resolve) => (wake = resolve));
  let last: string | undefined;
  try {
    while (!ac.signal.aborted) {
      if (latest === undefined) {
        if (finished) break;
        await waitForPush();
        continue;
      }
      if (last !== undefined && coalesceMs > 0) {
        // let a burst settle: keep waiting while pushes arrive within the window
        await new Promise<void>((resolve) => {
          const onAbort = () => {
            clearTimeout(t);
            resolve();
          };
          const t = setTimeout(() => {
            ac.signal.removeEventListener('abort', onAbort);
            resolve();
          }, coalesceMs);
          ac.signal.addEventListener('abort', onAbort, { once: true });
        });
        if (ac.signal.aborted) break;
      }
      const snap = latest;
      latest = undefined;
      if (snap === undefined) continue;
      const fp = fingerprint(snap.entries);
      if (fp === last) continue;
      last = fp;
      yield snap;
    }
    if (failure !== undefined) throw failure;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    ac.abort();
    await done;
  }
}
