/**
 * What every backend shares around its wire mapping: the leases and locks it must release on close, the
 * connection-state events (`connected` once, then `lost` and `restored`, each on a transition only), and the
 * one watch loop: read a snapshot, wait for a change, read again; after a failure, back off and read from
 * scratch. A backend feeds the loop its own `WatchWire` (how to read, how to wait) and closes its client.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { errorMessage } from '../common/errors.js';
import { silentLogger } from '../common/log.js';
import { retry } from '../common/retry.js';
import type { BackoffOptions } from '../common/backoff.js';
import { snapshotStream, type Producer } from './snapshot-stream.js';
import type { Lease, Lock, LockOptions, Snapshot, StoreState, StoreStateEvents, WatchOptions } from './store.js';

export interface Releasable {
  release(): Promise<void>;
}

/** All a lease or lock asks of the store's bookkeeping: to be forgotten once it is released. */
export interface Owner {
  untrack(o: Releasable): void;
}

/** How one backend reads a prefix and waits for it to change; `C` is where to read or wait from. */
export interface WatchWire<C> {
  /** Read the prefix (from scratch when `cursor` is undefined): the snapshot, when it changed, and the cursor. */
  read(cursor: C | undefined, signal: AbortSignal): Promise<{ snapshot?: Snapshot | undefined; cursor: C }>;
  /** Wait until the prefix may have changed; the cursor of the next read (undefined: from scratch). */
  wait(cursor: C, signal: AbortSignal, push: (s: Snapshot) => void): Promise<C | undefined>;
  /** Whether a failure means that the store is unreachable (default: every failure does). */
  isOutage?(err: unknown): boolean;
}

/** The state a store moves to when it answers (`up`) or does not, from `state`; undefined: no change. Pure. */
export function nextState(state: StoreState | undefined, up: boolean): StoreState | undefined {
  if (!up) return state === 'lost' ? undefined : 'lost';
  if (state === undefined) return 'connected';
  return state === 'lost' ? 'restored' : undefined;
}

export abstract class StoreBase extends EventEmitter<StoreStateEvents> implements Owner {
  abstract readonly kind: string;
  /** The store's URI as shown to people (never with credentials). */
  readonly description: string;
  /** The agent's logger with the store's description on every line. */
  readonly log: Logger;
  /** Aborted by close(), after the leases and locks are released: cancels calls and watches. */
  protected readonly closing = new AbortController();
  /** True from the start of close(). */
  protected closed = false;
  private readonly owned = new Set<Releasable>();
  private state: StoreState | undefined;

  constructor(description: string, logger: Logger | undefined) {
    super();
    this.description = description;
    this.log = (logger ?? silentLogger()).child({ store: description });
  }

  /** Close the backend's client (the last step of close()). */
  protected abstract closeWire(): void | Promise<void>;

  track<T extends Releasable>(o: T): T {
    this.owned.add(o);
    return o;
  }

  untrack(o: Releasable): void {
    this.owned.delete(o);
  }

  /** The backend's lease, ready for keys; `lease()` tracks it, to release it on close. */
  protected abstract newLease(ttlMs: number): Lease | Promise<Lease>;

  /** The backend's lock, acquired (see `acquired`); `lock()` tracks it, to release it on close. */
  protected abstract acquireLock(key: string, value: string, opts: LockOptions): Promise<Lock>;

  async lease(ttlMs: number): Promise<Lease> {
    return this.track(await this.newLease(ttlMs));
  }

  async lock(key: string, value: string, opts: LockOptions): Promise<Lock> {
    return this.track(await this.acquireLock(key, value, opts));
  }

  /** `lock` once acquired; a failed acquire releases it (quietly) and rethrows. */
  protected async acquired<T extends Releasable & { acquire(value: string, signal?: AbortSignal): Promise<void> }>(
    lock: T,
    value: string,
    signal?: AbortSignal,
  ): Promise<T> {
    try {
      await lock.acquire(value, signal);
    } catch (err) {
      await lock.release().catch(() => {});
      throw err;
    }
    return lock;
  }

  /** The store answered (`up`) or could not be reached; emits a state event when that is news. */
  setConnected(up: boolean, err?: unknown): void {
    const next = nextState(this.state, up);
    if (next === undefined) return;
    this.state = next;
    if (next === 'lost') this.log.warn({ err: err && errorMessage(err) }, `${this.kind} store unreachable`);
    this.emit('state', next);
  }

  /** `Store.watch` over a backend's wire: survives outages, re-reads from scratch after each failure. */
  protected watchWith<C>(wire: WatchWire<C>, opts: WatchOptions, backoff: BackoffOptions): AsyncIterable<Snapshot> {
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.closing.signal]) : this.closing.signal;
    const producer: Producer = (push, stop) => this.watchLoop(wire, push, stop, backoff);
    return snapshotStream(producer, { signal, coalesceMs: opts.coalesceMs });
  }

  private async watchLoop<C>(
    wire: WatchWire<C>,
    push: (s: Snapshot) => void,
    stop: AbortSignal,
    backoff: BackoffOptions,
  ): Promise<void> {
    const loop = async (progress: () => void): Promise<void> => {
      let cursor: C | undefined;
      while (!stop.aborted) {
        const { snapshot, cursor: at } = await wire.read(cursor, stop);
        this.setConnected(true);
        progress();
        if (snapshot) push(snapshot);
        cursor = await wire.wait(at, stop, push);
      }
    };
    const onRetry = (err: unknown, attempt: number, retryInMs: number) => {
      if (wire.isOutage?.(err) ?? true) this.setConnected(false, err);
      this.log.warn({ err: errorMessage(err), attempt, retryInMs }, `${this.kind} watch failed; reading again`);
    };
    // keeps the last snapshot while failing; ends (rejects) only once the watch is stopped
    const opts = { ...backoff, signal: stop, what: `${this.kind} watch`, isRetryable: () => true, onRetry };
    await retry(loop, opts).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.owned].map((o) => o.release().catch(() => {})));
    this.closing.abort();
    await this.closeWire();
  }
}
