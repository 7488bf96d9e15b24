/**
 * Placement: run the filters in order, then rank what is left with the strategy. Soft expressions are
 * tried first as if hard; when that leaves nothing, they are dropped and the filters run again. A failed
 * placement names the filter that emptied the list and why. Pure: no I/O, randomness injected.
 */
import { ShoalError } from '../../common/errors.js';
import type { NodeSnapshot } from './node.js';
import type { PlacementRequest } from './request.js';
import type { Filter } from './filters/index.js';
import type { Strategy } from './strategies/index.js';
import { NoResourcesError, weigh } from './strategies/weight.js';

export interface SchedulerOptions {
  filters: readonly Filter[];
  strategy: Strategy;
  overcommit?: number;
  random?: () => number;
}

export class PlacementError extends ShoalError {
  readonly filter: string;
  readonly reason: string;
  readonly applied: string[];
  readonly conditions: string[];
  constructor(filter: string, reason: string, applied: string[], conditions: string[] = [reason]) {
    super(
      'SHOAL_MANAGE_NO_NODE',
      `unable to find a node that satisfies the following conditions [${conditions.join(', ')}]: ${reason} (filter ${filter} left no node; filters applied: ${applied.join(', ')})`,
    );
    this.filter = filter;
    this.reason = reason;
    this.applied = applied;
    this.conditions = conditions;
  }
}

function hasSoft(req: PlacementRequest): boolean {
  return [...req.constraints, ...req.affinities, ...req.whitelists].some((e) => e.soft);
}

function runFilters(req: PlacementRequest, nodes: readonly NodeSnapshot[], filters: readonly Filter[], soft: boolean): NodeSnapshot[] {
  const applied = filters.map((f) => f.name);
  const conditions = filters.flatMap((f) => f.conditions(req));
  let current = [...nodes];
  if (current.length === 0) throw new PlacementError('none', 'no node in the cluster', applied, conditions);
  for (const f of filters) {
    const out = f.apply(req, current, soft);
    if (!out.ok) throw new PlacementError(f.name, out.reason, applied, conditions);
    if (out.nodes.length === 0) throw new PlacementError(f.name, f.name, applied, conditions);
    current = out.nodes;
  }
  return current;
}

/** The filtered nodes, soft expressions honoured when possible. */
export function filterNodes(req: PlacementRequest, nodes: readonly NodeSnapshot[], filters: readonly Filter[]): NodeSnapshot[] {
  try {
    return runFilters(req, nodes, filters, true);
  } catch (err) {
    if (!(err instanceof PlacementError) || !hasSoft(req)) throw err;
    return runFilters(req, nodes, filters, false);
  }
}

/** Candidate nodes, best first. Throws PlacementError when none fits. */
export function schedule(req: PlacementRequest, nodes: readonly NodeSnapshot[], opts: SchedulerOptions): NodeSnapshot[] {
  const filtered = filterNodes(req, nodes, opts.filters);
  const ranked = opts.strategy.rank(req, filtered, { overcommit: opts.overcommit ?? 0, random: opts.random ?? Math.random });
  if (ranked.length === 0) throw new PlacementError('resources', new NoResourcesError(req).message, [...opts.filters.map((f) => f.name), `strategy ${opts.strategy.name}`]);
  return ranked;
}

/** Global placement: every node that passes the filters and fits the resources, by name. */
export function scheduleGlobal(req: PlacementRequest, nodes: readonly NodeSnapshot[], opts: SchedulerOptions): NodeSnapshot[] {
  const filtered = filterNodes(req, nodes, opts.filters);
  const fit = weigh(req, filtered, opts.overcommit ?? 0).map((w) => w.node);
  if (fit.length === 0) throw new PlacementError('resources', new NoResourcesError(req).message, opts.filters.map((f) => f.name));
  return fit.sort((a, b) => a.name.localeCompare(b.name) || a.addr.localeCompare(b.addr));
}
