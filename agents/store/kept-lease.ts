/**
 * The skeleton every backend's Lease shares: a map of the keys it holds, put (check the key, remember it,
 * write it under the lease's owner), delete (forget, remove), keys (sorted), the restore loop run when the
 * owner is lost (emit `lost`, make a new owner with jittered backoff, write every held key again, drop the
 * new owner if the lease was released meanwhile, emit `restored`) and release (stop keeping alive, drop the
 * owner, delete the held keys, forget them). The owner is whatever the backend's keys hang on: a Consul
 * session, an etcd v3 lease, a ZooKeeper session; etcd v2 keys carry their own TTL and have none.
 */
import { EventEmitter } from 'node:events';
import type { BackoffOptions } from '../common/backoff.js';
import { retry } from '../common/retry.js';
import type { Lease, LeaseEvents } from './store.js';

export abstract class KeptLease extends EventEmitter<LeaseEvents> implements Lease {
  protected readonly held = new Map<string, string>();
  abstract readonly ttlMs: number;
  /** Remember a key only once its write succeeded (instead of before writing it). */
  protected readonly rememberAfterWrite: boolean = false;
  protected readonly restoreBackoff: BackoffOptions = { initialMs: 200, maxMs: 5000 };

  /** True once release() started: no more keep-alive, no more restoring. */
  protected abstract get ended(): boolean;
  /** Throw on a key the backend rejects, before it is remembered. */
  protected abstract checkKey(key: string): void;
  /** Write one key under the current owner. */
  protected abstract write(key: string, value: string): Promise<void>;
  /** Remove one key from the store. */
  protected abstract remove(key: string): Promise<void>;
  /** Stop keeping the owner alive and forget the lease in the store (first step of release). */
  protected abstract stopKeeping(): void | Promise<void>;
  /** Replace a lost owner with a new one (a restore attempt's first step). */
  protected async renewOwner(): Promise<void> {}
  /** Give up the current owner (on release, or when released during a restore). */
  protected async dropOwner(): Promise<void> {}
  /** A restore attempt failed; it is retried after a backoff. */
  protected restoreFailed(_err: unknown, _attempt: number): void {}

  async put(key: string, value: string): Promise<void> {
    this.checkKey(key);
    if (!this.rememberAfterWrite) this.held.set(key, value);
    await this.write(key, value);
    if (this.rememberAfterWrite) this.held.set(key, value);
  }

  async delete(key: string): Promise<void> {
    this.held.delete(key);
    await this.remove(key);
  }

  keys(): string[] {
    return [...this.held.keys()].sort();
  }

  /** The owner was lost (its keys are gone): make a new one and write every held key again. */
  protected async restore(lost: Error): Promise<void> {
    this.emit('lost', lost);
    const attempt = async (): Promise<void> => {
      if (this.ended) return;
      await this.renewOwner();
      for (const [k, v] of this.held) await this.write(k, v);
      if (this.ended) return void (await this.dropOwner()); // released meanwhile
      this.emit('restored');
    };
    const onRetry = (err: unknown, n: number) => this.restoreFailed(err, n - 1);
    const opts = { ...this.restoreBackoff, what: 'lease restore', isRetryable: () => !this.ended, onRetry };
    await retry(attempt, opts).catch(() => {});
  }

  async release(): Promise<void> {
    if (this.ended) return;
    await this.stopKeeping();
    await this.dropOwner();
    for (const k of this.held.keys()) await this.remove(k).catch(() => {});
    this.held.clear();
  }
}
