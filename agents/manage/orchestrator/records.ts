/**
 * Swarm-mode services and tasks as stored and as the Engine API shows them. A service record keeps the spec
 * body as sent (fields shoal ignores echo back) next to the typed spec read from it; its `version` is the
 * service's Version.Index, raised on every write by compare-and-set. The views follow the contract's §11 bodies;
 * the list filters follow §9. Pure.
 */
import { parseServiceSpec } from '../services/spec.js';
import { specKey } from '../services/speckey.js';
import type { DesiredService, TaskRecord, UpdateStatus } from '../services/model.js';
import type { PortConfig, ServiceSpec } from '../services/types.js';

export interface ServiceRecord {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** The spec body as the client sent it. */
  spec: Record<string, unknown>;
  previousSpec?: Record<string, unknown>;
  updateStatus?: UpdateStatus | null;
  /** The spec's ports with every ingress port's PublishedPort assigned (absent in records made before). */
  endpointPorts?: PortConfig[];
}

/** A stored record with its typed spec (and the task-spec key of each), or undefined when it is unreadable. */
export interface Service {
  rec: ServiceRecord;
  spec: ServiceSpec;
  key: string;
  previous?: { spec: ServiceSpec; key: string };
}

export function parseServiceRecord(raw: string): Service | undefined {
  try {
    const rec = JSON.parse(raw) as ServiceRecord;
    if (typeof rec?.id !== 'string' || typeof rec.version !== 'number') return undefined;
    const spec = parseServiceSpec(rec.spec);
    const out: Service = { rec, spec, key: specKey(spec) };
    if (rec.previousSpec) {
      const prev = parseServiceSpec(rec.previousSpec);
      out.previous = { spec: prev, key: specKey(prev) };
    }
    return out;
  } catch {
    return undefined;
  }
}

export function parseTaskRecord(raw: string): TaskRecord | undefined {
  try {
    const t = JSON.parse(raw) as TaskRecord;
    if (typeof t?.id !== 'string' || typeof t.serviceId !== 'string' || typeof t.slot !== 'number') return undefined;
    return { ...t, restarts: Array.isArray(t.restarts) ? t.restarts : [] };
  } catch {
    return undefined;
  }
}

export function desired(s: Service): DesiredService {
  return {
    id: s.rec.id,
    version: s.rec.version,
    spec: s.spec,
    ...(s.previous ? { previousSpec: s.previous.spec } : {}),
    ...(s.rec.updateStatus !== undefined ? { updateStatus: s.rec.updateStatus } : {}),
  };
}

const iso = (ms: number | undefined) => new Date(ms ?? 0).toISOString();

/** The body with `Mode.Replicated.Replicas` always present (the CLI's wait needs it, contract §13.2). */
function specView(body: Record<string, unknown>, spec: ServiceSpec): Record<string, unknown> {
  const mode = spec.Mode.kind === 'replicated' ? { Replicated: { Replicas: spec.Mode.replicas } } : { Global: {} };
  return { ...body, Mode: mode };
}

/** The service's Endpoint: the asked-for ports in Spec, the assigned ingress ports (`*:30000->80/tcp`). */
function statusView(s: ServiceSpec, assigned: readonly PortConfig[] | undefined): Record<string, unknown> {
  const ports = (assigned ?? s.EndpointSpec.Ports).filter((p) => p.PublishMode !== 'host');
  return {
    Spec: { Mode: 'vip', ...(s.EndpointSpec.Ports.length ? { Ports: s.EndpointSpec.Ports } : {}) },
    Ports: ports,
  };
}

function updateStatusView(u: UpdateStatus): Record<string, unknown> {
  return {
    State: u.State,
    ...(u.StartedAt !== undefined ? { StartedAt: iso(u.StartedAt) } : {}),
    ...(u.CompletedAt !== undefined ? { CompletedAt: iso(u.CompletedAt) } : {}),
    Message: u.Message,
  };
}

/** `GET /services/{id}`; `status` adds ServiceStatus from the tasks and the nodes that are up. */
export function serviceView(
  s: Service,
  status?: { tasks: readonly TaskRecord[]; upNodes: ReadonlySet<string>; nodeCount: number },
): Record<string, unknown> {
  const view: Record<string, unknown> = {
    ID: s.rec.id,
    Version: { Index: s.rec.version },
    CreatedAt: s.rec.createdAt,
    UpdatedAt: s.rec.updatedAt,
    Spec: specView(s.rec.spec, s.spec),
    Endpoint: statusView(s.spec, s.rec.endpointPorts),
  };
  if (s.rec.previousSpec && s.previous) view.PreviousSpec = specView(s.rec.previousSpec, s.previous.spec);
  if (s.rec.updateStatus) view.UpdateStatus = updateStatusView(s.rec.updateStatus);
  if (status) {
    const mine = status.tasks.filter((t) => t.serviceId === s.rec.id);
    const running = mine.filter(
      (t) => t.desiredState === 'running' && t.state === 'running' && status.upNodes.has(t.nodeId ?? ''),
    ).length;
    const desiredTasks = s.spec.Mode.kind === 'replicated' ? s.spec.Mode.replicas : status.upNodes.size;
    const completed = mine.filter((t) => t.state === 'complete').length;
    view.ServiceStatus = { RunningTasks: running, DesiredTasks: desiredTasks, CompletedTasks: completed };
  }
  return view;
}

/** The TaskTemplate a task was made from: the current spec's or the previous one's, by task-spec key. */
function templateOf(t: TaskRecord, s: Service | undefined): Record<string, unknown> {
  if (!s) return { ContainerSpec: { Image: '' } };
  const body = s.previous?.key === t.specKey && s.rec.previousSpec ? s.rec.previousSpec : s.rec.spec;
  const tt = body.TaskTemplate as Record<string, unknown> | undefined;
  return { ...(tt ?? {}), ContainerSpec: (tt?.ContainerSpec as object | undefined) ?? { Image: '' } };
}

export function taskView(t: TaskRecord, s: Service | undefined): Record<string, unknown> {
  const status: Record<string, unknown> = {
    Timestamp: iso(t.updatedAt),
    State: t.state,
    Message: t.message,
    ...(t.err ? { Err: t.err } : {}),
    ...(t.containerId
      ? {
          ContainerStatus: {
            ContainerID: t.containerId,
            PID: t.state === 'running' ? 1 : 0,
            ExitCode: t.exitCode ?? 0,
          },
        }
      : {}),
    PortStatus: {},
  };
  return {
    ID: t.id,
    Version: { Index: t.specVersion },
    CreatedAt: iso(t.createdAt),
    UpdatedAt: iso(t.updatedAt),
    Labels: {},
    Spec: templateOf(t, s),
    ServiceID: t.serviceId,
    Slot: t.slot,
    ...(t.nodeId ? { NodeID: t.nodeId } : {}),
    Status: status,
    DesiredState: t.desiredState,
  };
}

function labelMatch(want: string, have: Record<string, string>): boolean {
  const i = want.indexOf('=');
  if (i < 0) return Object.hasOwn(have, want);
  return have[want.slice(0, i)] === want.slice(i + 1);
}

const SERVICE_FILTERS = new Set(['id', 'name', 'label', 'mode']);
const TASK_FILTERS = new Set(['id', 'name', 'service', 'node', 'desired-state', 'label', '_up-to-date']);

/** An unknown filter key: Docker answers 400 `invalid filter '<key>'`. */
export function unknownFilter(filters: Record<string, string[]>, kind: 'services' | 'tasks'): string | undefined {
  const known = kind === 'services' ? SERVICE_FILTERS : TASK_FILTERS;
  return Object.keys(filters).find((k) => !known.has(k));
}

export function filterServices(services: readonly Service[], f: Record<string, string[]>): Service[] {
  return services.filter((s) => {
    if (f.id?.length && !f.id.some((p) => s.rec.id.startsWith(p))) return false;
    if (f.name?.length && !f.name.some((p) => s.spec.Name.startsWith(p))) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(l, s.spec.Labels))) return false;
    if (f.mode?.length && !f.mode.includes(s.spec.Mode.kind)) return false;
    return true;
  });
}

/** The service a task filter names: an ID, a name, or an ID prefix. */
function serviceMatches(ref: string, s: Service): boolean {
  return s.rec.id === ref || s.spec.Name === ref || s.rec.id.startsWith(ref);
}

export function filterTasks(
  tasks: readonly TaskRecord[],
  services: ReadonlyMap<string, Service>,
  f: Record<string, string[]>,
): TaskRecord[] {
  const all = [...services.values()];
  return tasks.filter((t) => {
    const s = services.get(t.serviceId);
    if (f.id?.length && !f.id.some((p) => t.id.startsWith(p))) return false;
    if (
      f.service?.length &&
      !f.service.some((r) => r === t.serviceId || all.some((x) => x.rec.id === t.serviceId && serviceMatches(r, x)))
    )
      return false;
    if (f.node?.length && !f.node.includes(t.nodeId ?? '')) return false;
    if (f['desired-state']?.length && !f['desired-state'].includes(t.desiredState)) return false;
    if (f.name?.length) {
      const name = `${t.serviceName}.${t.slot > 0 ? t.slot : (t.nodeId ?? '')}`;
      if (!f.name.some((n) => name.startsWith(n))) return false;
    }
    if (f.label?.length && !f.label.every((l) => labelMatch(l, s?.spec.Labels ?? {}))) return false;
    if (f['_up-to-date']?.some((v) => v === 'true') && (!s || t.specKey !== s.key)) return false;
    return true;
  });
}
