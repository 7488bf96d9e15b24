/**
 * Placement given to calls that have no create body (pull, import, load, build): constraint expressions
 * from `?constraint=` (repeatable) and the X-Shoal-Constraint header, which the unmodified docker CLI sends
 * when its config.json names it under `HttpHeaders`. The engine never sees them.
 */
import { CONSTRAINT_HEADER, parseConstraints } from '../scheduler/targets.js';
import type { Expr } from '../scheduler/expr.js';
import { ApiError } from './http.js';
import type { Ctx } from './context.js';

/** The request's constraint expressions; a malformed one is a 400 naming it. */
export function requestConstraints(ctx: Ctx): Expr[] {
  const header = ctx.req.headers[CONSTRAINT_HEADER];
  const texts = [
    ...ctx.url.searchParams.getAll('constraint'),
    ...(Array.isArray(header) ? header : header ? [header] : []),
  ];
  try {
    return parseConstraints(texts);
  } catch (err) {
    throw new ApiError(400, (err as Error).message);
  }
}

/** The query the engine gets: the client's, without the manager's `constraint` parameters. */
export function engineParams(url: URL): URLSearchParams {
  const q = new URLSearchParams(url.searchParams);
  q.delete('constraint');
  return q;
}
