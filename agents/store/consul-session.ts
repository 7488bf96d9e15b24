/**
 * Consul sessions at work: a keeper that renews one, the lease whose keys ride on it (re-created, keys
 * re-written, after the session is lost), and the lock that acquires a key with it.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { AbortedError, StoreError, errorMessage, isRecoverable } from '../common/errors.js';
import { sleep } from '../common/backoff.js';
import { retry } from '../common/retry.js';
import { KeptLease } from './kept-lease.js';
import type { Owner } from './base.js';
import type { Lock, LockEvents } from './store.js';
import { nextConsulIndex } from './consul-index.js';

type Held = { Session?: string };

/** What sessions, leases and locks need of the Consul store (ConsulStore implements it). */
export interface SessionApi extends Owner {
  readonly log: Logger;
  /** Validates a logical key (throws StoreKeyError) and maps it. */
  fullKey(key: string): string;
  /** PUT a key; `extra` carries cas/acquire. Consul's true/false answer. */
  set(key: string, value: string, extra?: Record<string, string | number>): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** One key, as a blocking query when `index` > 0. */
  getEntry(key: string, ctl?: { index?: number; signal?: AbortSignal }): Promise<{ body?: Held; index: number }>;
  createSession(ttlMs: number, name: string): Promise<string>;
  /** False when Consul says the session is gone. */
  renewSession(id: string): Promise<boolean>;
  destroySession(id: string): Promise<void>;
}

/**
 * Keeps a session alive. It renews every ttlMs/6: the session TTL is ttlMs/2 and Consul invalidates only
 * after 2x TTL, so keys vanish about ttlMs after the last renewal, and three renewals fit in each session
 * TTL. When Consul says the session is gone, `onGone` runs; outages are retried with jittered backoff.
 */
class SessionKeeper {
  private readonly ac = new AbortController();
  constructor(
    private readonly store: SessionApi,
    public id: string,
    private readonly ttlMs: number,
    private readonly onGone: () => Promise<void>,
  ) {
    void this.loop();
  }

  private async loop(): Promise<void> {
    const signal = this.ac.signal;
    const every = this.ttlMs / 6;
    const renewals = async (progress: () => void): Promise<void> => {
      for (await sleep(every, signal).catch(() => {}); !signal.aborted; await sleep(every, signal).catch(() => {})) {
        if (!(await this.store.renewSession(this.id))) await this.onGone();
        progress();
      }
    };
    const backoff = { initialMs: Math.min(100, every), maxMs: Math.min(2000, every) };
    const opts = { ...backoff, signal, log: this.store.log, what: 'consul session renewal', isRetryable: () => true };
    await retry(renewals, opts).catch(() => {});
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

  constructor(
    private readonly store: SessionApi,
    readonly ttlMs: number,
    session: string,
  ) {
    super();
    this.keeper = new SessionKeeper(store, session, ttlMs, () =>
      this.restore(new StoreError('consul session expired; re-creating it')),
    );
  }

  protected get ended(): boolean {
    return this.keeper.stopped;
  }

  protected checkKey(key: string): void {
    this.store.fullKey(key);
  }

  protected async write(key: string, value: string): Promise<void> {
    if (!(await this.store.set(key, value, { acquire: this.keeper.id })))
      throw new StoreError(`consul lease put ${key}: the key is held by another session`, undefined, false);
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

  constructor(
    private readonly store: SessionApi,
    readonly key: string,
    private readonly ttlMs: number,
    session: string,
    private readonly onWaiting?: () => void,
  ) {
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
    const aborted = () => new AbortedError(`consul lock ${this.key}: aborted`);
    const attempt = async (progress: () => void): Promise<void> => {
      while (!(await this.store.set(this.key, value, { acquire: this.keeper.id }))) {
        this.onWaiting?.();
        let index = 0;
        for (;;) {
          const { body, index: got } = await this.store.getEntry(this.key, { index, signal });
          if (!body?.Session) break;
          index = nextConsulIndex(index, got).index;
        }
        progress();
        if (signal?.aborted) throw aborted();
      }
      this.held = true;
    };
    if (signal?.aborted) throw aborted();
    const opts = { initialMs: 200, maxMs: 5000, signal, what: `consul lock ${this.key}`, isRetryable: isRecoverable };
    await retry(attempt, opts).catch((err) => {
      throw signal?.aborted || err instanceof AbortedError ? aborted() : err;
    });
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
