/**
 * The one interface every key/value backend implements (consul, etcd v3, etcd v2, zookeeper).
 *
 * Keys handed to and returned by a Store are *logical* keys: relative to the store's prefix, `/`-separated,
 * no leading slash, any characters but empty segments, `.` and `..` (e.g. `services/web-80/h1:web:80`).
 * Each backend maps them to its own layout (Consul: `PREFIX/key`; etcd and ZooKeeper: `/PREFIX/key`) and
 * escapes what it cannot hold, so what is written is read back unchanged.
 */
import type { EventEmitter } from 'node:events';

export interface KV {
  key: string;
  value: string;
}

/**
 * Connection health as the store's watches (and ZooKeeper's session) see it, emitted on changes only:
 * `connected` when the store first answers, `lost` when it cannot be reached, `restored` when it answers
 * again; agents resync on `restored`.
 */
export type StoreState = 'connected' | 'lost' | 'restored';

export interface StoreStateEvents {
  state: [StoreState];
}

/**
 * A full snapshot of a prefix, keys sorted. `confirmed` is always true for a yielded snapshot: a watch
 * yields only what the store actually answered, never a stand-in produced by an error.
 */
export interface Snapshot {
  entries: KV[];
  /** Backend-specific monotonic marker (Consul index, etcd revision, zk zxid) for logs and tests. */
  revision: string;
  /** `performance.now()` when the watch had this answer from the store (set by the watch; for stage timings). */
  receivedAt?: number;
}

export interface WatchOptions {
  signal?: AbortSignal;
  /** Bursts of changes within this window are yielded as one snapshot. Default 50 ms. */
  coalesceMs?: number;
}

/**
 * A set of keys that live only while this process keeps them alive (Consul session with behavior=delete,
 * etcd v3 lease, etcd v2 key TTL, ZooKeeper ephemeral nodes). The lease remembers what was put through it:
 * when the backend loses it (expired during an outage) it emits `lost`, re-creates itself and re-writes every
 * key, then emits `restored`.
 */
export interface Lease extends EventEmitter<LeaseEvents> {
  readonly ttlMs: number;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys currently held by this lease. */
  keys(): string[];
  /** Stop keeping alive and delete the keys now. */
  release(): Promise<void>;
}

export interface LeaseEvents {
  lost: [Error];
  restored: [];
}

/** An exclusive lock for leader election. */
export interface Lock extends EventEmitter<LockEvents> {
  readonly key: string;
  /** True while we hold it. */
  readonly held: boolean;
  release(): Promise<void>;
}

export interface LockEvents {
  /** The lock was lost (session/lease expired): the holder must stop acting as leader at once. */
  lost: [Error];
}

export interface LockOptions {
  ttlMs: number;
  signal?: AbortSignal;
  /** Called each time the lock is found held by someone else, before waiting for it to be freed. */
  onWaiting?: () => void;
}

export interface Store extends EventEmitter<StoreStateEvents> {
  /** e.g. `consul`, `etcd`, `etcd2`, `zk`. */
  readonly kind: string;
  /** The URI with credentials removed, for logs. */
  readonly description: string;

  /** Resolves when the store answers, throws a typed error when it does not. */
  ping(): Promise<void>;
  get(key: string): Promise<string | undefined>;
  /** All keys under `prefix` (recursive), sorted by key. An empty `prefix` lists the whole store prefix. */
  list(prefix: string): Promise<KV[]>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Delete `prefix` and everything below it. */
  deleteTree(prefix: string): Promise<void>;
  /**
   * Compare-and-set: write `value` only if the current value is `expected` (`undefined`: only if absent).
   * Returns whether the write happened.
   */
  cas(key: string, expected: string | undefined, value: string): Promise<boolean>;
  /** Create a lease whose keys vanish `ttlMs` after this process stops keeping it alive. */
  lease(ttlMs: number): Promise<Lease>;
  /** Block until the exclusive lock at `key` is ours (holding `value`), or the signal aborts. */
  lock(key: string, value: string, opts: LockOptions): Promise<Lock>;
  /**
   * Full, confirmed snapshots of `prefix`: one at once, then one after every change (bursts coalesced).
   * Uses the backend's native change notification; survives outages (emits `state` events) and, on
   * reconnect, yields the state that the store then holds. Ends when the signal aborts.
   */
  watch(prefix: string, opts?: WatchOptions): AsyncIterable<Snapshot>;
  close(): Promise<void>;
}

/** Options every backend accepts; parsed once from flags/env/config. */
export interface StoreOptions {
  /** Per-operation timeout. */
  timeoutMs: number;
  /** Consul ACL token. */
  token?: string;
  /** etcd user/password. */
  username?: string;
  password?: string;
  tls?: {
    ca?: string; // PEM contents
    cert?: string;
    key?: string;
    /** Skip server certificate verification (never default). */
    insecure?: boolean;
  };
  /** ZooKeeper session timeout / etcd-v2 refresh hints may read this. */
  logger?: import('pino').Logger;
}
