/**
 * The orchestrator's decision, a pure function: desired services + nodes + task records + the task containers
 * seen on the engines + now -> engine actions and the task records after them. It never makes a second task
 * for a slot: the same input gives the same actions (same task IDs), and a task whose container is not there
 * yet is created again under its own name, never replaced. Time is only `now`; there are no timers.
 */
import { staticOk } from './placement.js';
import { randomId, type IdSource } from './names.js';
import { adopt, observe } from './observe.js';
import { placeCtx } from './placement.js';
import { Plan, type ServiceCtx } from './plan.js';
import { pruneSlot, slotKey, TASK_HISTORY_LIMIT } from './history.js';
import { reconcileSlot, type SlotRef } from './slots.js';
import { rollout, type SlotTasks } from './rollout.js';
import { specKey } from './speckey.js';
import {
  isTerminal,
  type DesiredService,
  type ReconcileInput,
  type ReconcileResult,
  type TaskRecord,
} from './model.js';

export interface ReconcileOptions {
  newId?: IdSource;
  historyLimit?: number;
}

const ctxCache = new WeakMap<DesiredService['spec'], ServiceCtx>();

/** What the decision needs of a service, remembered per spec object (specs are never mutated in place). */
function serviceCtx(s: DesiredService): ServiceCtx {
  const hit = ctxCache.get(s.spec);
  if (hit && hit.serviceId === s.id && hit.version === s.version) return hit;
  const ctx = { ...placeCtx(s.id, s.spec), name: s.spec.Name, version: s.version, key: specKey(s.spec) };
  ctxCache.set(s.spec, ctx);
  return ctx;
}

const live = (t: TaskRecord) => t.desiredState === 'running' || t.desiredState === 'ready';

export function reconcile(input: ReconcileInput, opts: ReconcileOptions = {}): ReconcileResult {
  const now = input.now;
  const containers = new Map(input.observed.map((c) => [c.taskId, c]));
  const plan = new Plan(input.nodes, containers, now, opts.newId ?? randomId);
  const services = new Map(input.services.map((s) => [s.id, s]));
  const ctxs = new Map(input.services.map((s) => [s.id, serviceCtx(s)]));
  const before = new Map(input.tasks.map((t) => [t.id, t]));

  for (const r of input.tasks) {
    const seen = observe(r, containers.get(r.id), plan.nodeUp(r.nodeId), now);
    const gone = !services.has(r.serviceId) && r.desiredState !== 'remove';
    plan.set(gone ? { ...seen, desiredState: 'remove' } : seen);
  }
  let liveSlots: Set<string> | undefined;
  for (const c of input.observed) {
    if (plan.records.has(c.taskId) || !plan.nodeUp(c.nodeId)) continue;
    liveSlots ??= new Set([...plan.records.values()].filter(live).map(slotKey));
    const s = services.get(c.serviceId);
    const fits =
      s !== undefined &&
      c.state === 'running' &&
      (s.spec.Mode.kind === 'global' ? c.slot === 0 : c.slot > 0 && c.slot <= s.spec.Mode.replicas) &&
      !liveSlots.has(slotKey(c));
    if (fits) {
      plan.set(adopt(c, s.version, now));
      liveSlots.add(slotKey(c));
    } else plan.actions.push({ kind: 'remove', taskId: c.taskId, nodeId: c.nodeId, containerId: c.containerId });
  }
  for (const r of plan.records.values()) {
    const ctx = ctxs.get(r.serviceId);
    if (ctx && Plan.live(r)) plan.pool.account(ctx, r.nodeId!, 1);
  }

  const bySlot = new Map<string, TaskRecord[]>();
  const byService = new Map<string, TaskRecord[]>();
  for (const r of plan.records.values()) {
    const k = slotKey(r);
    const inSlot = bySlot.get(k);
    if (inSlot) inSlot.push(r);
    else bySlot.set(k, [r]);
    const inService = byService.get(r.serviceId);
    if (inService) inService.push(r);
    else byService.set(r.serviceId, [r]);
  }
  const updateStatus: ReconcileResult['updateStatus'] = [];
  for (const s of [...input.services].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const ctx = ctxs.get(s.id)!;
    const slots: SlotTasks[] = [];
    if (s.spec.Mode.kind === 'replicated') {
      const replicas = s.spec.Mode.replicas;
      const existing = new Set<number>();
      for (const r of byService.get(s.id) ?? []) if (r.slot > 0) existing.add(r.slot);
      for (const slot of existing)
        if (slot > replicas)
          for (const r of bySlot.get(slotKey({ serviceId: s.id, slot }))!)
            if (r.desiredState !== 'remove')
              plan.desire(ctx, r, 'remove', live(r) ? { message: 'shutdown', updatedAt: now } : {});
      for (let slot = 1; slot <= replicas; slot++) {
        const tasks = bySlot.get(slotKey({ serviceId: s.id, slot })) ?? [];
        const made = plan.created.length;
        reconcileSlot(plan, ctx, { slot, canPlace: true }, tasks);
        slots.push({ slot, tasks: plan.created.length === made ? tasks : tasks.concat(plan.created.slice(made)) });
      }
    } else {
      const nodeIds = new Set(plan.pool.nodes.map((n) => n.id));
      for (const r of byService.get(s.id) ?? []) if (r.nodeId !== undefined) nodeIds.add(r.nodeId);
      for (const nodeId of nodeIds) {
        const n = plan.nodes.get(nodeId);
        const ref: SlotRef = { slot: 0, nodeId, canPlace: n !== undefined && staticOk(s.spec, n) };
        const tasks = bySlot.get(slotKey({ serviceId: s.id, slot: 0, nodeId })) ?? [];
        if (tasks.length === 0 && !ref.canPlace) continue;
        const made = plan.created.length;
        reconcileSlot(plan, ctx, ref, tasks);
        const all = plan.created.length === made ? tasks : tasks.concat(plan.created.slice(made));
        if (ref.canPlace || all.some((t) => live(plan.records.get(t.id)!))) slots.push({ slot: 0, nodeId, tasks: all });
      }
    }
    const st = rollout(plan, ctx, s, slots);
    if (st) updateStatus.push({ serviceId: s.id, status: st });
  }

  for (const r of plan.records.values())
    plan.actuate(r, services.get(r.serviceId)?.spec.TaskTemplate.ContainerSpec.StopGracePeriod);
  return finish(plan, before, updateStatus, opts.historyLimit ?? TASK_HISTORY_LIMIT);
}

function finish(
  plan: Plan,
  before: ReadonlyMap<string, TaskRecord>,
  updateStatus: ReconcileResult['updateStatus'],
  limit: number,
): ReconcileResult {
  const drop = new Set<string>();
  for (const r of plan.records.values()) {
    const nodeGone = r.nodeId === undefined || !plan.nodes.has(r.nodeId);
    if (r.desiredState === 'remove' && !plan.containers.has(r.id) && (nodeGone || plan.nodeUp(r.nodeId)))
      drop.add(r.id);
    else if (nodeGone && r.nodeId !== undefined && !live(r)) drop.add(r.id);
  }
  // Only slots of services with ended tasks can be over the history limit.
  const withHistory = new Set<string>();
  for (const r of plan.records.values())
    if (isTerminal(r.state) && r.desiredState !== 'running' && r.desiredState !== 'ready') withHistory.add(r.serviceId);
  const bySlot = new Map<string, TaskRecord[]>();
  for (const r of plan.records.values()) {
    if (drop.has(r.id) || !withHistory.has(r.serviceId)) continue;
    const k = slotKey(r);
    const inSlot = bySlot.get(k);
    if (inSlot) inSlot.push(r);
    else bySlot.set(k, [r]);
  }
  for (const tasks of bySlot.values())
    for (const r of pruneSlot(tasks, limit)) {
      if (r.desiredState === 'remove') continue;
      drop.add(r.id);
      const c = plan.containers.get(r.id);
      if (c && plan.nodeUp(c.nodeId))
        plan.actions.push({ kind: 'remove', taskId: r.id, nodeId: c.nodeId, containerId: c.containerId });
    }
  const tasks = [...plan.records.values()].filter((r) => !drop.has(r.id));
  return {
    actions: plan.actions,
    tasks,
    changed: tasks.filter((r) => before.get(r.id) !== r),
    deleted: [...before.keys()].filter((id) => drop.has(id) || !plan.records.has(id)),
    updateStatus,
  };
}
