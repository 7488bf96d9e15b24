/** The store base with a fake wire: state transitions, the one watch loop, ownership on close. Pure. */
import t from 'tap';
import { silentLogger } from '../../agents/common/log.js';
import { StoreUnavailableError } from '../../agents/common/errors.js';
import { StoreBase, nextState, type WatchWire } from '../../agents/store/base.js';
import type { Lease, Lock, LockOptions, Snapshot, StoreState, WatchOptions } from '../../agents/store/store.js';

/** A lease or lock that only records its release (all the base calls on it). */
const owned = (name: string, released: string[]) => ({ release: async () => void released.push(name) });

class FakeStore extends StoreBase {
  readonly kind = 'fake';
  wireClosed = false;
  /** What the backend's lease and lock record on release; a lock on the key `refused` is not acquired. */
  readonly released: string[] = [];
  constructor() {
    super('fake://', silentLogger());
  }
  protected closeWire(): void {
    this.wireClosed = true;
  }
  protected newLease(ttlMs: number): Lease {
    return owned(`lease ${ttlMs}`, this.released) as unknown as Lease;
  }
  protected async acquireLock(key: string, value: string, opts: LockOptions): Promise<Lock> {
    const lock = { ...owned(`lock ${key}`, this.released), acquire: async () => {} };
    if (key === 'refused') lock.acquire = async () => Promise.reject(new Error('held elsewhere'));
    return this.acquired(lock, value, opts.signal) as unknown as Lock;
  }
  watchOver<C>(wire: WatchWire<C>, opts: WatchOptions = {}): AsyncIterable<Snapshot> {
    return this.watchWith(wire, opts, { initialMs: 1, maxMs: 2 });
  }
}

/** What a real wire does with nothing to answer: block until the watch stops. */
const blockUntil = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));

const snap = (revision: number, ...keys: string[]): Snapshot => ({
  entries: keys.map((key) => ({ key, value: 'v' })),
  revision: String(revision),
});

t.test('nextState: connected once, then lost and restored on changes only', async (t) => {
  const table: [StoreState | undefined, boolean, StoreState | undefined][] = [
    [undefined, true, 'connected'],
    [undefined, false, 'lost'],
    ['connected', true, undefined],
    ['connected', false, 'lost'],
    ['lost', false, undefined],
    ['lost', true, 'restored'],
    ['restored', true, undefined],
    ['restored', false, 'lost'],
  ];
  for (const [from, up, want] of table) t.equal(nextState(from, up), want, `${from} + ${up ? 'answer' : 'failure'}`);
});

t.test('the watch loop reads, waits, survives failures, and reports each state change once', async (t) => {
  const store = new FakeStore();
  const states: StoreState[] = [];
  store.on('state', (s) => states.push(s));
  // each step answers one read: a snapshot, or a failure
  const down = new StoreUnavailableError('down');
  const steps: (Snapshot | Error)[] = [snap(1, 'a'), down, down, snap(2, 'a', 'b')];
  const cursors: (number | undefined)[] = [];
  const ac = new AbortController();
  const wire: WatchWire<number> = {
    read: async (cursor, signal) => {
      cursors.push(cursor);
      const step = steps.shift();
      if (step === undefined) return blockUntil(signal);
      if (step instanceof Error) throw step;
      return { snapshot: step, cursor: Number(step.revision) };
    },
    wait: async (cursor) => cursor,
  };
  const seen: Snapshot[] = [];
  for await (const s of store.watchOver(wire, { signal: ac.signal, coalesceMs: 0 })) {
    seen.push(s);
    if (seen.length === 2) ac.abort();
  }
  t.same(
    seen.map((s) => s.revision),
    ['1', '2'],
    'the snapshots the store answered, nothing from the failures',
  );
  t.same(states, ['connected', 'lost', 'restored'], 'one event per change');
  t.same(cursors, [undefined, 1, undefined, undefined, 2], 'after a failure the next read starts from scratch');
});

t.test('a failure that is not an outage reads again without a state change', async (t) => {
  const store = new FakeStore();
  const states: StoreState[] = [];
  store.on('state', (s) => states.push(s));
  let reads = 0;
  const ac = new AbortController();
  const wire: WatchWire<number> = {
    read: async () => ({ snapshot: snap(++reads, `k${reads}`), cursor: reads }),
    wait: async () => {
      throw new Error('compacted');
    },
    isOutage: () => false,
  };
  for await (const s of store.watchOver(wire, { signal: ac.signal, coalesceMs: 0 })) if (s.revision === '3') ac.abort();
  t.same(states, ['connected']);
});

t.test('close releases what is still tracked, stops the watches, then closes the wire', async (t) => {
  const store = new FakeStore();
  const released: string[] = [];
  const a = store.track({ release: async () => void released.push('a') });
  store.track({ release: async () => void released.push('b') });
  store.untrack(a);
  const wire: WatchWire<number> = {
    read: async () => ({ snapshot: snap(1, 'x'), cursor: 1 }),
    wait: (_, signal) => blockUntil(signal),
  };
  const watching = (async () => {
    for await (const _ of store.watchOver(wire, { coalesceMs: 0 })) void _;
  })();
  await store.close();
  await watching;
  t.same(released, ['b'], 'only what was not untracked');
  t.equal(store.wireClosed, true);
});

t.test(
  'lease() and lock() track what the backend made; close releases them; a failed acquire is released',
  async (t) => {
    const store = new FakeStore();
    const lease = await store.lease(500);
    await store.lock('a', 'me', { ttlMs: 1000 });
    await t.rejects(store.lock('refused', 'me', { ttlMs: 1000 }), { message: 'held elsewhere' });
    t.same(store.released, ['lock refused'], 'the lock that was not acquired is released at once');
    store.untrack(lease as never);
    await store.close();
    t.same(store.released, ['lock refused', 'lock a'], 'close releases what is still tracked, not what was untracked');
  },
);
