/**
 * Task history retention: per slot (per node for global services) at most `limit` tasks are kept, newest
 * first; a task still active or still stopping is never dropped. Swarm's default limit is 5.
 */
import { isTerminal, type TaskRecord } from './model.js';

export const TASK_HISTORY_LIMIT = 5;

export function slotKey(t: Pick<TaskRecord, 'serviceId' | 'slot' | 'nodeId'>): string {
  return t.slot > 0 ? `${t.serviceId}/${t.slot}` : `${t.serviceId}/n/${t.nodeId ?? ''}`;
}

export function newestFirst(a: TaskRecord, b: TaskRecord): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** The records to drop from one slot's tasks. */
export function pruneSlot(tasks: readonly TaskRecord[], limit = TASK_HISTORY_LIMIT): TaskRecord[] {
  if (tasks.length <= limit) return [];
  const sorted = [...tasks].sort(newestFirst);
  const drop: TaskRecord[] = [];
  let kept = 0;
  for (const t of sorted) {
    const done = isTerminal(t.state) && t.desiredState !== 'running' && t.desiredState !== 'ready' && !t.final;
    if (!done || kept < limit) kept++;
    else drop.push(t);
  }
  return drop;
}
