/**
 * Which node owns an exec instance. Execs created through this manager are remembered (a bounded memory: the
 * oldest are forgotten first); any other (created before a restart, through another manager or straight on an
 * engine) is found by asking the nodes: the healthy ones all at once, then the rest with a short timeout, so
 * that a frozen node never holds up the lookup.
 */
import type { EngineNode } from './node.js';

/** How long a node that is not healthy gets to answer an exec lookup. */
export const UNHEALTHY_LOOKUP_MS = 2000;

export class ExecOwners {
  private readonly owners = new Map<string, string>();

  constructor(private readonly max = 10_000) {}

  get size(): number {
    return this.owners.size;
  }

  remember(execId: string, addr: string): void {
    this.owners.delete(execId); // re-inserted: the most recent again
    this.owners.set(execId, addr);
    for (const oldest of this.owners.keys()) {
      if (this.owners.size <= this.max) break;
      this.owners.delete(oldest);
    }
  }

  /** The owner among `nodes`, or undefined when none has it. */
  async locate(execId: string, nodes: readonly EngineNode[]): Promise<EngineNode | undefined> {
    const addr = this.owners.get(execId);
    const known = addr ? nodes.find((n) => n.addr === addr) : undefined;
    if (known) return known;
    const healthy = nodes.filter((n) => n.health === 'healthy');
    const others = nodes.filter((n) => n.health !== 'healthy');
    const found = (await firstOwner(execId, healthy)) ?? (await firstOwner(execId, others, UNHEALTHY_LOOKUP_MS));
    if (found) this.remember(execId, found.addr);
    return found;
  }
}

/** Ask every node at once; the first that knows the exec wins, without waiting for the others. */
function firstOwner(execId: string, nodes: readonly EngineNode[], timeoutMs?: number): Promise<EngineNode | undefined> {
  if (nodes.length === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let left = nodes.length;
    for (const n of nodes) {
      n.client
        .json('GET', `/exec/${encodeURIComponent(execId)}/json`, undefined, timeoutMs)
        .then(
          (r) => r.status === 200,
          () => false,
        )
        .then((owns) => {
          if (owns) resolve(n);
          else if (--left === 0) resolve(undefined);
        });
    }
  });
}
