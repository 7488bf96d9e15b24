/**
 * etcd v3 leases and locks: a lease whose keys ride on an etcd lease with keep-alive (re-granted, keys
 * re-written, after it is lost), and a lock that is a lease plus a create-if-absent transaction.
 */
import { EventEmitter } from 'node:events';
import type { Etcd3, Lease as EtcdLeaseHandle } from 'etcd3';
import type { Logger } from 'pino';
import { AbortedError, errorMessage, isRecoverable } from '../common/errors.js';
import { retry } from '../common/retry.js';
import { KeptLease } from './kept-lease.js';
import type { Owner } from './base.js';
import type { Lock, LockEvents } from './store.js';
import { etcdError } from './etcd-error.js';

type Granted = { handle: EtcdLeaseHandle; id: string };

/** What leases and locks need of the etcd v3 store (EtcdStore implements it). */
export interface EtcdLeaseHost extends Owner {
  readonly log: Logger;
  readonly client: Etcd3;
  /** Validates a logical key (throws StoreKeyError) and maps it. */
  fullKey(key: string): string;
  /** One client call with the per-operation timeout and typed errors. */
  op<T>(what: string, fn: () => Promise<T>): Promise<T>;
  delete(key: string): Promise<void>;
  /** A granted etcd lease kept alive; `onLost` runs when etcd3 reports it lost. */
  grant(ttlMs: number, onLost: (l: EtcdLeaseHandle, err: Error) => void): Promise<Granted>;
  revoke(handle: EtcdLeaseHandle): Promise<void>;
  /** Resolves once `full` is deleted after `revision`, on an error, after `maxMs`, or when `signal` aborts. */
  waitForDelete(full: string, revision: number, maxMs: number, signal?: AbortSignal): Promise<void>;
}

export class EtcdLease extends KeptLease {
  private current: Granted | undefined;
  private released = false;

  constructor(
    private readonly store: EtcdLeaseHost,
    readonly ttlMs: number,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.current = await this.store.grant(this.ttlMs, (h, err) => void this.lost(h, err));
  }

  protected get ended(): boolean {
    return this.released;
  }

  protected checkKey(key: string): void {
    this.store.fullKey(key);
  }

  protected async write(key: string, value: string): Promise<void> {
    const id = this.current!.id;
    const full = this.store.fullKey(key);
    await this.store.op('lease put', () => this.store.client.put(full).value(value).lease(id).exec());
  }

  protected async remove(key: string): Promise<void> {
    await this.store.delete(key);
  }

  /** etcd dropped the lease (expired during an outage); a stale handle's loss is ignored. */
  private async lost(handle: EtcdLeaseHandle, err: Error): Promise<void> {
    if (this.released || handle !== this.current?.handle) return;
    await this.restore(etcdError(err, 'lease'));
  }

  protected override async renewOwner(): Promise<void> {
    this.current = await this.store.grant(this.ttlMs, (h, e) => void this.lost(h, e));
  }

  protected override async dropOwner(): Promise<void> {
    if (this.current) await this.store.revoke(this.current.handle);
  }

  protected stopKeeping(): void {
    this.released = true;
    this.store.untrack(this);
  }

  protected override restoreFailed(err: unknown, attempt: number): void {
    this.store.log.warn({ err: errorMessage(err), attempt }, 'etcd lease restore failed; retrying');
  }
}

export class EtcdLock extends EventEmitter<LockEvents> implements Lock {
  held = false;
  private current: Granted | undefined;
  private released = false;

  constructor(
    private readonly store: EtcdLeaseHost,
    readonly key: string,
    private readonly ttlMs: number,
    private readonly onWaiting?: () => void,
  ) {
    super();
  }

  private onLost = (handle: EtcdLeaseHandle, err: Error): void => {
    if (handle !== this.current?.handle) return;
    this.current = undefined;
    if (this.held) {
      this.held = false;
      this.emit('lost', etcdError(err, `lock ${this.key}`));
    }
  };

  /** Create the key if absent, under our lease; otherwise wait for its deletion and try again. */
  async acquire(value: string, signal?: AbortSignal): Promise<void> {
    const full = this.store.fullKey(this.key);
    const { client } = this.store;
    const aborted = () => new AbortedError(`etcd lock ${this.key}: aborted`);
    const attempt = async (progress: () => void): Promise<void> => {
      for (;;) {
        if (signal?.aborted) throw aborted();
        this.current ??= await this.store.grant(this.ttlMs, this.onLost);
        const id = this.current.id;
        const res = await this.store.op('lock', () =>
          client.if(full, 'Create', '==', 0).then(client.put(full).value(value).lease(id)).commit(),
        );
        if (res.succeeded) return void (this.held = true);
        this.onWaiting?.();
        await this.store.waitForDelete(full, Number(res.header.revision), this.ttlMs * 2, signal);
        progress();
      }
    };
    const opts = { initialMs: 200, maxMs: 5000, signal, what: `etcd lock ${this.key}`, isRetryable: isRecoverable };
    await retry(attempt, opts).catch((err) => {
      throw signal?.aborted ? aborted() : err;
    });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.held = false;
    this.store.untrack(this);
    const cur = this.current;
    this.current = undefined;
    if (cur) await this.store.revoke(cur.handle); // removes the lock key with the lease
  }
}
