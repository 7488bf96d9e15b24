/**
 * The containers waiting for a sync, each with the decision its latest event settled (die, destroy: no
 * inspect needed) or none (inspect it). A container being synced is not handed out again until it is done;
 * an event for it meanwhile keeps it waiting here, so its later state is synced after.
 */
import type { Decision } from './decide.js';

export class DirtySet {
  private readonly waiting = new Map<string, Decision | undefined>();
  private readonly inFlight = new Set<string>();

  get size(): number {
    return this.waiting.size;
  }

  /** The latest event wins: a `start` after a `die` drops the settled decision. */
  mark(id: string, settled?: Decision): void {
    this.waiting.delete(id); // keep arrival order
    this.waiting.set(id, settled);
  }

  /** The oldest waiting container not being synced, now in flight. */
  take(): [string, Decision | undefined] | undefined {
    for (const [id, known] of this.waiting) {
      if (this.inFlight.has(id)) continue;
      this.waiting.delete(id);
      this.inFlight.add(id);
      return [id, known];
    }
    return undefined;
  }

  /** Its sync ended; `retry`: it failed, so it waits again (to be inspected) unless a newer event is there. */
  done(id: string, retry = false): void {
    this.inFlight.delete(id);
    if (retry && !this.waiting.has(id)) this.waiting.set(id, undefined);
  }
}
