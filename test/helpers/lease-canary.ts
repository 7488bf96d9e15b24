/**
 * Negative checks against a real TTL, without a clock: a canary is a key put on a lease of the same TTL by a
 * child process that is then killed with SIGKILL, so nobody keeps it alive. A lease created or last renewed
 * before the canary's lease expires no later than the canary (same backend, same TTL): once the store's watch
 * has seen the canary deleted, keys of such a lease that are still there were kept alive, and an entry that
 * has not come back by then was not re-written within a TTL.
 *
 * As a script (`lease-canary.ts <uri> <key> <ttlMs>`): put the key on a lease, print "ready", wait.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../agents/store/open.js';
import type { KV, Store } from '../../agents/store/store.js';

const SELF = fileURLToPath(import.meta.url);

/** Put a canary under `uri`'s prefix, abandon it, and resolve once `store` (same prefix) has seen it expire. */
export async function leaseExpiry(uri: string, store: Store, ttlMs: number): Promise<void> {
  const key = `shoal-canary-${randomBytes(3).toString('hex')}`;
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, uri, key, String(ttlMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`lease canary exited ${code} before it was ready`)));
    });
  } finally {
    child.kill('SIGKILL');
  }
  // Consul invalidates about 2x its session TTL after the last renewal; the others at the TTL
  const signal = AbortSignal.timeout(2 * ttlMs + 20_000);
  try {
    for await (const snap of store.watch('', { signal })) if (!snap.entries.some((kv) => kv.key === key)) return;
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  throw new Error(`lease canary ${key} (TTL ${ttlMs} ms) did not expire within ${2 * ttlMs + 20_000} ms`);
}

/** Every snapshot of `prefix` from now on, in the background (to check that something never showed up). */
export function recordSnapshots(store: Store, prefix = ''): { seen: KV[][]; stop(): Promise<void> } {
  const ac = new AbortController();
  const seen: KV[][] = [];
  const done = (async () => {
    for await (const snap of store.watch(prefix, { signal: ac.signal, coalesceMs: 0 })) seen.push(snap.entries);
  })().catch(() => undefined);
  return {
    seen,
    async stop() {
      ac.abort();
      await done;
    },
  };
}

if (process.argv[1] === SELF) {
  const [uri, key, ttl] = process.argv.slice(2);
  if (!uri || !key || !ttl) throw new Error('usage: lease-canary <uri> <key> <ttlMs>');
  const store = await openStore(uri, { timeoutMs: 3000 });
  await (await store.lease(Number(ttl))).put(key, 'canary');
  process.stdout.write('ready\n');
  setInterval(() => undefined, 1 << 30);
}
