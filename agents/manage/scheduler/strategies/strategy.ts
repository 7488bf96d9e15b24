/** A strategy ranks the nodes that passed the filters: best first. */
import type { NodeSnapshot } from '../node.js';
import type { PlacementRequest } from '../request.js';

export interface StrategyOptions {
  /** swarm.overcommit: fraction of CPUs and memory that may be reserved beyond the node's size. */
  overcommit: number;
  random: () => number;
}

export interface Strategy {
  readonly name: string;
  rank(req: PlacementRequest, nodes: readonly NodeSnapshot[], opts: StrategyOptions): NodeSnapshot[];
}
