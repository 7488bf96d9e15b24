/**
 * Rolling updates. Slots whose live tasks all run an older task spec are "dirty"; they are replaced
 * `Parallelism` at a time (0: all), a slot staying busy until its new task has run for `Delay`; stop-first
 * stops the old task before the new one starts, start-first stops it once the new one runs. A new task that
 * fails within `Monitor` counts as a failure; past `MaxFailureRatio` the `FailureAction` applies (pause,
 * continue, rollback). UpdateStatus follows swarm: null for create and scale, updating -> completed, and
 * rollback_started -> rollback_completed.
 */
import { nsToMs, type DesiredService, type TaskRecord, type UpdateStatus } from './model.js';
import { Plan, type ServiceCtx } from './plan.js';
import type { UpdateConfig } from './types.js';

export interface SlotTasks {
  slot: number;
  nodeId?: string;
  tasks: TaskRecord[];
}

const IN_PROGRESS = new Set(['updating', 'rollback_started']);

function live(t: TaskRecord): boolean {
  return t.desiredState === 'running' || t.desiredState === 'ready';
}

export function configFor(svc: DesiredService): UpdateConfig {
  const s = svc.updateStatus?.State;
  return s === 'rollback_started' || s === 'rollback_paused' ? svc.spec.RollbackConfig : svc.spec.UpdateConfig;
}

/** Runs the rollout step for one service and returns its new UpdateStatus when that changes. */
export function rollout(
  plan: Plan,
  svc: ServiceCtx,
  desired: DesiredService,
  slots: SlotTasks[],
): UpdateStatus | undefined {
  const cfg = configFor(desired);
  const status = desired.updateStatus ?? null;
  const cur = (s: SlotTasks) => s.tasks.map((t) => plan.records.get(t.id) ?? t);
  const isDirty = (s: SlotTasks) => {
    let any = false;
    for (const t0 of s.tasks) {
      const t = plan.records.get(t0.id) ?? t0;
      if (!live(t)) continue;
      if (t.specKey === svc.key) return false;
      any = true;
    }
    return any;
  };
  const dirty = slots.filter(isDirty);
  if (dirty.length === 0 && (status === null || !IN_PROGRESS.has(status.State))) return undefined;
  const startedAt = status?.StartedAt ?? plan.now;
  const ours = (t: TaskRecord) => t.rollout === true && t.specKey === svc.key && t.createdAt >= startedAt;
  let next: UpdateStatus | undefined;
  if (
    dirty.length > 0 &&
    (status === null || !['updating', 'paused', 'rollback_started', 'rollback_paused'].includes(status.State))
  )
    next = { State: 'updating', StartedAt: plan.now, Message: 'update in progress' };
  const state = next?.State ?? status?.State;
  if (state === undefined || !IN_PROGRESS.has(state)) return next;
  const rollingBack = state === 'rollback_started';

  const failed = slots
    .flatMap(cur)
    .filter(
      (t) =>
        ours(t) &&
        (t.state === 'failed' || t.state === 'rejected') &&
        (t.startedAt === undefined || t.updatedAt - t.startedAt <= nsToMs(cfg.Monitor)),
    );
  if (
    failed.length > 0 &&
    failed.length / Math.max(1, slots.length) > cfg.MaxFailureRatio &&
    cfg.FailureAction !== 'continue'
  ) {
    const id = failed.sort((a, b) => a.updatedAt - b.updatedAt)[0]!.id;
    if (cfg.FailureAction === 'rollback' && !rollingBack && desired.previousSpec) {
      plan.actions.push({ kind: 'rollback', serviceId: desired.id });
      return {
        State: 'rollback_started',
        StartedAt: plan.now,
        Message: `update rolled back due to failure or early termination of task ${id}`,
      };
    }
    return {
      ...status,
      State: rollingBack ? 'rollback_paused' : 'paused',
      Message: `${rollingBack ? 'rollback' : 'update'} paused due to failure or early termination of task ${id}`,
    };
  }

  const delayMs = nsToMs(cfg.Delay);
  const monitorMs = nsToMs(cfg.Monitor);
  // A slot is busy until its new task has run for Delay; a slot whose new task failed is done with (the
  // failure was counted above; under `continue` the rollout goes on, restarts follow the restart policy).
  const busy = slots.filter((s) => {
    const ts = cur(s);
    if (ts.some((t) => ours(t) && (t.state === 'failed' || t.state === 'rejected'))) return false;
    return ts.some(
      (t) => live(t) && ours(t) && (t.state !== 'running' || plan.now - (t.startedAt ?? plan.now) < delayMs),
    );
  }).length;
  const budget = cfg.Parallelism === 0 ? dirty.length : Math.max(0, cfg.Parallelism - busy);
  for (const s of dirty.slice(0, budget)) {
    const old = cur(s).filter(live);
    if (cfg.Order === 'stop-first') {
      for (const t of old) plan.desire(svc, t, 'shutdown', { message: 'shutdown', updatedAt: plan.now });
      plan.newTask(svc, s.slot, s.nodeId, { rollout: true, desired: 'ready' });
    } else plan.newTask(svc, s.slot, s.nodeId, { rollout: true });
  }
  if (dirty.length > 0) return next;
  // Done when every slot runs the new spec: its new task has run for Monitor, or has failed already (the
  // failure was counted; with FailureAction continue the rollout does not wait for the restarts).
  const settled = slots.every((s) => {
    const ts = cur(s);
    const l = ts.filter(live);
    if (l.length > 1 || l.some((t) => t.specKey !== svc.key)) return false;
    if (ts.some((t) => ours(t) && (t.state === 'failed' || t.state === 'rejected'))) return true;
    return l.every((t) => !ours(t) || (t.state === 'running' && plan.now - (t.startedAt ?? plan.now) >= monitorMs));
  });
  if (!settled) return next;
  return rollingBack
    ? { State: 'rollback_completed', StartedAt: startedAt, CompletedAt: plan.now, Message: 'rollback completed' }
    : { State: 'completed', StartedAt: startedAt, CompletedAt: plan.now, Message: 'update completed' };
}
