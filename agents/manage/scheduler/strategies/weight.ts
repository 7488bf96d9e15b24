/**
 * The one scorer spread and binpack share (classic Swarm's weighted node): the share of CPU and memory the
 * node would have reserved after this container, in percent, summed. Nodes that cannot fit it are dropped.
 */
import type { NodeSnapshot } from '../node.js';
import type { PlacementRequest } from '../request.js';

export interface Weighted {
  node: NodeSnapshot;
  weight: number;
}

export class NoResourcesError extends Error {
  readonly code = 'SHOAL_MANAGE_NO_RESOURCES';
  constructor(req: PlacementRequest) {
    super(`no node has enough free resources (${req.cpus} CPUs, ${req.memory} bytes of memory requested)`);
  }
}

export function weigh(req: PlacementRequest, nodes: readonly NodeSnapshot[], overcommit: number): Weighted[] {
  const out: Weighted[] = [];
  for (const node of nodes) {
    const totalCpus = node.cpus * (1 + overcommit);
    const totalMemory = node.memory * (1 + overcommit);
    if (totalCpus < req.cpus || totalMemory < req.memory) continue;
    const cpu = req.cpus > 0 ? ((node.reservedCpus + req.cpus) * 100) / totalCpus : 100;
    const mem = req.memory > 0 ? ((node.reservedMemory + req.memory) * 100) / totalMemory : 100;
    if (cpu > 100 || mem > 100) continue;
    out.push({ node, weight: cpu + mem });
  }
  return out;
}

/**
 * Classic Swarm adds ten times the node's health score (0..100) to its load (two shares, 0..200 together), so
 * a node that just failed to answer ranks below one that answered unless it is much less loaded.
 */
export const HEALTH_FACTOR = 10;

const score = (n: NodeSnapshot) => n.healthScore ?? 100;

/**
 * Sort by weight (`dir` 1: lightest first) less the health bonus, ties broken by container count in the same
 * direction.
 */
export function order(list: Weighted[], dir: 1 | -1): NodeSnapshot[] {
  return [...list]
    .sort(
      (a, b) =>
        dir * (a.weight - b.weight) + HEALTH_FACTOR * (score(b.node) - score(a.node)) ||
        dir * (a.node.containers.length - b.node.containers.length),
    )
    .map((w) => w.node);
}
