/**
 * Leases and locks for the etcd v2 backend. v2 has no leases: every key is written with a `ttl` and
 * refreshed every ttl/3 with `refresh=true&prevExist=true` (which does not wake watchers). A key that is gone
 * at refresh time (expired during an outage) means the lease was lost: emit `lost`, re-write every key, emit
 * `restored`. A lock is a create-if-absent key with a ttl; waiters long-poll the key for its delete/expire.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { StoreError } from '../common/errors.js';
import { sleep } from '../common/backoff.js';
import type { Lock, LockEvents, LockOptions } from './store.js';
import { V2, type V2Client, type V2Response } from './etcd2-http.js';
import type { Owner } from './base.js';
import { KeptLease } from './kept-lease.js';
import { waitForLock } from './lock-wait.js';

/** What leases and locks need of the etcd v2 store (Etcd2Store implements it). */
export interface Etcd2Host extends Owner {
  readonly log: Logger;
  readonly http: V2Client;
  /** The request path of a logical key; validates it (throws StoreKeyError). */
  keyPath(key: string): string;
  /** Pass an answer through when it succeeded or failed with one of `allowed`; otherwise throw typed. */
  expect(r: V2Response, allowed?: number[]): Promise<V2Response>;
  delete(key: string): Promise<void>;
}

export const POLL_MS = 30_000;

/** A long poll that timed out just saw no change. */
export function quietPoll(err: unknown): undefined {
  if ((err as { code?: string }).code === 'SHOAL_STORE_TIMEOUT') return undefined;
  throw err;
}

function ttlSeconds(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

/** Calls `tick` every `everyMs` until stopped; `tick` errors are the caller's to handle inside. */
class Ticker {
  private readonly ac = new AbortController();
  private readonly done: Promise<void>;
  constructor(everyMs: number, tick: () => Promise<boolean>) {
    this.done = (async () => {
      while (!this.ac.signal.aborted) {
        await sleep(everyMs, this.ac.signal).catch(() => {});
        if (this.ac.signal.aborted || !(await tick())) return;
      }
    })();
  }
  get stopped(): boolean {
    return this.ac.signal.aborted;
  }
  async stop(): Promise<void> {
    this.ac.abort();
    await this.done;
  }
}

/**
 * v2 keys carry their own TTL, so there is no owner to renew or drop: a Ticker refreshes every key, and a
 * refresh that finds keys gone (or a whole TTL without an answer) means lost; the next ticks re-write the
 * keys (no backoff loop of its own) until that works, then `restored`.
 */
export class Etcd2Lease extends KeptLease {
  protected override readonly rememberAfterWrite = true;
  private readonly ticker: Ticker;
  private readonly ttl: number;
  private lastOk = Date.now();
  private lost: Error | undefined;

  constructor(
    private readonly store: Etcd2Host,
    readonly ttlMs: number,
  ) {
    super();
    this.ttl = ttlSeconds(ttlMs);
    this.ticker = new Ticker(Math.max(200, Math.floor(ttlMs / 3)), () => this.tick().then(() => true));
  }

  protected get ended(): boolean {
    return this.ticker.stopped;
  }

  protected checkKey(): void {} // write() checks it (store.keyPath), before the key is remembered

  protected async write(key: string, value: string): Promise<void> {
    await this.store.expect(
      await this.store.http.request('PUT', this.store.keyPath(key), { form: { value, ttl: this.ttl } }),
    );
  }

  protected async remove(key: string): Promise<void> {
    await this.store.delete(key);
  }

  protected async stopKeeping(): Promise<void> {
    await this.ticker.stop();
    this.store.untrack(this);
  }

  /** Unlike the base: forget the keys first, then delete them all at once; errors propagate. */
  override async release(): Promise<void> {
    if (this.ended) return;
    await this.stopKeeping();
    const keys = this.keys();
    this.held.clear();
    await Promise.all(keys.map((k) => this.remove(k)));
  }

  private async tick(): Promise<void> {
    try {
      if (this.lost === undefined) {
        const gone = await this.refresh();
        this.lastOk = Date.now();
        if (gone.length === 0) return;
        this.markLost(new StoreError(`etcd2 lease keys expired: ${gone.join(', ')}`));
      }
      for (const [k, v] of [...this.held]) await this.write(k, v);
      this.lastOk = Date.now();
      this.lost = undefined;
      this.emit('restored');
    } catch (err) {
      if (this.ticker.stopped) return;
      // not answered for a whole TTL: the keys have expired by now
      if (this.lost === undefined && Date.now() - this.lastOk > this.ttlMs) this.markLost(err as Error);
    }
  }

  /** Refresh every key's TTL; returns the keys that no longer exist. */
  private async refresh(): Promise<string[]> {
    const gone: string[] = [];
    await Promise.all(
      [...this.held.keys()].map(async (k) => {
        const r = await this.store.http.request('PUT', this.store.keyPath(k), {
          form: { ttl: this.ttl, refresh: true, prevExist: true },
        });
        await this.store.expect(r, [V2.keyNotFound]);
        if (r.body.errorCode === V2.keyNotFound && this.held.has(k)) gone.push(k);
      }),
    );
    return gone;
  }

  private markLost(err: Error): void {
    this.lost = err;
    this.store.log.warn({ err, keys: this.keys() }, 'etcd2 lease lost; re-writing its keys');
    this.emit('lost', err);
  }
}

export class Etcd2Lock extends EventEmitter<LockEvents> implements Lock {
  private readonly ticker: Ticker;
  private lastOk = Date.now();
  private holding = true;

  constructor(
    private readonly store: Etcd2Host,
    readonly key: string,
    private readonly value: string,
    private readonly ttlMs: number,
  ) {
    super();
    this.ticker = new Ticker(Math.max(200, Math.floor(ttlMs / 3)), () => this.refresh());
  }

  get held(): boolean {
    return this.holding;
  }

  async release(): Promise<void> {
    await this.ticker.stop();
    this.store.untrack(this);
    if (!this.holding) return;
    this.holding = false;
    const r = await this.store.http.request('DELETE', this.store.keyPath(this.key), {
      query: { prevValue: this.value },
    });
    await this.store.expect(r, [V2.keyNotFound, V2.compareFailed]);
  }

  /** One refresh; false (stop refreshing) once the lock is lost. */
  private async refresh(): Promise<boolean> {
    try {
      const form = { ttl: ttlSeconds(this.ttlMs), refresh: true, prevExist: true, prevValue: this.value };
      const r = await this.store.http.request('PUT', this.store.keyPath(this.key), { form });
      await this.store.expect(r, [V2.keyNotFound, V2.compareFailed]);
      if (r.body.errorCode === undefined) {
        this.lastOk = Date.now();
        return true;
      }
      this.lose(new StoreError(`etcd2 lock ${this.key} is gone or taken over`, undefined, true));
    } catch (err) {
      if (this.ticker.stopped) return false;
      if (Date.now() - this.lastOk <= this.ttlMs) return true;
      this.lose(err as Error);
    }
    return false;
  }

  private lose(err: Error): void {
    if (!this.holding) return;
    this.holding = false;
    this.emit('lost', err);
  }
}

/** Create the lock key if absent; while someone else holds it, long-poll the key for its delete/expiry. */
export async function acquireEtcd2Lock(
  store: Etcd2Host,
  key: string,
  value: string,
  opts: LockOptions,
): Promise<Etcd2Lock> {
  const path = store.keyPath(key);
  const signal = opts.signal;
  return waitForLock('etcd2', key, signal, async (progress) => {
    const r = await store.http.request('PUT', path, {
      form: { value, ttl: ttlSeconds(opts.ttlMs), prevExist: false },
      signal,
    });
    await store.expect(r, [V2.nodeExist]);
    if (r.body.errorCode === undefined) return new Etcd2Lock(store, key, value, opts.ttlMs);
    progress();
    opts.onWaiting?.();
    const index = r.body.index ?? r.etcdIndex;
    await store.http
      .request('GET', path, { query: { wait: true, waitIndex: index + 1 }, timeoutMs: POLL_MS, signal })
      .catch(quietPoll);
    return undefined;
  });
}
