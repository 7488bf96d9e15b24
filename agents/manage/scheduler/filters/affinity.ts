import { exprMatches, formatExpr, type Expr } from '../expr.js';
import type { NodeSnapshot } from '../node.js';
import type { Filter } from './filter.js';

/** Every string an `image` affinity may name on this node: IDs (full, short, unprefixed), tags, repositories. */
export function imageNames(n: NodeSnapshot): string[] {
  const out: string[] = [];
  for (const img of n.images) {
    const bare = img.id.replace(/^sha256:/, '');
    out.push(img.id, bare, bare.slice(0, 12));
    for (const tag of img.repoTags) {
      if (tag === '<none>:<none>') continue;
      out.push(tag);
      const i = tag.lastIndexOf(':');
      if (i > tag.lastIndexOf('/')) out.push(tag.slice(0, i));
    }
  }
  return out;
}

function candidates(e: Expr, n: NodeSnapshot): string[] {
  if (e.key === 'container') return n.containers.flatMap((c) => [...c.names, c.id, c.id.slice(0, 12)]);
  if (e.key === 'image') return imageNames(n);
  const out: string[] = [];
  for (const c of n.containers) {
    const v = c.labels[e.key];
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Place next to (or away from) containers by ID/name, images by ID/name/tag, or container labels. */
export const affinity: Filter = {
  name: 'affinity',
  conditions: (req) => req.affinities.map((e) => `${e.key}${e.op}${e.value} (soft=${e.soft})`),
  apply(req, nodes, soft) {
    let out = [...nodes];
    for (const e of req.affinities) {
      if (e.soft && !soft) continue;
      out = out.filter((n) => exprMatches(e, candidates(e, n)));
      if (out.length === 0) return { ok: false, reason: `affinity ${formatExpr(e)}` };
    }
    return { ok: true, nodes: out };
  },
};
