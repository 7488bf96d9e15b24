import type { Strategy } from './strategy.js';
import { weigh } from './weight.js';

/** Any node that fits, in random order (Fisher-Yates over the injected random source). */
export const random: Strategy = {
  name: 'random',
  rank(req, nodes, opts) {
    const out = weigh(req, nodes, opts.overcommit).map((w) => w.node);
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(opts.random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  },
};
