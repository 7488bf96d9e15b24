/**
 * `GET /containers/json` as classic Swarm reads it: a positive `limit` (ps -n N) or `latest` (ps -l) implies
 * `all`; `node` and `is-task` are the manager's own filters (is-task: has the com.docker.swarm.task label);
 * the engines get the rest, with `all` set and no limit (the manager merges, then cuts). Pure.
 */
import type { ContainerSummary } from '../../docker/wire.js';
import { ApiError } from './http.js';

export const TASK_LABEL = 'com.docker.swarm.task';

export interface PsQuery {
  all: boolean;
  /** 0: no limit; `latest` is a limit of 1. */
  limit: number;
  nodes: string[];
  isTask: boolean | undefined;
  /** Filters for the engines (node and is-task removed). */
  filters: Record<string, string[]>;
  /** The query string for the engines. */
  engine: URLSearchParams;
}

const truthy = (v: string | null) => v === '1' || v === 'true';

function isTaskValue(values: string[] | undefined): boolean | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const set = new Set(values);
  if (set.size > 1) throw new ApiError(400, `Invalid filter 'is-task=${values.join(',')}'`);
  const v = values[0] as string;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ApiError(400, `Invalid filter 'is-task=${v}'`);
}

export function psQuery(params: URLSearchParams, filters: Record<string, string[]>): PsQuery {
  const { node = [], 'is-task': isTask, ...rest } = filters;
  const latest = truthy(params.get('latest'));
  const n = Number(params.get('limit') ?? 0);
  const limit = latest ? 1 : Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
  const all = truthy(params.get('all')) || limit > 0;
  const engine = new URLSearchParams(params);
  for (const k of ['filters', 'limit', 'latest', 'all']) engine.delete(k);
  if (all) engine.set('all', '1');
  if (Object.keys(rest).length > 0) engine.set('filters', JSON.stringify(rest));
  return { all, limit, nodes: node, isTask: isTaskValue(isTask), filters: rest, engine };
}

/** The is-task filter on one summary (classic Swarm: by the presence of the task label). */
export function taskMatches(c: ContainerSummary, isTask: boolean | undefined): boolean {
  return isTask === undefined || (c.Labels?.[TASK_LABEL] !== undefined) === isTask;
}
