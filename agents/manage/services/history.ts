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

function done(t: TaskRecord): boolean {
  return isTerminal(t.state) && t.desiredState !== 'running' && t.desiredState !== 'ready' && !t.final;
}

/** The records to drop from one slot's tasks: the oldest ended ones beyond `limit` (kept tasks count). */
export function pruneSlot(tasks: readonly TaskRecord[], limit = TASK_HISTORY_LIMIT): TaskRecord[] {
  if (tasks.length <= limit) return [];
  const ended = tasks.filter(done).sort(newestFirst);
  const room = Math.max(0, limit - (tasks.length - ended.length));
  return ended.slice(room);
}
