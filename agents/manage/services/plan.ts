/**
 * One decision's working state: the task records being decided (by id), the containers seen, the nodes and
 * the placement pool; `newTask` makes and places a task, `actuate` turns each record plus its container into
 * the engine actions that move the container toward the record's desired state.
 */
import type { IdSource } from './names.js';
import {
  isTerminal,
  type Action,
  type DesiredState,
  type NodeInfo,
  type ObservedTask,
  type TaskRecord,
} from './model.js';
import { Pool, type PlaceCtx } from './placement.js';
import { DEFAULT_STOP_GRACE } from './types.js';

export interface ServiceCtx extends PlaceCtx {
  name: string;
  version: number;
  key: string;
}

export class Plan {
  readonly records = new Map<string, TaskRecord>();
  readonly nodes: Map<string, NodeInfo>;
  readonly pool: Pool;
  readonly actions: Action[] = [];
  /** Tasks made in this decision, in order. */
  readonly created: TaskRecord[] = [];

  constructor(
    nodes: readonly NodeInfo[],
    readonly containers: ReadonlyMap<string, ObservedTask>,
    readonly now: number,
    readonly newId: IdSource,
  ) {
    this.nodes = new Map(nodes.map((n) => [n.id, n]));
    this.pool = new Pool(nodes);
  }

  nodeUp(id: string | undefined): boolean {
    return id !== undefined && this.nodes.get(id)?.state === 'ready';
  }

  set(r: TaskRecord): TaskRecord {
    this.records.set(r.id, r);
    return r;
  }

  /** Whether `r` holds resources on its node (counted in the pool). */
  static live(r: TaskRecord): boolean {
    return (
      r.nodeId !== undefined &&
      r.state !== 'pending' &&
      !isTerminal(r.state) &&
      (r.desiredState === 'running' || r.desiredState === 'ready')
    );
  }

  /** Give `r` a new desired state, releasing its place when it stops being live. */
  desire(ctx: PlaceCtx, r: TaskRecord, desiredState: DesiredState, extra: Partial<TaskRecord> = {}): TaskRecord {
    const was = Plan.live(r);
    const next = this.set({ ...r, desiredState, ...extra });
    if (was && !Plan.live(next)) this.pool.account(ctx, r.nodeId!, -1);
    return next;
  }

  /** A new task for a slot (global: `nodeId` fixed), placed now when a node has room, else pending. */
  newTask(
    svc: ServiceCtx,
    slot: number,
    fixedNode: string | undefined,
    opts: { notBefore?: number; restarts?: number[]; rollout?: boolean; desired?: DesiredState },
  ): TaskRecord {
    const notBefore = opts.notBefore !== undefined && opts.notBefore > this.now ? opts.notBefore : undefined;
    let id = this.newId();
    while (this.records.has(id) || this.containers.has(id)) id = this.newId(); // an ID source that repeats itself
    const r: TaskRecord = {
      id,
      serviceId: svc.serviceId,
      serviceName: svc.name,
      slot,
      specVersion: svc.version,
      specKey: svc.key,
      desiredState: opts.desired ?? (notBefore === undefined ? 'running' : 'ready'),
      state: 'new',
      message: 'created',
      createdAt: this.now,
      updatedAt: this.now,
      restarts: opts.restarts ?? [],
    };
    if (fixedNode !== undefined) r.nodeId = fixedNode;
    if (notBefore !== undefined) r.notBefore = notBefore;
    if (opts.rollout) r.rollout = true;
    const placed = this.set(this.place(svc, r));
    this.created.push(placed);
    return placed;
  }

  /** Try to give a new or pending task a node. */
  place(svc: ServiceCtx, r: TaskRecord): TaskRecord {
    let nodeId = r.nodeId;
    let reason: string | undefined;
    if (nodeId !== undefined) {
      const n = this.nodes.get(nodeId);
      if (!n) reason = 'no suitable node (unknown node)';
      else if (!this.pool.fits(svc, n)) reason = this.pool.whyNot(svc, n);
    } else {
      const c = this.pool.choose(svc);
      if ('node' in c) nodeId = c.node.id;
      else reason = c.reason;
    }
    if (reason !== undefined) {
      if (r.state === 'pending' && r.err === reason) return r;
      return { ...r, state: 'pending', message: 'pending task scheduling', err: reason, updatedAt: this.now };
    }
    this.pool.account(svc, nodeId!, 1);
    const { err: _err, ...rest } = r;
    return { ...rest, nodeId, state: 'assigned', message: 'scheduler assigned task to node', updatedAt: this.now };
  }

  /** The engine actions for one record, from its desired state and its container. */
  actuate(r: TaskRecord, graceNs: number | undefined): void {
    if (!this.nodeUp(r.nodeId)) return;
    const nodeId = r.nodeId!;
    const c = this.containers.get(r.id);
    const stopping = r.desiredState === 'shutdown' || r.desiredState === 'remove';
    if (!c) {
      if (!stopping && r.state === 'assigned')
        this.actions.push({
          kind: 'create',
          taskId: r.id,
          serviceId: r.serviceId,
          slot: r.slot,
          nodeId,
          start: r.desiredState === 'running',
        });
      return;
    }
    const base = { taskId: r.id, nodeId, containerId: c.containerId };
    const up = c.state === 'running' || c.state === 'paused' || c.state === 'restarting';
    if (stopping) {
      if (up) this.actions.push({ kind: 'stop', ...base, graceNs: graceNs ?? DEFAULT_STOP_GRACE });
      else if (r.desiredState === 'remove' || c.state === 'created') this.actions.push({ kind: 'remove', ...base });
      return;
    }
    if (r.desiredState === 'running' && c.state === 'created') this.actions.push({ kind: 'start', ...base });
    else if (isTerminal(r.state) && up)
      this.actions.push({ kind: 'stop', ...base, graceNs: graceNs ?? DEFAULT_STOP_GRACE });
  }
}
