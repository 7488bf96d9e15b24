/**
 * The Store contract: the same cases run against every backend on a real server.
 * Each backend's test file calls `storeContract` with how to reach its server.
 */
import type { Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../agents/store/open.js';
import type { KV, Snapshot, Store, StoreState } from '../../agents/store/store.js';

export interface ContractTarget {
  scheme: string;
  /** `HOST:PORT` of the shared server. */
  address: string;
  /** A server of the same kind that this suite alone may stop and start. */
  chaos: { address: string; stop(): Promise<void>; start(): Promise<void> };
  /** TTL used by the TTL cases (the backend's minimum may be higher than the others'). */
  ttlMs: number;
}

const HOLDER = fileURLToPath(new URL('./holder.ts', import.meta.url));
const opts = { timeoutMs: 3000 };

function uri(scheme: string, address: string, prefix: string): string {
  return `${scheme}://${address}/${prefix}`;
}

async function poll<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  stepMs = 100,
): Promise<{ value: T; elapsed: number }> {
  const start = Date.now();
  for (;;) {
    const value = await fn().catch(() => undefined as T);
    if (value !== undefined && ok(value)) return { value, elapsed: Date.now() - start };
    if (Date.now() - start > timeoutMs) return { value, elapsed: Date.now() - start };
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** `p`, or a rejection naming `what` when it has not settled within `ms` (a bound on a wait, not a check). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Start a child process that uses the store (`lease` or `lock` mode) and wait for its first line. */
async function holder(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.once('exit', (code) => reject(new Error(`holder exited ${code} before it was ready`)));
  });
  return { child, line };
}

/**
 * Put `key` on a lease of `ttlMs` in a holder process (on the store at `storeUri`), SIGKILL it, and wait (up
 * to TTL + 15 s) until `store` no longer has the key: null once it is gone. A control for "still there": a
 * lease made before this one and kept alive must outlive it, by the server's own clock.
 */
export async function killedLeaseGone(
  store: Store,
  storeUri: string,
  key: string,
  ttlMs: number,
): Promise<string | null | undefined> {
  const { child, line } = await holder(['lease', storeUri, key, 'alive', String(ttlMs)]);
  if (line !== 'ready') throw new Error(`holder said ${line}`);
  if ((await store.get(key)) !== 'alive') throw new Error(`the holder did not write ${key}`);
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  const { value } = await poll(
    () => store.get(key).then((v) => v ?? null),
    (v) => v === null,
    ttlMs + 15_000,
  );
  return value;
}

/** Iterate a watch in the background, remembering every snapshot with its arrival time. */
function recordWatch(store: Store, prefix: string) {
  const ac = new AbortController();
  const seen: { at: number; snap: Snapshot }[] = [];
  const done = (async () => {
    for await (const snap of store.watch(prefix, { signal: ac.signal, coalesceMs: 20 }))
      seen.push({ at: Date.now(), snap });
  })().catch(() => {});
  return {
    seen,
    async until(pred: (e: KV[]) => boolean, timeoutMs: number): Promise<number | undefined> {
      const start = Date.now();
      while (Date.now() - start < timeoutMs) {
        const hit = seen.find((s) => s.at >= start - 5 && pred(s.snap.entries));
        if (hit) return hit.at - start;
        await new Promise((r) => setTimeout(r, 20));
      }
      return undefined;
    },
    async stop() {
      ac.abort();
      await done;
    },
  };
}

export function storeContract(t: Test, target: ContractTarget): void {
  const prefix = `contract/${target.scheme}-${randomUUID().slice(0, 8)}`;
  let store: Store;

  t.before(async () => {
    store = await openStore(uri(target.scheme, target.address, prefix), opts);
    await store.ping();
  });
  t.teardown(async () => {
    await store.deleteTree('').catch(() => {});
    await store.close();
  });

  t.test('keys with ":" and "/" round-trip through put, get, list, delete', async (t) => {
    const keys = [
      'services/web-80/dockerhost01:web_1:80',
      'services/web-80/dockerhost02:web.2:80:udp',
      'swarm/10.0.0.1:2375',
      'odd/a b%20c?d#e&f=g+h',
    ];
    for (const [i, k] of keys.entries()) await store.put(k, `10.0.0.${i}:${8000 + i}`);
    for (const [i, k] of keys.entries()) t.equal(await store.get(k), `10.0.0.${i}:${8000 + i}`, k);
    const all = await store.list('');
    t.same(
      all.map((e) => e.key),
      [...keys].sort(),
      'list of the whole prefix is sorted and exact',
    );
    const web = await store.list('services/web-80');
    t.same(
      web,
      [
        { key: keys[0], value: '10.0.0.0:8000' },
        { key: keys[1], value: '10.0.0.1:8001' },
      ],
      'list of a sub-prefix',
    );
    t.same(await store.list('services/web'), [], 'a prefix is a path, not a string prefix');
    await store.delete(keys[0]!);
    t.equal(await store.get(keys[0]!), undefined, 'deleted key is gone');
    await store.deleteTree('services');
    t.same(await store.list('services'), [], 'deleteTree removes the subtree');
    t.equal(await store.get('swarm/10.0.0.1:2375'), '10.0.0.2:8002', 'siblings survive');
    t.equal(await store.get('missing/key'), undefined);
    await store.delete('missing/key'); // no error
    await t.rejects(store.put('../escape', 'x'), { code: 'SHOAL_STORE_KEY' }, 'a key cannot leave the prefix');
    await t.rejects(store.put('a//b', 'x'), { code: 'SHOAL_STORE_KEY' });
  });

  t.test('a URI with no path uses the store root', async (t) => {
    const root = await openStore(`${target.scheme}://${target.address}`, opts);
    t.teardown(() => root.close());
    await root.ping();
    const top = `contract-root-${randomUUID().slice(0, 8)}`;
    t.teardown(() => root.deleteTree(top).catch(() => {}));
    await root.put(`${top}/web-80/h1:web:80`, '10.0.0.1:80');
    t.equal(await root.get(`${top}/web-80/h1:web:80`), '10.0.0.1:80');
    t.same(await root.list(top), [{ key: `${top}/web-80/h1:web:80`, value: '10.0.0.1:80' }], 'list below the root');
    t.ok(
      (await root.list('')).some((e) => e.key === `${top}/web-80/h1:web:80`),
      'listing the root includes the key',
    );
    await root.deleteTree(top);
    t.same(await root.list(top), [], 'deleteTree below the root');
  });

  t.test('values round-trip unchanged', async (t) => {
    const values = ['[fe80::1]:8080', 'line1\nline2', '{"json":true}', 'ünïcode ✓', ' spaced '];
    for (const [i, v] of values.entries()) await store.put(`values/${i}`, v);
    for (const [i, v] of values.entries()) t.equal(await store.get(`values/${i}`), v);
  });

  t.test('compare-and-set', async (t) => {
    t.equal(await store.cas('cas/k', undefined, 'one'), true, 'create when absent');
    t.equal(await store.cas('cas/k', undefined, 'two'), false, 'create fails when present');
    t.equal(await store.cas('cas/k', 'wrong', 'two'), false, 'swap fails on a wrong expectation');
    t.equal(await store.get('cas/k'), 'one');
    t.equal(await store.cas('cas/k', 'one', 'two'), true, 'swap succeeds on the right expectation');
    t.equal(await store.get('cas/k'), 'two');
  });

  const killedHolderKeyGone = (key: string) =>
    killedLeaseGone(store, uri(target.scheme, target.address, prefix), key, target.ttlMs);

  t.test('a lease keeps its keys alive over several TTLs, and release removes them', async (t) => {
    const lease = await store.lease(target.ttlMs);
    await lease.put('lease/held', 'yes');
    t.same(lease.keys(), ['lease/held']);
    // The server's own clock is the reference: a control lease of the same TTL, made after ours, whose owner
    // is killed. Once the server has expired it, ours has gone longer than a TTL on renewals alone.
    for (const round of [1, 2]) {
      const control = `lease/control-${round}-${randomUUID().slice(0, 6)}`;
      t.equal(await killedHolderKeyGone(control), null, `round ${round}: the later control lease expired`);
      t.equal(await store.get('lease/held'), 'yes', `round ${round}: ours is still there`);
    }
    await lease.release();
    t.equal(await store.get('lease/held'), undefined, 'gone right after release');
  });

  t.test('a lease key is gone after its owner is killed with SIGKILL', async (t) => {
    const key = `lease/killed-${randomUUID().slice(0, 6)}`;
    t.equal(await killedHolderKeyGone(key), null, 'key expired');
  });

  t.test('watch yields the current snapshot, then puts and deletes within 1 s', async (t) => {
    await store.put('watched/a', '1');
    const w = recordWatch(store, 'watched');
    t.ok((await w.until((e) => e.length === 1 && e[0]!.value === '1', 5000)) !== undefined, 'initial snapshot');
    await store.put('watched/b:c', '2');
    const put = await w.until((e) => e.some((x) => x.key === 'watched/b:c' && x.value === '2'), 1000);
    t.ok(put !== undefined, `put seen after ${put} ms`);
    await store.delete('watched/a');
    const del = await w.until((e) => e.length === 1 && e[0]!.key === 'watched/b:c', 1000);
    t.ok(del !== undefined, `delete seen after ${del} ms`);
    await store.deleteTree('watched');
    const empty = await w.until((e) => e.length === 0, 1000);
    t.ok(empty !== undefined, 'a prefix that became really empty is yielded as empty');
    await w.stop();
    for (const s of w.seen)
      t.ok(
        s.snap.entries.every((e) => e.key.startsWith('watched/')),
        'only keys of the prefix',
      );
  });

  t.test('a burst of changes is coalesced, and the last state is always delivered', async (t) => {
    const w = recordWatch(store, 'burst');
    await w.until(() => true, 5000);
    for (let i = 0; i < 50; i++) await store.put(`burst/k${i}`, String(i));
    const at = await w.until((e) => e.length === 50, 3000);
    t.ok(at !== undefined, 'final state delivered');
    t.ok(w.seen.length < 50, `${w.seen.length} snapshots for 50 puts`);
    await w.stop();
  });

  t.test('watch survives a server restart, delivers what changed meanwhile and reports the state', async (t) => {
    const chaos = await openStore(uri(target.scheme, target.chaos.address, prefix), opts);
    t.teardown(() => chaos.close());
    const states: StoreState[] = [];
    chaos.on('state', (s) => states.push(s));
    await chaos.put('restart/before', '1');
    const w = recordWatch(chaos, 'restart');
    t.ok((await w.until((e) => e.some((x) => x.key === 'restart/before'), 5000)) !== undefined, 'initial snapshot');
    t.same(states, ['connected'], 'connected once the store answered');
    const lost = new Promise<void>((r) => chaos.on('state', (s) => s === 'lost' && r()));
    await target.chaos.stop();
    await within(lost, 30_000, 'the watch did not report the outage (state lost)');
    const duringOutage = w.seen.length;
    await target.chaos.start();
    // write as soon as the server answers again, racing the watch's reconnect
    await poll(
      () => chaos.put('restart/after', '2').then(() => true),
      (v) => v === true,
      20_000,
      200,
    );
    const seen = await w.until((e) => e.some((x) => x.key === 'restart/after' && x.value === '2'), 20_000);
    t.ok(seen !== undefined, 'the change made around the restart is delivered');
    t.ok(
      w.seen.slice(duringOutage).every((s) => s.snap.entries.length > 0),
      'no empty snapshot from the outage',
    );
    t.same(states.slice(0, 3), ['connected', 'lost', 'restored'], `state events: ${states.join(',')}`);
    t.ok(
      states.every((s, i) => i === 0 || s !== states[i - 1]),
      'each state event is a change',
    );
    await w.stop();
  });

  t.test('a lock excludes a second process until the first releases it or dies', async (t) => {
    const lockUri = uri(target.scheme, target.address, prefix);
    const a = await holder(['lock', lockUri, 'leader', 'a', String(target.ttlMs)]);
    t.equal(a.line, 'acquired a');
    const b = spawn(
      process.execPath,
      ['--import', 'tsx', HOLDER, 'lock', lockUri, 'leader', 'b', String(target.ttlMs)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let bOut = '';
    b.stdout!.on('data', (d: Buffer) => (bOut += d.toString()));
    // the second process found the lock held and waits on it: only then is "not acquired" news
    const waiting = await poll(
      async () => bOut,
      (s) => s.includes('waiting b') || s.includes('acquired b'),
      30_000,
      20,
    );
    t.equal(waiting.value, 'waiting b\n', 'the second process waits while the first holds the lock');
    t.equal(await store.get('leader'), 'a', 'the lock key holds the holder value');
    const aExit = once(a.child, 'exit');
    a.child.kill('SIGKILL');
    await aExit;
    const got = await poll(
      async () => bOut,
      (s) => s.includes('acquired b'),
      target.ttlMs + 15_000,
    );
    t.match(got.value, /acquired b/, `second process acquired after the first died (${got.elapsed} ms)`);
    const bExit = once(b, 'exit');
    b.stdin!.end(); // holder releases and exits when stdin closes
    await bExit;
    const free = await poll(
      () => store.get('leader').then((v) => v ?? null),
      (v) => v === null,
      5000,
    );
    t.equal(free.value, null, 'release removes the lock key');
  });
}
