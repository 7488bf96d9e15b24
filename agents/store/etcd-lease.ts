/**
 * etcd v3 leases and locks: a lease whose keys ride on an etcd lease with keep-alive (re-granted, keys
 * re-written, after it is lost), and a lock that is a lease plus a create-if-absent transaction.
 */
import { EventEmitter } from 'node:events';
import type { Lease as EtcdLeaseHandle } from 'etcd3';
import { AbortedError, ShoalError, errorMessage } from '../common/errors.js';
import { backoffDelay, sleep } from '../common/backoff.js';
import { KeptLease } from './kept-lease.js';
import type { Lock, LockEvents } from './store.js';
import type { EtcdStore } from './etcd.js';
import { etcdError } from './etcd-error.js';

export class EtcdLease extends KeptLease {
  private current: { handle: EtcdLeaseHandle; id: string } | undefined;
  private released = false;

  constructor(private readonly store: EtcdStore, readonly ttlMs: number) {
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
  private current: { handle: EtcdLeaseHandle; id: string } | undefined;
  private released = false;

  constructor(private readonly store: EtcdStore, readonly key: string, private readonly ttlMs: number) {
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
    for (let failures = 0; ;) {
      if (signal?.aborted) throw new AbortedError(`etcd lock ${this.key}: aborted`);
      try {
        this.current ??= await this.store.grant(this.ttlMs, this.onLost);
        const id = this.current.id;
        const res = await this.store.op('lock', () => client.if(full, 'Create', '==', 0).then(client.put(full).value(value).lease(id)).commit());
        if (res.succeeded) {
          this.held = true;
          return;
        }
        await this.store.waitForDelete(full, Number(res.header.revision), this.ttlMs * 2, signal);
        failures = 0;
      } catch (err) {
        if (!(err instanceof ShoalError && err.recoverable)) throw err;
        await sleep(backoffDelay(failures++, { initialMs: 200, maxMs: 5000 }), signal).catch(() => {});
      }
    }
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

