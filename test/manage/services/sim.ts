/**
 * A small simulated cluster for reconciler tests: it applies the reconciler's actions to simulated task
 * containers (made from the real container-create bodies and read back through their labels), stores the
 * returned task records and UpdateStatus, and moves a test clock. No engine, no timers.
 */
import { containerCreate } from '../../../agents/manage/services/container.js';
import { identityFromLabels, sequentialIds, type IdSource } from '../../../agents/manage/services/names.js';
import type {
  Action,
  DesiredService,
  NodeInfo,
  ObservedTask,
  ReconcileResult,
  TaskRecord,
} from '../../../agents/manage/services/model.js';
import { reconcile } from '../../../agents/manage/services/reconcile.js';
import { parseServiceSpec } from '../../../agents/manage/services/spec.js';

export const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

export function node(id: string, over: Partial<NodeInfo> = {}): NodeInfo {
  return {
    id,
    hostname: `host-${id}`,
    role: 'worker',
    labels: {},
    engineLabels: {},
    platform: { os: 'linux', arch: 'x86_64' },
    availability: 'active',
    state: 'ready',
    resources: { NanoCPUs: 4e9, MemoryBytes: 8 * 1024 ** 3 },
    ...over,
  };
}

export function nodes(n: number, over: (i: number) => Partial<NodeInfo> = () => ({})): NodeInfo[] {
  return Array.from({ length: n }, (_, i) => node(`n${i + 1}`, over(i + 1)));
}

/** A service from a CLI-shaped body: `extra` is merged over `{Name, TaskTemplate.ContainerSpec.Image}`. */
export function service(id: string, name: string, extra: Record<string, unknown> = {}, version = 10): DesiredService {
  const tt = (extra.TaskTemplate ?? {}) as Record<string, unknown>;
  const body = {
    Name: name,
    ...extra,
    TaskTemplate: { ...tt, ContainerSpec: { Image: 'busybox:latest', ...((tt.ContainerSpec as object) ?? {}) } },
  };
  return { id, version, spec: parseServiceSpec(body), updateStatus: null };
}

export function replicated(
  id: string,
  name: string,
  replicas: number,
  extra: Record<string, unknown> = {},
): DesiredService {
  return service(id, name, { Mode: { Replicated: { Replicas: replicas } }, ...extra });
}

export class Sim {
  services: DesiredService[];
  nodes: NodeInfo[];
  tasks: TaskRecord[] = [];
  containers = new Map<string, ObservedTask>();
  now = T0;
  ids: IdSource = sequentialIds();
  private cid = 0;
  last: ReconcileResult | undefined;

  constructor(services: DesiredService[], nodeList: NodeInfo[]) {
    this.services = services;
    this.nodes = nodeList;
  }

  /** Containers visible to the manager: those on nodes that are up. */
  observed(): ObservedTask[] {
    const up = new Set(this.nodes.filter((n) => n.state === 'ready').map((n) => n.id));
    return [...this.containers.values()].filter((c) => up.has(c.nodeId));
  }

  decide(): ReconcileResult {
    return reconcile(
      { services: this.services, nodes: this.nodes, tasks: this.tasks, observed: this.observed(), now: this.now },
      { newId: this.ids },
    );
  }

  /** One decision: store its records and statuses, apply its actions. */
  step(): ReconcileResult {
    const r = this.decide();
    this.tasks = r.tasks;
    for (const u of r.updateStatus) this.svc(u.serviceId).updateStatus = u.status;
    const byId = new Map(r.tasks.map((x) => [x.id, x]));
    for (const a of r.actions) this.apply(a, byId);
    this.last = r;
    return r;
  }

  private indexed: [DesiredService[], Map<string, DesiredService>] | undefined;
  private index(): Map<string, DesiredService> {
    if (this.indexed?.[0] !== this.services)
      this.indexed = [this.services, new Map(this.services.map((x) => [x.id, x]))];
    return this.indexed[1];
  }

  /** Steps until a decision has no actions (at most `max`); returns how many steps had actions. */
  settle(max = 20): number {
    for (let i = 0; i < max; i++) if (this.step().actions.length === 0) return i;
    throw new Error(`no fixed point after ${max} steps: ${JSON.stringify(this.last?.actions)}`);
  }

  svc(id: string): DesiredService {
    const s = this.services.length > 50 ? this.index().get(id) : this.services.find((x) => x.id === id);
    if (!s) throw new Error(`no service ${id}`);
    return s;
  }

  apply(a: Action, tasks: ReadonlyMap<string, TaskRecord>): void {
    if (a.kind === 'rollback') {
      const s = this.svc(a.serviceId);
      if (!s.previousSpec) throw new Error('rollback without previous spec');
      [s.spec, s.previousSpec] = [s.previousSpec, s.spec];
      s.version++;
      return;
    }
    if (a.kind === 'create') {
      const t = tasks.get(a.taskId)!;
      const s = this.svc(t.serviceId);
      const n = this.nodes.find((x) => x.id === a.nodeId)!;
      const { body } = containerCreate(
        { id: t.id, serviceId: s.id, slot: t.slot, nodeId: a.nodeId, specKey: t.specKey },
        s.spec,
        n,
      );
      const ident = identityFromLabels(body.Labels as Record<string, string>);
      if (!ident) throw new Error('container labels do not identify the task');
      if (this.containers.has(t.id)) throw new Error(`duplicate container for task ${t.id}`);
      this.containers.set(t.id, {
        ...ident,
        containerId: `c${++this.cid}`,
        state: a.start ? 'running' : 'created',
        exitCode: 0,
        health: 'none',
        ...(a.start ? { startedAt: this.now } : {}),
      });
      return;
    }
    const c = this.containers.get(a.taskId);
    if (!c) throw new Error(`${a.kind} of a task without container ${a.taskId}`);
    if (a.kind === 'start') this.containers.set(a.taskId, { ...c, state: 'running', startedAt: this.now });
    else if (a.kind === 'stop')
      this.containers.set(a.taskId, { ...c, state: 'exited', exitCode: 0, finishedAt: this.now });
    else this.containers.delete(a.taskId);
  }

  /** The task container of `taskId` exits with `code` now. */
  exit(taskId: string, code: number): void {
    const c = this.containers.get(taskId)!;
    this.containers.set(taskId, { ...c, state: 'exited', exitCode: code, finishedAt: this.now });
  }

  advance(ms: number): void {
    this.now += ms;
  }

  live(serviceId?: string): TaskRecord[] {
    return this.tasks.filter(
      (t) =>
        (serviceId === undefined || t.serviceId === serviceId) &&
        (t.desiredState === 'running' || t.desiredState === 'ready'),
    );
  }

  running(serviceId?: string): TaskRecord[] {
    return this.live(serviceId).filter((t) => t.state === 'running');
  }

  /** Node id -> number of running containers of the service. */
  spread(serviceId: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.containers.values())
      if (c.serviceId === serviceId && c.state === 'running') out[c.nodeId] = (out[c.nodeId] ?? 0) + 1;
    return out;
  }

  /** Throws when a slot has two running containers on nodes that are up (a Down node's are out of reach). */
  assertNoDuplicates(): void {
    const seen = new Set<string>();
    for (const c of this.observed()) {
      if (c.state !== 'running') continue;
      const k = `${c.serviceId}/${c.slot > 0 ? c.slot : c.nodeId}/${c.specKey}`;
      if (seen.has(k)) throw new Error(`two running containers for ${k}`);
      seen.add(k);
    }
  }
}
