import { formatExpr } from '../expr.js';
import { nodeMatches } from './constraint.js';
import type { Filter } from './filter.js';

/**
 * `whitelist:node==h1`, `whitelist:node==h2`: the node must satisfy at least ONE whitelist expression
 * (constraints must all hold; a whitelist is the list of acceptable nodes).
 */
export const whitelist: Filter = {
  name: 'whitelist',
  conditions: (req) => req.whitelists.map((e) => `${e.key}${e.op}${e.value} (soft=${e.soft})`),
  apply(req, nodes, soft) {
    const active = req.whitelists.filter((e) => soft || !e.soft);
    if (active.length === 0) return { ok: true, nodes: [...nodes] };
    const out = nodes.filter((n) => active.some((e) => nodeMatches(e, n)));
    return out.length > 0
      ? { ok: true, nodes: out }
      : { ok: false, reason: `whitelist ${active.map(formatExpr).join(' | ')}` };
  },
};
