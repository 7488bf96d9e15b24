/**
 * At most `limit` jobs at once per key (the orchestrator's engine calls per node), the rest started in the order
 * they came as earlier ones end. Fifty task containers created and started at once on one dockerd make it answer
 * its health checks too late, and the node looks down; a few at a time finish sooner.
 */
export class KeyedLimiter {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  async run<T>(key: string, job: () => Promise<T>): Promise<T> {
    await this.acquire(key);
    try {
      return await job();
    } finally {
      this.release(key);
    }
  }

  /** Jobs running and queued for `key`. */
  load(key: string): { active: number; waiting: number } {
    return { active: this.active.get(key) ?? 0, waiting: this.waiting.get(key)?.length ?? 0 };
  }

  private acquire(key: string): Promise<void> {
    const n = this.active.get(key) ?? 0;
    if (n < this.limit) {
      this.active.set(key, n + 1);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const q = this.waiting.get(key);
      if (q) q.push(resolve);
      else this.waiting.set(key, [resolve]);
    });
  }

  private release(key: string): void {
    const q = this.waiting.get(key);
    const next = q?.shift();
    if (q && q.length === 0) this.waiting.delete(key);
    // the slot passes straight to the next waiter
    if (next) return next();
    const n = (this.active.get(key) ?? 1) - 1;
    if (n > 0) this.active.set(key, n);
    else this.active.delete(key);
  }
}
