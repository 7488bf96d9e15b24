/**
 * The joiner's I/O shell: every heartbeat, ping the local engine and write `<addr>` = `<addr>` on a lease while
 * it answers. While it does not, the key is no longer refreshed: it stays until --ttl after the last refresh
 * (managers see the node and mark it unhealthy meanwhile), then goes, as an unrefreshed `swarm join` key did.
 * Store errors are logged and retried at the next beat (sooner, with backoff); the lease re-creates itself
 * after an outage. A refusal that retrying cannot fix (a bad token or password) before any beat reached the
 * store ends run() with that error. On shutdown the key is removed.
 */
import type { Logger } from '../common/log.js';
import { sleep } from '../common/backoff.js';
import { deferred } from '../common/deferred.js';
import { errorMessage } from '../common/errors.js';
import { retry, worthRetrying } from '../common/retry.js';
import type { Lease, Store } from '../store/store.js';
import { joinStep, nextBeatIn, type JoinAction } from './decide.js';

export interface JoinerOptions {
  key: string;
  value: string;
  heartbeatMs: number;
  ttlMs: number;
  /** Resolves when the local engine answers; undefined: do not check. */
  ping: (() => Promise<void>) | undefined;
  /** The clock (a seam for tests). */
  now?: () => number;
  /** The pause between beats (a seam for tests, with `now`); rejects when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export class Joiner {
  private lease: Lease | undefined;
  private advertised = false;
  /** When the key was last written with the engine answering. */
  private refreshedAt: number | undefined;
  private lastAction: JoinAction = 'idle';
  private readonly now: () => number;
  /**
   * beats; advertised: (re-)written after being absent; refreshStopped: the engine stopped answering while
   * advertised; expired: it stayed down for --ttl and the key went; errors: beats that failed to reach the store.
   */
  readonly stats = { beats: 0, advertised: 0, refreshStopped: 0, expired: 0, errors: 0 };
  /** Did the last heartbeat reach the store? undefined before the first one. */
  lastBeatOk: boolean | undefined;
  /** Did the engine answer at the last heartbeat? undefined before the first one. */
  lastEngineUp: boolean | undefined;
  private readonly firstBeatDone = deferred();
  /** Resolves after the first heartbeat that reached the store (key written, or left absent). */
  readonly firstBeat = this.firstBeatDone.promise;

  constructor(
    private readonly store: Store,
    private readonly opts: JoinerOptions,
    private readonly log: Logger,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** The key is advertised but not refreshed because the engine does not answer. */
  get lapsing(): boolean {
    return this.lastAction === 'lapse';
  }

  private async engineUp(): Promise<boolean> {
    if (!this.opts.ping) return true;
    try {
      await this.opts.ping();
      return true;
    } catch (err) {
      this.log.debug({ err: errorMessage(err) }, 'engine ping failed');
      return false;
    }
  }

  /** One heartbeat; throws on store errors. */
  async beat(): Promise<JoinAction> {
    this.stats.beats += 1;
    const up = await this.engineUp();
    this.lastEngineUp = up;
    const now = this.now();
    const action = joinStep({
      advertised: this.advertised,
      engineUp: up,
      now,
      refreshedAt: this.refreshedAt,
      ttlMs: this.opts.ttlMs,
    });
    const was = this.lastAction;
    this.lastAction = action;
    const key = this.opts.key;
    if (action === 'advertise' || action === 'refresh') {
      this.lease ??= await this.store.lease(this.opts.ttlMs);
      await this.lease.put(key, this.opts.value);
      this.refreshedAt = now;
      if (action === 'advertise') {
        this.stats.advertised += 1;
        this.log.info({ key }, 'engine answers: advertised');
      } else if (was === 'lapse') {
        this.log.info({ key }, 'engine answers again: key refreshed before it expired');
      }
      this.advertised = true;
    } else if (action === 'lapse' && was !== 'lapse') {
      this.stats.refreshStopped += 1;
      this.log.warn(
        { key, expiresInMs: this.refreshedAt! + this.opts.ttlMs - now },
        'engine does not answer: key no longer refreshed; it expires with its TTL unless the engine returns',
      );
    } else if (action === 'expire') {
      this.stats.expired += 1;
      this.advertised = false;
      this.refreshedAt = undefined;
      const lease = this.lease;
      this.lease = undefined;
      this.log.warn({ key, ttlMs: this.opts.ttlMs }, 'engine still does not answer: key expired');
      // release stops the keep-alive first: if the delete does not reach the store, the store's TTL removes it
      if (lease) await lease.release();
      else await this.store.delete(key);
    }
    return action;
  }

  async run(signal: AbortSignal): Promise<void> {
    let reached = false;
    const beats = async (progress: () => void): Promise<void> => {
      while (!signal.aborted) {
        const action = await this.beat();
        const wait = nextBeatIn(action, this.opts.heartbeatMs, this.now(), this.refreshedAt, this.opts.ttlMs);
        this.firstBeatDone.resolve();
        reached = true;
        progress();
        this.lastBeatOk = true;
        await (this.opts.sleep ?? sleep)(wait, signal).catch(() => undefined);
      }
    };
    const onRetry = (err: unknown, _attempt: number, retryInMs: number) => {
      this.stats.errors += 1;
      this.lastBeatOk = false;
      this.log.warn({ err: errorMessage(err), retryInMs }, 'heartbeat failed');
    };
    const isRetryable = (err: unknown) => reached || worthRetrying(err);
    try {
      const backoff = { initialMs: 250, maxMs: this.opts.heartbeatMs };
      await retry(beats, { ...backoff, signal, what: 'heartbeat', isRetryable, onRetry });
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      await this.removeOnExit();
    }
  }

  private async removeOnExit(): Promise<void> {
    try {
      if (this.lease) await this.lease.release();
      else if (this.advertised) await this.store.delete(this.opts.key);
      this.log.info({ key: this.opts.key }, 'key removed on shutdown');
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'could not remove the key on shutdown; it expires with the TTL');
    }
  }
}
