/**
 * The joiner's I/O shell: every heartbeat, ping the local engine and keep `<addr>` = `<addr>` on a lease
 * while it answers, delete it while it does not. Store errors are logged and retried at the next beat (sooner
 * with backoff); the lease re-creates itself after an outage. On shutdown the key is removed.
 */
import type { Logger } from '../common/log.js';
import { backoffDelay, sleep } from '../common/backoff.js';
import { errorMessage } from '../common/errors.js';
import type { Lease, Store } from '../store/store.js';
import { joinStep } from './decide.js';

export interface JoinerOptions {
  key: string;
  value: string;
  heartbeatMs: number;
  ttlMs: number;
  /** Resolves when the local engine answers; undefined: do not check. */
  ping: (() => Promise<void>) | undefined;
}

export class Joiner {
  private lease: Lease | undefined;
  private advertised = false;
  readonly stats = { beats: 0, advertised: 0, withdrawn: 0, errors: 0 };
  /** Did the last heartbeat reach the store? undefined before the first one. */
  lastBeatOk: boolean | undefined;
  /** Did the engine answer at the last heartbeat? undefined before the first one. */
  lastEngineUp: boolean | undefined;
  private resolveFirstBeat!: () => void;
  /** Resolves after the first heartbeat that reached the store (key written, or withdrawn/left absent). */
  readonly firstBeat = new Promise<void>((resolve) => (this.resolveFirstBeat = resolve));

  constructor(private readonly store: Store, private readonly opts: JoinerOptions, private readonly log: Logger) {}

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
  async beat(): Promise<void> {
    this.stats.beats += 1;
    const up = await this.engineUp();
    this.lastEngineUp = up;
    const action = joinStep(this.advertised, up);
    if (action === 'advertise' || action === 'refresh') {
      this.lease ??= await this.store.lease(this.opts.ttlMs);
      await this.lease.put(this.opts.key, this.opts.value);
      if (!this.advertised) {
        this.stats.advertised += 1;
        this.log.info({ key: this.opts.key }, 'engine answers: advertised');
      }
      this.advertised = true;
    } else if (action === 'withdraw') {
      if (this.lease) await this.lease.delete(this.opts.key);
      else await this.store.delete(this.opts.key);
      this.advertised = false;
      this.stats.withdrawn += 1;
      this.log.warn({ key: this.opts.key }, 'engine does not answer: withdrawn');
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let wait = this.opts.heartbeatMs;
      try {
        await this.beat();
        this.resolveFirstBeat();
        failures = 0;
        this.lastBeatOk = true;
      } catch (err) {
        if (signal.aborted) break;
        this.stats.errors += 1;
        this.lastBeatOk = false;
        wait = Math.min(this.opts.heartbeatMs, backoffDelay(failures, { initialMs: 250, maxMs: this.opts.heartbeatMs }));
        failures += 1;
        this.log.warn({ err: errorMessage(err), retryInMs: wait }, 'heartbeat failed');
      }
      await sleep(wait, signal).catch(() => undefined);
    }
    await this.withdrawOnExit();
  }

  private async withdrawOnExit(): Promise<void> {
    try {
      if (this.lease) await this.lease.release();
      else if (this.advertised) await this.store.delete(this.opts.key);
      this.log.info({ key: this.opts.key }, 'key removed on shutdown');
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'could not remove the key on shutdown; it expires with the TTL');
    }
  }
}
