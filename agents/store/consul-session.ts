/**
 * Consul sessions at work: a keeper that renews one, the lease whose keys ride on it (re-created, keys
 * re-written, after the session is lost), and the lock that acquires a key with it.
 */
import { EventEmitter } from 'node:events';
import { AbortedError, ShoalError, StoreError, errorMessage } from '../common/errors.js';
import { backoffDelay, sleep } from '../common/backoff.js';
import { KeptLease } from './kept-lease.js';
import type { Lock, LockEvents } from './store.js';
import type { ConsulStore } from './consul.js';
import { nextConsulIndex } from './consul-index.js';

/**
 * Keeps a session alive. It renews every ttlMs/6: the session TTL is ttlMs/2 and Consul invalidates only
 * after 2x TTL, so keys vanish about ttlMs after the last renewal, and three renewals fit in each session
 * TTL. When Consul says the session is gone, `onGone` runs; outages are retried with jittered backoff.
 */
class SessionKeeper {
  private readonly ac = new AbortController();
  constructor(private readonly store: ConsulStore, public id: string, private readonly ttlMs: number, private readonly onGone: () => Promise<void>) {
    void this.loop();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.ac.signal.aborted) {
      const wait = failures === 0 ? this.ttlMs / 6 : Math.min(backoffDelay(failures - 1, { initialMs: 100, maxMs: 2000 }), this.ttlMs / 6);
      await sleep(wait, this.ac.signal).catch(() => {});
      if (this.ac.signal.aborted) return;
      try {
        if (!(await this.store.renewSession(this.id))) await this.onGone();
        failures = 0;
      } catch (err) {
        failures++;
        this.store.log.warn({ err: errorMessage(err) }, 'consul session renewal failed; retrying');
      }
    }
  }

  stop(): void {
    this.ac.abort();
  }

  get stopped(): boolean {
    return this.ac.signal.aborted;
  }
}

export class ConsulLease extends KeptLease {
  private readonly keeper: SessionKeeper;

  constructor(private readonly store: ConsulStore, readonly ttlMs: number, session: string) {
    super();
    this.keeper = new SessionKeeper(store, session, ttlMs, () => this.restore(new StoreError('consul session expired; re-creating it')));
  }

  protected get ended(): boolean {
    return this.keeper.stopped;
  }

  protected checkKey(key: string): void {
    this.store.fullKey(key);
  }

  protected async write(key: string, value: string): Promise<void> {
    if (!(await this.store.set(key, value, { acquire: this.keeper.id }))) throw new StoreError(`consul lease put ${key}: the key is held by another session`, undefined, false);
  }

  protected async remove(key: string): Promise<void> {
    await this.store.delete(key);
  }

  protected stopKeeping(): void {
    this.keeper.stop();
    this.store.untrack(this);
  }

  /** The session expired (e.g. during an outage): make a new one. */
  protected override async renewOwner(): Promise<void> {
    this.keeper.id = await this.store.createSession(this.ttlMs, 'shoal-lease');
  }

  protected override async dropOwner(): Promise<void> {
    await this.store.destroySession(this.keeper.id).catch(() => {});
  }

  protected override restoreFailed(err: unknown, attempt: number): void {
    this.store.log.warn({ err: errorMessage(err), attempt }, 'consul lease restore failed; retrying');
  }
}

export class ConsulLock extends EventEmitter<LockEvents> implements Lock {
  held = false;
  private readonly keeper: SessionKeeper;

  constructor(private readonly store: ConsulStore, readonly key: string, private readonly ttlMs: number, session: string) {
    super();
    this.keeper = new SessionKeeper(store, session, ttlMs, () => this.gone());
  }

  private async gone(): Promise<void> {
    if (this.held) {
      this.held = false;
      this.keeper.stop();
      this.emit('lost', new StoreError(`consul lock ${this.key}: session expired`));
    } else {
      this.keeper.id = await this.store.createSession(this.ttlMs, 'shoal-lock'); // still waiting: start over
    }
  }

  /** Try to acquire; while someone else holds the key, block on it until it is released or deleted. */
  async acquire(value: string, signal?: AbortSignal): Promise<void> {
    for (let failures = 0; ;) {
      if (signal?.aborted) throw new AbortedError(`consul lock ${this.key}: aborted`);
      try {
        if (await this.store.set(this.key, value, { acquire: this.keeper.id })) {
          this.held = true;
          return;
        }
        let index = 0;
        for (;;) {
          const { body, index: got } = await this.store.getEntry(this.key, { index, signal });
          if (!body?.Session) break;
          index = nextConsulIndex(index, got).index;
        }
        failures = 0;
      } catch (err) {
        if (signal?.aborted || err instanceof AbortedError) throw new AbortedError(`consul lock ${this.key}: aborted`);
        if (!(err instanceof ShoalError && err.recoverable)) throw err;
        await sleep(backoffDelay(failures++, { initialMs: 200, maxMs: 5000 }), signal).catch(() => {});
      }
    }
  }

  async release(): Promise<void> {
    if (this.keeper.stopped && !this.held) return;
    const wasHeld = this.held;
    this.held = false;
    this.keeper.stop();
    this.store.untrack(this);
    if (wasHeld) await this.store.delete(this.key).catch(() => {});
    await this.store.destroySession(this.keeper.id).catch(() => {});
  }
}
