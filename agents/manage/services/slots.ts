/**
 * One slot of one service (a replica number, or a node for a global service): move its tasks off nodes that
 * can no longer hold them, restart ended tasks per the restart policy, fill it when empty, promote a held
 * replacement when its delay is over and the task it replaces has stopped, and end start-first overlaps.
 */
import { allMatch } from './constraints.js';
import { isTerminal, type TaskRecord } from './model.js';
import { Plan, type ServiceCtx } from './plan.js';
import { restartDecision } from './restart.js';
import { newestFirst } from './history.js';

export interface SlotRef {
  slot: number;
  /** Global services: the slot's node. */
  nodeId?: string;
  /** A new task may be placed for this slot now (global: the node is ready and active). */
  canPlace: boolean;
}

function active(t: TaskRecord): boolean {
  return t.desiredState === 'running' || t.desiredState === 'ready';
}

/** Whether `t`'s node still may run it: known, not drained, not Down, matching the constraints. */
export function nodeKeeps(plan: Plan, svc: ServiceCtx, t: TaskRecord): boolean {
  if (t.nodeId === undefined) return true;
  const n = plan.nodes.get(t.nodeId);
  if (!n || n.availability === 'drain') return false;
  if (n.state === 'down' && svc.spec.Mode.kind === 'replicated') return false;
  return allMatch(svc.spec.TaskTemplate.Placement.Constraints, n);
}

/** The slot's tasks after this decision (active ones first handled). */
export function reconcileSlot(plan: Plan, svc: ServiceCtx, ref: SlotRef, tasks: TaskRecord[]): void {
  const policy = svc.spec.TaskTemplate.RestartPolicy;
  const fixed = ref.nodeId;
  let replacement: { notBefore?: number; restarts: number[]; rollout?: boolean } | undefined;
  for (const t0 of tasks) {
    if (!active(t0)) continue;
    let t = t0;
    if (!nodeKeeps(plan, svc, t)) {
      t = plan.desire(svc, t, 'shutdown', { message: 'shutdown', updatedAt: plan.now });
      if (svc.spec.Mode.kind === 'replicated')
        replacement ??= { restarts: t.specKey === svc.key ? t.restarts : [], rollout: t.rollout };
      continue;
    }
    if (isTerminal(t.state)) {
      if (!ref.canPlace && fixed !== undefined) continue; // a paused or Down node: its task waits there
      const d = restartDecision(t, policy, svc.key);
      if (d.restart) {
        plan.desire(svc, t, 'shutdown');
        replacement ??= { notBefore: d.notBefore, restarts: d.restarts, rollout: t.rollout };
      } else plan.desire(svc, t, 'shutdown', { final: true });
      continue;
    }
    if (t.state === 'pending') plan.set(plan.place(svc, t));
  }
  const current = tasks.map((t) => plan.records.get(t.id) ?? t);
  let live = current.filter(active);
  if (live.length === 0 && ref.canPlace) {
    const newest = [...current].sort(newestFirst)[0];
    const done = newest?.final === true && newest.specKey === svc.key;
    if (replacement || !done) live = [plan.newTask(svc, ref.slot, fixed, replacement ?? { restarts: [] })];
  }
  settle(plan, svc, current, live);
}

/** End overlaps (keep the newest up-to-date running task) and promote a held task when it may start. */
function settle(plan: Plan, svc: ServiceCtx, tasks: TaskRecord[], live: TaskRecord[]): void {
  const ready = live.filter((t) => t.specKey === svc.key && t.state === 'running').sort(newestFirst)[0];
  if (ready) {
    for (const t of live)
      if (t !== ready) plan.desire(svc, t, 'shutdown', { message: 'shutdown', updatedAt: plan.now });
    return;
  }
  for (const t of live) {
    if (t.desiredState !== 'ready' || (t.notBefore ?? 0) > plan.now) continue;
    const waiting = tasks.some((x) => {
      const y = plan.records.get(x.id) ?? x;
      return y.id !== t.id && !active(y) && !isTerminal(y.state) && plan.nodeUp(y.nodeId);
    });
    if (waiting) continue;
    const { notBefore: _nb, ...rest } = t;
    plan.set({ ...rest, desiredState: 'running' });
  }
}
