import type { Strategy } from './strategy.js';
import { order, weigh } from './weight.js';

/** The fullest node that still fits first; with equal load, the one with the most containers. */
export const binpack: Strategy = {
  name: 'binpack',
  rank: (req, nodes, opts) => order(weigh(req, nodes, opts.overcommit), -1),
};
