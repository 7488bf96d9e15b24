/**
 * Placement for `docker build`, as classic Swarm read it: `--build-arg constraint:node==h1` arrives in the
 * `buildargs` JSON as key `constraint:node`, value `=h1` (the CLI splits at the first `=`), so the expression
 * is the key's tail, `=`, and the value. Those build args are taken out of what the engine gets. Pure.
 */
import { parseExpr, type Expr } from './expr.js';

export class BuildArgsError extends Error {
  readonly code = 'SHOAL_MANAGE_BAD_BUILDARGS';
}

export interface BuildPlacement {
  constraints: Expr[];
  affinities: Expr[];
  /** The buildargs JSON for the engine (undefined: leave the parameter out). */
  buildargs: string | undefined;
}

export function buildPlacement(raw: string | null): BuildPlacement {
  const out: BuildPlacement = { constraints: [], affinities: [], buildargs: undefined };
  if (raw === null || raw === '') return out;
  let args: unknown;
  try {
    args = JSON.parse(raw);
  } catch {
    throw new BuildArgsError('buildargs: expected a JSON object');
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    throw new BuildArgsError('buildargs: expected a JSON object');
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args as Record<string, unknown>)) {
    const m = /^(constraint|affinity):(.*)$/s.exec(k);
    if (!m) {
      rest[k] = v;
      continue;
    }
    const text = typeof v === 'string' ? `${m[2]}=${v}` : (m[2] as string);
    try {
      (m[1] === 'constraint' ? out.constraints : out.affinities).push(parseExpr(text));
    } catch (err) {
      throw new BuildArgsError(`buildargs ${k}: ${(err as Error).message}`);
    }
  }
  out.buildargs = JSON.stringify(rest);
  return out;
}
