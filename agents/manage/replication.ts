/**
 * Replication: managers sharing a store elect a primary with the store's lock at `docker/swarm/leader`
 * (under the discovery prefix; holding the primary's advertised address). A replica keeps its own view of
 * the cluster (ready to take over) and proxies every request but /_ping and /info to the primary.
 */
import type { Logger } from '../common/log.js';
import { sleep } from '../common/backoff.js';
import { retry } from '../common/retry.js';
import type { Store } from '../store/store.js';

export const LEADER_KEY = 'docker/swarm/leader';

export class Replication {
  role: 'primary' | 'replica' = 'replica';
  primary: string | undefined;
  private readonly ac = new AbortController();
  private done: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly advertise: string,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.done = Promise.all([this.campaign(), this.follow()]).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.done;
  }

  private async campaign(): Promise<void> {
    const signal = this.ac.signal;
    const terms = async (progress: () => void): Promise<void> => {
      while (!signal.aborted) {
        const lock = await this.store.lock(LEADER_KEY, this.advertise, { ttlMs: this.ttlMs, signal });
        progress();
        this.role = 'primary';
        this.primary = this.advertise;
        this.log.info({ advertise: this.advertise }, 'elected primary');
        await new Promise<void>((resolve) => {
          lock.once('lost', () => resolve());
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
        this.role = 'replica';
        this.primary = undefined;
        if (signal.aborted) return void (await lock.release().catch(() => {}));
        this.log.warn('primary lock lost; back to replica');
      }
    };
    const opts = { signal, initialMs: 250, log: this.log, what: 'leader election', isRetryable: () => true };
    await retry(terms, opts).catch(() => {});
  }

  /** While a replica, keep the primary's address current. */
  private async follow(): Promise<void> {
    const signal = this.ac.signal;
    while (!signal.aborted) {
      if (this.role === 'replica') {
        try {
          const v = await this.store.get(LEADER_KEY);
          if (this.role === 'replica') this.primary = v && v !== this.advertise ? v : undefined;
        } catch {
          // keep the last known primary; the store may be briefly away
        }
      }
      await sleep(Math.min(1000, this.ttlMs / 4), signal).catch(() => {});
    }
  }
}
