/** One filter: a pure function of (request, nodes) that keeps the nodes able to run the container. */
import type { NodeSnapshot } from '../node.js';
import type { PlacementRequest } from '../request.js';

export type FilterOutcome = { ok: true; nodes: NodeSnapshot[] } | { ok: false; reason: string };

export interface Filter {
  readonly name: string;
  /** `soft`: soft expressions count as hard ones (the first attempt); otherwise they are ignored. */
  apply(req: PlacementRequest, nodes: readonly NodeSnapshot[], soft: boolean): FilterOutcome;
  /** What this filter asks of a node for this request, in classic Swarm's words (a failed placement's message). */
  conditions(req: PlacementRequest): string[];
}

export function keep(nodes: NodeSnapshot[], reason: () => string): FilterOutcome {
  return nodes.length > 0 ? { ok: true, nodes } : { ok: false, reason: reason() };
}
