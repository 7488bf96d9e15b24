/**
 * Where entries are written: straight into the store, or (with --ttl) through one lease so that every entry
 * of this host vanishes when the host stops refreshing it.
 */
import type { KV, Lease, Store } from '../store/store.js';
import type { Service } from './service.js';

export interface EntryWriter {
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * What the store holds, as seen by this writer: with a lease, an entry written by someone else (an earlier
   * run's lease that has not expired yet) counts as absent, so it is written again onto our lease.
   */
  current(): Promise<KV[]>;
  /** How a service becomes an entry, when not the KV layout's `keyFor`/`valueFor` (catalog mode). */
  entry?(s: Service): [string, string];
}

/** Sentinel value that never equals a real `<ip>:<port>`. */
const FOREIGN = '\u0000not-ours';

export class StoreWriter implements EntryWriter {
  constructor(private readonly store: Store) {}
  put(key: string, value: string) {
    return this.store.put(key, value);
  }
  delete(key: string) {
    return this.store.delete(key);
  }
  current() {
    return this.store.list('');
  }
}

export class LeaseWriter implements EntryWriter {
  constructor(
    private readonly store: Store,
    readonly lease: Lease,
  ) {}
  /**
   * One request in the usual case: the write goes straight onto the lease. Only when that fails for a key the
   * lease did not hold (Consul refuses a key another session, e.g. an earlier run's, still holds) is the key
   * deleted and written again.
   */
  async put(key: string, value: string) {
    const ours = this.lease.keys().includes(key);
    try {
      await this.lease.put(key, value);
    } catch (err) {
      if (ours) throw err;
      await this.lease.delete(key); // forget it and remove the other holder's key
      await this.lease.put(key, value);
    }
  }
  async delete(key: string) {
    if (this.lease.keys().includes(key)) await this.lease.delete(key);
    else await this.store.delete(key);
  }
  async current() {
    const held = new Set(this.lease.keys());
    return (await this.store.list('')).map((kv) => (held.has(kv.key) ? kv : { key: kv.key, value: FOREIGN }));
  }
}
