/**
 * Min/max quiescence (consul-template's `wait`): after a change, fire once nothing has changed for `minMs`,
 * but at the latest `maxMs` after the first change of the burst. Pure timer logic over an injectable clock.
 */
import type { Wait } from './config.js';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class Debouncer {
  private firstAt: number | undefined;
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly wait: Wait,
    private readonly fire: () => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** A change happened. */
  trigger(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    if (this.firstAt === undefined) this.firstAt = now;
    const deadline = Math.min(now + this.wait.minMs, this.firstAt + this.wait.maxMs);
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    // due now (--wait 0, or the burst reached max): fire at once, not a timer tick (>= 1 ms) later
    if (deadline <= now) this.flush();
    else this.timer = this.clock.setTimeout(() => this.flush(), deadline - now);
  }

  /** True while a burst is waiting to fire. */
  get pending(): boolean {
    return this.firstAt !== undefined;
  }

  private flush(): void {
    this.timer = undefined;
    this.firstAt = undefined;
    if (!this.stopped) this.fire();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.firstAt = undefined;
  }
}
