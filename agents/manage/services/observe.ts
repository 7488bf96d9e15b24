/**
 * A task record brought up to date with its container: the container's state, exit code and health give the
 * task's swarm state. Terminal states stick. A missing container means "not created yet" before `ready` and
 * "gone" after it; nothing is concluded about tasks on nodes that are not up.
 */
import { isTerminal, rank, type ObservedTask, type TaskRecord, type TaskState } from './model.js';

function withState(
  r: TaskRecord,
  state: TaskState,
  message: string,
  at: number,
  extra: Partial<TaskRecord> = {},
): TaskRecord {
  const next: TaskRecord = { ...r, state, message, updatedAt: at, ...extra };
  if (!('err' in extra)) delete next.err;
  return next;
}

function stopped(r: TaskRecord): boolean {
  return r.desiredState === 'shutdown' || r.desiredState === 'remove';
}

/** The record after looking at its container (`c`), or `r` itself when nothing changed. */
export function observe(r: TaskRecord, c: ObservedTask | undefined, nodeUp: boolean, now: number): TaskRecord {
  if (r.nodeId === undefined) return stopped(r) && !isTerminal(r.state) ? withState(r, 'shutdown', 'shutdown', now) : r;
  if (!nodeUp) return r;
  if (c && c.containerId !== r.containerId) r = { ...r, containerId: c.containerId };
  if (isTerminal(r.state)) return r;
  if (!c) {
    if (r.containerId === undefined && rank(r.state) < rank('ready'))
      return stopped(r) ? withState(r, 'shutdown', 'shutdown', now) : r;
    if (stopped(r)) return withState(r, 'shutdown', 'shutdown', now);
    return withState(r, 'failed', 'started', now, { err: 'task: container removed' });
  }
  switch (c.state) {
    case 'created':
      if (stopped(r)) return withState(r, 'shutdown', 'shutdown', now);
      return r.state === 'ready' ? r : withState(r, 'ready', 'prepared', now);
    case 'running':
    case 'paused':
    case 'restarting': {
      if (c.health === 'unhealthy' && !stopped(r))
        return withState(r, 'failed', 'started', now, { err: 'task: container is unhealthy' });
      if (c.health === 'starting') return r.state === 'starting' ? r : withState(r, 'starting', 'starting', now);
      if (r.state === 'running') return r;
      const at = c.startedAt ?? now;
      return withState(r, 'running', 'started', at, { startedAt: at });
    }
    default: {
      const at = c.finishedAt ?? now;
      if (stopped(r)) return withState(r, 'shutdown', 'shutdown', at, { exitCode: c.exitCode });
      if (c.state === 'exited' && c.exitCode === 0) return withState(r, 'complete', 'finished', at, { exitCode: 0 });
      const err = c.state === 'exited' ? `task: non-zero exit (${c.exitCode})` : `task: container ${c.state}`;
      return withState(r, 'failed', 'started', at, { exitCode: c.exitCode, err });
    }
  }
}

/** A record for a running task container that has none (its record was lost): it keeps its slot. */
export function adopt(c: ObservedTask, specVersion: number, now: number): TaskRecord {
  const at = c.startedAt ?? now;
  return {
    id: c.taskId,
    serviceId: c.serviceId,
    serviceName: c.serviceName,
    slot: c.slot,
    nodeId: c.nodeId,
    specVersion,
    specKey: c.specKey,
    desiredState: 'running',
    state: c.health === 'starting' ? 'starting' : 'running',
    message: 'started',
    createdAt: at,
    updatedAt: at,
    containerId: c.containerId,
    startedAt: at,
    restarts: [],
  };
}

/**
 * The engine refused to create or start the task's container (no such image, a port taken outside shoal):
 * swarm's `rejected`, with the engine's words as the error. The restart policy then decides on a retry.
 */
export function rejectTask(r: TaskRecord, err: string, now: number): TaskRecord {
  if (isTerminal(r.state)) return r;
  return withState(r, 'rejected', 'preparing', now, { err });
}
