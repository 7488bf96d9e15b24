/**
 * etcd v3 backend (npm `etcd3`, gRPC). Keys keep the leading slash: `/PREFIX/key`; etcd holds any byte, so
 * only `%` is escaped (to keep escaping invertible). Leases are etcd leases with keep-alive, locks a lease plus
 * a create-if-absent transaction, and watch() is a range read followed by a native watch from the next
 * revision (the client resumes from the last revision after a disconnect; compaction means a re-list).
 * etcd3's own retry and circuit-breaker policies are off: every call has a deadline and fails typed, and
 * shoal's loops do the retrying.
 */
import { Etcd3, isRecoverableError, type Lease as EtcdLeaseHandle } from 'etcd3';
import { ExponentialBackoff, handleWhen, noop, retry } from 'cockatiel';
import { StoreError, StoreTimeoutError, errorMessage } from '../common/errors.js';
import { withTimeout } from '../common/backoff.js';
import { escapeSegment, keySegments, relativeKey, sortKVs, unescapeSegment } from './keys.js';
import { StoreBase } from './base.js';
import type { KV, Lease, Lock, LockOptions, Snapshot, Store, StoreOptions, WatchOptions } from './store.js';
import { formatStoreUri, type StoreUri } from './uri.js';
import { EtcdLease, EtcdLock, type EtcdLeaseHost } from './etcd-lease.js';
import { watchPrefix } from './etcd-watch.js';
import { etcdError } from './etcd-error.js';

export { etcdError };

const SAFE = /^[^%]$/u;

/** Lease TTL in whole seconds (etcd's unit), never longer than asked so keys vanish within ttlMs. */
export function etcdLeaseSeconds(ttlMs: number): number {
  return Math.max(1, Math.floor(ttlMs / 1000));
}

export class EtcdStore extends StoreBase implements Store, EtcdLeaseHost {
  readonly kind = 'etcd';
  readonly client: Etcd3;
  private readonly root: string;
  readonly timeoutMs: number;

  constructor(uri: StoreUri, opts: StoreOptions) {
    super(formatStoreUri(uri), opts.logger);
    const secure = opts.tls !== undefined || uri.params.tls === 'true';
    const hosts = uri.hosts.map(
      (h) => `${secure ? 'https' : 'http'}://${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`,
    );
    this.timeoutMs = opts.timeoutMs;
    const tls = opts.tls;
    this.client = new Etcd3({
      hosts,
      dialTimeout: opts.timeoutMs,
      // gRPC's own reconnect backoff grows to 2 minutes; keep it short so a restarted server is seen soon
      grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 3000 },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + opts.timeoutMs }),
      faultHandling: {
        host: () => noop,
        // with several hosts, a call that fails on one (down, unreachable) moves on to the next at once
        global: hosts.length > 1 ? retry(handleWhen(isRecoverableError), { maxAttempts: hosts.length - 1 }) : noop,
        // etcd3's typing says IBackoff, its code calls .next() on it: it wants the factory
        watchBackoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 3000 }) as never,
      },
      ...(opts.username !== undefined ? { auth: { username: opts.username, password: opts.password ?? '' } } : {}),
      // without a CA, gRPC verifies against the system roots (etcd3 offers no way to skip verification)
      ...(tls?.ca || tls?.cert
        ? {
            credentials: {
              rootCertificate: (tls.ca ? Buffer.from(tls.ca) : undefined) as Buffer,
              ...(tls.key ? { privateKey: Buffer.from(tls.key) } : {}),
              ...(tls.cert ? { certChain: Buffer.from(tls.cert) } : {}),
            },
          }
        : {}),
    });
    this.root = `/${uri.prefix}`.replace(/\/$/, '');
  }

  /** Run one client call with the per-operation timeout (etcd3 may wait on a reconnect) and typed errors. */
  async op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closing.signal.aborted) throw new StoreError(`etcd ${what}: the store is closed`, undefined, false);
    try {
      return await withTimeout(
        fn(),
        this.timeoutMs + 250,
        () => new StoreTimeoutError(`etcd ${what}: no answer within ${this.timeoutMs} ms`),
      );
    } catch (err) {
      const typed = etcdError(err, what);
      // gRPC's own deadline (the same timeout) names the time it measured: name the deadline we set
      if (typed instanceof StoreTimeoutError && !typed.message.includes(`within ${this.timeoutMs} ms`))
        throw new StoreTimeoutError(`etcd ${what}: no answer within ${this.timeoutMs} ms`, err);
      throw typed;
    }
  }

  /** The etcd key of a logical key; `allowEmpty` for prefixes ('' is the store root itself). */
  fullKey(key: string, allowEmpty = false): string {
    const segs = keySegments(key, allowEmpty).map((s) => escapeSegment(s, SAFE));
    return [this.root, ...segs].join('/');
  }

  /** The range prefix for everything strictly below a logical prefix. */
  dirKey(prefix: string): string {
    return `${this.fullKey(prefix, true)}/`;
  }

  logicalKey(full: string): string | undefined {
    // with no prefix the root is '' and every key starts with '/'
    const rel = this.root === '' ? (full.startsWith('/') ? full.slice(1) : undefined) : relativeKey(this.root, full);
    if (rel === undefined || rel === '' || rel.split('/').some((s) => s === '')) return undefined;
    return rel.split('/').map(unescapeSegment).join('/');
  }

  async ping(): Promise<void> {
    // a status call, not a read: with no prefix there is no key to read ('' is not a valid etcd key)
    await this.op('ping', () => this.client.maintenance.status());
  }

  async get(key: string): Promise<string | undefined> {
    const full = this.fullKey(key);
    return (await this.op('get', () => this.client.get(full).string())) ?? undefined;
  }

  /** Everything below `prefix` and the revision the read saw. */
  async range(prefix: string): Promise<{ entries: Map<string, string>; revision: number }> {
    const dir = this.dirKey(prefix);
    const res = await this.op('list', () => this.client.getAll().prefix(dir).exec());
    const entries = new Map<string, string>();
    for (const kv of res.kvs) this.apply(entries, kv.key, kv.value);
    return { entries, revision: Number(res.header.revision) };
  }

  /** Set (value) or remove (undefined) a raw etcd key in a snapshot map, skipping keys we cannot map. */
  apply(entries: Map<string, string>, rawKey: Buffer, value: Buffer | undefined): void {
    const key = this.logicalKey(rawKey.toString());
    if (key === undefined) return;
    if (value === undefined) entries.delete(key);
    else entries.set(key, value.toString());
  }

  async list(prefix: string): Promise<KV[]> {
    return toKVs((await this.range(prefix)).entries);
  }

  async put(key: string, value: string): Promise<void> {
    const full = this.fullKey(key);
    await this.op('put', () => this.client.put(full).value(value).exec());
  }

  async delete(key: string): Promise<void> {
    const full = this.fullKey(key);
    await this.op('delete', () => this.client.delete().key(full).exec());
  }

  async deleteTree(prefix: string): Promise<void> {
    const full = this.fullKey(prefix, true);
    await this.op('deleteTree', () => this.client.delete().prefix(`${full}/`).exec());
    if (full !== '') await this.op('deleteTree', () => this.client.delete().key(full).exec());
  }

  async cas(key: string, expected: string | undefined, value: string): Promise<boolean> {
    const full = this.fullKey(key);
    const cmp =
      expected === undefined ? this.client.if(full, 'Create', '==', 0) : this.client.if(full, 'Value', '==', expected);
    const res = await this.op('cas', () => cmp.then(this.client.put(full).value(value)).commit());
    return res.succeeded;
  }

  /** A granted etcd lease; `onLost` runs when etcd3 reports it lost. */
  async grant(
    ttlMs: number,
    onLost: (l: EtcdLeaseHandle, err: Error) => void,
  ): Promise<{ handle: EtcdLeaseHandle; id: string }> {
    const handle = this.client.lease(etcdLeaseSeconds(ttlMs), { autoKeepAlive: true });
    handle.on('lost', (err) => onLost(handle, err));
    try {
      return { handle, id: await this.op('lease grant', () => handle.grant()) };
    } catch (err) {
      handle.release();
      throw err;
    }
  }

  async revoke(handle: EtcdLeaseHandle): Promise<void> {
    await this.op('lease revoke', () => handle.revoke()).catch(() => handle.release());
  }

  protected async newLease(ttlMs: number): Promise<Lease> {
    const lease = new EtcdLease(this, ttlMs);
    await lease.start();
    return lease;
  }

  protected acquireLock(key: string, value: string, opts: LockOptions): Promise<Lock> {
    return this.acquired(new EtcdLock(this, key, opts.ttlMs, opts.onWaiting), value, opts.signal);
  }

  /** Resolves once `full` is deleted after `revision`, on an error, after `maxMs`, or when `signal` aborts. */
  async waitForDelete(full: string, revision: number, maxMs: number, signal?: AbortSignal): Promise<void> {
    const watcher = this.client
      .watch()
      .key(full)
      .startRevision(String(revision + 1))
      .only('delete')
      .watcher();
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, maxMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        watcher.on('delete', done).on('error', done);
        signal?.addEventListener('abort', done, { once: true });
      });
    } finally {
      await withTimeout(watcher.cancel(), 1000, () => new Error('cancel')).catch(() => {});
    }
  }

  /** A range read, then a native watch from the next revision (etcd3 resumes it after a disconnect). */
  watch(prefix: string, opts: WatchOptions = {}): AsyncIterable<Snapshot> {
    const dir = this.dirKey(prefix);
    return this.watchWith<{ entries: Map<string, string>; revision: number }>(
      {
        read: async () => {
          const at = await this.range(prefix);
          return { snapshot: { entries: toKVs(at.entries), revision: String(at.revision) }, cursor: at };
        },
        wait: (at, signal, push) => {
          return watchPrefix(this, dir, at, signal, (revision) => push({ entries: toKVs(at.entries), revision }));
        },
        // compaction of the revision we resume from is no outage: read again from scratch
        isOutage: (err) => !(err instanceof Error && /compact/i.test(err.message)),
      },
      opts,
      { initialMs: 200, maxMs: 5000 },
    );
  }

  protected closeWire(): void {
    this.client.close();
  }
}

export function toKVs(entries: Map<string, string>): KV[] {
  return sortKVs([...entries].map(([key, value]) => ({ key, value })));
}

export async function createEtcdStore(uri: StoreUri, opts: StoreOptions): Promise<Store> {
  return new EtcdStore(uri, opts);
}
