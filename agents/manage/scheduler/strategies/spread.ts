import type { Strategy } from './strategy.js';
import { order, weigh } from './weight.js';

/** The least loaded node first; with equal load, the one with the fewest containers. */
export const spread: Strategy = {
  name: 'spread',
  rank: (req, nodes, opts) => order(weigh(req, nodes, opts.overcommit), 1),
};
