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

export const NO_RESOURCES = 'no resources available to schedule container';

/**
 * Classic Swarm's words for a failed placement: the health filter's (or the strategy's) own error, else a
 * first line with a trailing space, then one bracketed line per filter up to the one that failed, each the
 * space-separated conditions that filter checked (filters with none print no line). Pure.
 */
export function placementMessage(filter: string, reason: string, lines: readonly (readonly string[])[]): string {
  if (filter === 'health' || filter === 'none') return reason;
  if (filter === 'resources') return NO_RESOURCES;
  const shown = lines.filter((l) => l.length > 0).map((l) => `\n[${l.join(' ')}]`);
  return `Unable to find a node that satisfies the following conditions ${shown.join('')}`;
}

export class PlacementError extends ShoalError {
  readonly filter: string;
  /** Why, in shoal's words (for logs); the message is classic Swarm's. */
  readonly reason: string;
  readonly applied: string[];
  /** The conditions of the filters up to the failed one, in filter order. */
  readonly conditions: string[];
  constructor(filter: string, reason: string, applied: string[], lines: readonly (readonly string[])[] = []) {
    super('SHOAL_MANAGE_NO_NODE', placementMessage(filter, reason, lines));
    this.filter = filter;
    this.reason = reason;
    this.applied = applied;
    this.conditions = lines.flat();
  }
}

function hasSoft(req: PlacementRequest): boolean {
  return [...req.constraints, ...req.affinities, ...req.whitelists].some((e) => e.soft);
}

function runFilters(
  req: PlacementRequest,
  nodes: readonly NodeSnapshot[],
  filters: readonly Filter[],
  soft: boolean,
): NodeSnapshot[] {
  const applied = filters.map((f) => f.name);
  const upTo = (i: number) => filters.slice(0, i + 1).map((f) => f.conditions(req));
  let current = [...nodes];
  if (current.length === 0) throw new PlacementError('none', 'no healthy node available in the cluster', applied);
  for (const [i, f] of filters.entries()) {
    const out = f.apply(req, current, soft);
    if (!out.ok) throw new PlacementError(f.name, out.reason, applied, upTo(i));
    if (out.nodes.length === 0) throw new PlacementError(f.name, f.name, applied, upTo(i));
    current = out.nodes;
  }
  return current;
}

/** The filtered nodes, soft expressions honoured when possible. */
export function filterNodes(
  req: PlacementRequest,
  nodes: readonly NodeSnapshot[],
  filters: readonly Filter[],
): NodeSnapshot[] {
  try {
    return runFilters(req, nodes, filters, true);
  } catch (err) {
    if (!(err instanceof PlacementError) || !hasSoft(req)) throw err;
    return runFilters(req, nodes, filters, false);
  }
}

/** Candidate nodes, best first. Throws PlacementError when none fits. */
export function schedule(
  req: PlacementRequest,
  nodes: readonly NodeSnapshot[],
  opts: SchedulerOptions,
): NodeSnapshot[] {
  const filtered = filterNodes(req, nodes, opts.filters);
  const ranked = opts.strategy.rank(req, filtered, {
    overcommit: opts.overcommit ?? 0,
    random: opts.random ?? Math.random,
  });
  if (ranked.length === 0)
    throw new PlacementError('resources', new NoResourcesError(req).message, [
      ...opts.filters.map((f) => f.name),
      `strategy ${opts.strategy.name}`,
    ]);
  return ranked;
}

/** Global placement: every node that passes the filters and fits the resources, by name. */
export function scheduleGlobal(
  req: PlacementRequest,
  nodes: readonly NodeSnapshot[],
  opts: SchedulerOptions,
): NodeSnapshot[] {
  const filtered = filterNodes(req, nodes, opts.filters);
  const fit = weigh(req, filtered, opts.overcommit ?? 0).map((w) => w.node);
  if (fit.length === 0)
    throw new PlacementError(
      'resources',
      new NoResourcesError(req).message,
      opts.filters.map((f) => f.name),
    );
  return fit.sort((a, b) => a.name.localeCompare(b.name) || a.addr.localeCompare(b.addr));
}
