import { exprMatches, formatExpr, type Expr } from '../expr.js';
import type { NodeSnapshot } from '../node.js';
import type { Filter } from './filter.js';

/** `node` names the node by name, ID or address; any other key is a label or pseudo-label. */
export function nodeValues(e: Expr, n: NodeSnapshot): string[] {
  if (e.key === 'node') return [n.name, n.id, n.addr, n.addr.replace(/:\d+$/, '')];
  const v = n.labels[e.key];
  return v === undefined ? [] : [v];
}

export function nodeMatches(e: Expr, n: NodeSnapshot): boolean {
  return exprMatches(e, nodeValues(e, n));
}

/** Keep nodes whose labels satisfy every constraint. */
export const constraint: Filter = {
  name: 'constraint',
  conditions: (req) => req.constraints.map((e) => `${e.key}${e.op}${e.value}`),
  apply(req, nodes, soft) {
    let out = [...nodes];
    for (const e of req.constraints) {
      if (e.soft && !soft) continue;
      out = out.filter((n) => nodeMatches(e, n));
      if (out.length === 0) return { ok: false, reason: `constraint ${formatExpr(e)}` };
    }
    return { ok: true, nodes: out };
  },
};
