/**
 * The reconciler's plain inputs and outputs: services, nodes, task records, observed task containers,
 * actions. Times are epoch milliseconds; spec durations stay nanoseconds (see `nsToMs`).
 */
import type { NodeFacts } from './constraints.js';
import type { ResourceSet, ServiceSpec } from './types.js';

/** Swarm's task states in rank order (contract section 5). */
export const TASK_STATES = [
  'new',
  'allocated',
  'pending',
  'assigned',
  'accepted',
  'preparing',
  'ready',
  'starting',
  'running',
  'complete',
  'shutdown',
  'failed',
  'rejected',
  'remove',
  'orphaned',
] as const;
export type TaskState = (typeof TASK_STATES)[number];
export type DesiredState = 'ready' | 'running' | 'shutdown' | 'remove';

export function rank(s: TaskState): number {
  return TASK_STATES.indexOf(s);
}

/** complete and later: the task will not run again. */
export function isTerminal(s: TaskState): boolean {
  return rank(s) >= rank('complete');
}

export function nsToMs(ns: number): number {
  return Math.floor(ns / 1e6);
}

export interface NodeInfo extends NodeFacts {
  availability: 'active' | 'pause' | 'drain';
  state: 'ready' | 'down';
  /** Total capacity. */
  resources: ResourceSet;
  /** Reserved by containers that are not tasks (classic `docker run`): counted against capacity. */
  reservedByOthers?: ResourceSet;
  /** Host ports held by containers that are not tasks, as `8080/tcp`. */
  portsByOthers?: string[];
}

export type UpdateState =
  'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';

export interface UpdateStatus {
  State: UpdateState;
  StartedAt?: number;
  CompletedAt?: number;
  Message: string;
}

export interface DesiredService {
  id: string;
  /** Version.Index of the current spec. */
  version: number;
  spec: ServiceSpec;
  /** Present after an update: what `rollback` returns to. */
  previousSpec?: ServiceSpec;
  updateStatus?: UpdateStatus | null;
}

export interface TaskRecord {
  id: string;
  serviceId: string;
  serviceName: string;
  /** 1.. for replicated tasks, 0 for global ones. */
  slot: number;
  /** Absent while pending (no suitable node). */
  nodeId?: string;
  /** Version.Index of the service when the task was made, and its task-spec key (what decides "up to date"). */
  specVersion: number;
  specKey: string;
  desiredState: DesiredState;
  state: TaskState;
  message: string;
  err?: string;
  createdAt: number;
  /** Status.Timestamp: when `state` last changed. */
  updatedAt: number;
  containerId?: string;
  exitCode?: number;
  /** When it last reached running (for monitor and update delay). */
  startedAt?: number;
  /** A replacement after a failure is held at desired `ready` until this time (RestartPolicy.Delay). */
  notBefore?: number;
  /** Failure times of this slot under this spec key that led to restarts (bounded, for MaxAttempts/Window). */
  restarts: number[];
  /** The restart policy gave up on this slot: it is not refilled until the spec changes. */
  final?: boolean;
  /** Made by the rollout of the update that is in progress (counted for its failure ratio). */
  rollout?: boolean;
}

/** A task container as the engine shows it, with the identity read back from its labels. */
export interface ObservedTask {
  containerId: string;
  nodeId: string;
  serviceId: string;
  serviceName: string;
  taskId: string;
  slot: number;
  specKey: string;
  state: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  exitCode: number;
  health: 'none' | 'starting' | 'healthy' | 'unhealthy';
  startedAt?: number;
  finishedAt?: number;
}

export type Action =
  | { kind: 'create'; taskId: string; serviceId: string; slot: number; nodeId: string; start: boolean }
  | { kind: 'start'; taskId: string; nodeId: string; containerId: string }
  | { kind: 'stop'; taskId: string; nodeId: string; containerId: string; graceNs: number }
  | { kind: 'remove'; taskId: string; nodeId: string; containerId: string }
  | { kind: 'rollback'; serviceId: string };

export interface ReconcileInput {
  services: readonly DesiredService[];
  nodes: readonly NodeInfo[];
  tasks: readonly TaskRecord[];
  observed: readonly ObservedTask[];
  now: number;
}

export interface ReconcileResult {
  actions: Action[];
  /** Every task record after this decision (history included, pruned to the retention limit). */
  tasks: TaskRecord[];
  /** Records that are new or differ from the input (what the shell writes). */
  changed: TaskRecord[];
  /** IDs of input records dropped (pruned history, removed services): the shell deletes them. */
  deleted: string[];
  /** Services whose UpdateStatus changed, with the new value. */
  updateStatus: { serviceId: string; status: UpdateStatus }[];
}
