/**
 * Which nodes an image operation (pull, import, load) goes to: every healthy node, or those the given
 * constraint expressions allow. The expressions come from the API (`?constraint=`, repeatable) or the
 * `X-Shoal-Constraint` header, which the unmodified docker CLI sends when its config.json names it under
 * `HttpHeaders`. Soft (`~`) expressions are dropped when nothing satisfies them, as for create. Pure.
 */
import { ExprError, parseExpr, type Expr } from './expr.js';
import type { NodeSnapshot } from './node.js';
import type { PlacementRequest } from './request.js';
import { filterNodes } from './scheduler.js';
import { constraint } from './filters/constraint.js';
import { health } from './filters/health.js';

export const CONSTRAINT_HEADER = 'x-shoal-constraint';

/**
 * Split a header value into expressions: commas separate them, except inside a `/regex/` value (where a
 * comma may be part of a `{m,n}`). A `constraint:` prefix, as in `-e constraint:...`, is accepted.
 */
export function splitConstraints(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inRegex = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '/' && (inRegex || /(==|!=|=)~?\s*$/.test(cur))) inRegex = !inRegex;
    if (ch === ',' && !inRegex) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim().replace(/^constraint:/, '')).filter((s) => s !== '');
}

/** Parse every given text (query values, header values); ExprError names the bad one. */
export function parseConstraints(texts: readonly string[]): Expr[] {
  return texts.flatMap(splitConstraints).map((s) => {
    try {
      return parseExpr(s);
    } catch (err) {
      throw new ExprError(`constraint: ${(err as Error).message}`);
    }
  });
}

/** A placement request that asks only for where, not for resources, ports or names. */
export function requestOf(constraints: Expr[], affinities: Expr[] = []): PlacementRequest {
  return {
    name: undefined,
    image: '',
    constraints,
    affinities,
    whitelists: [],
    reschedule: [],
    global: false,
    ports: [],
    hostNetwork: false,
    dependencies: [],
    cpus: 0,
    memory: 0,
  };
}

/** The healthy nodes the constraints allow, by name; throws PlacementError (naming the conditions) when none. */
export function imageTargets(nodes: readonly NodeSnapshot[], constraints: Expr[]): NodeSnapshot[] {
  return filterNodes(requestOf(constraints), nodes, [health, constraint]).sort(
    (a, b) => a.name.localeCompare(b.name) || a.addr.localeCompare(b.addr),
  );
}
