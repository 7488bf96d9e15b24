/**
 * The cluster view the browser UI draws: nodes (engines joined with their swarm node records) with health,
 * labels and reserved resources, each with the current tasks placed on it; services with their replicas; the
 * edge's routes; and alerts for what is out (the store, a node). While the store is out the last state read is
 * kept and marked stale, so an outage never looks like an empty cluster. Every string is data: the page sets
 * it as text, never as markup. Pure.
 */
import type { Model } from '../../render/model.js';
import { isTerminal, type TaskRecord } from '../services/model.js';
import type { ModeState } from './state.js';

/** An engine as the manager sees it now (from `EngineNode.snapshot()` and its error). */
export interface EngineFacts {
  addr: string;
  name: string;
  health: 'healthy' | 'unhealthy' | 'pending';
  error: string;
  labels: Record<string, string>;
  cpus: number;
  memory: number;
  reservedCpus: number;
  reservedMemory: number;
}

/** `none`: no store discovery (nodes:// or file://); `unknown`: not answered yet. */
export type StoreState = 'none' | 'unknown' | 'up' | 'lost';

export interface StoreStatus {
  state: StoreState;
  /** Epoch ms of the last change of `state`. */
  since: number;
  error?: string;
}

export interface ViewInput {
  engines: readonly EngineFacts[];
  /** The last swarm-mode state read (undefined: never read). */
  mode: ModeState | undefined;
  /** The last routes read (undefined: never read). */
  routes: Model | undefined;
  store: StoreStatus;
  /** The --ui-routes store (`none`: not configured). */
  routesStore: StoreStatus;
}

export interface TaskView {
  id: string;
  service: string;
  serviceId: string;
  slot: number;
  state: string;
  desired: string;
  message: string;
  error?: string;
}

export interface NodeView {
  /** The swarm node ID, or the engine address before `docker swarm init`. */
  id: string;
  name: string;
  addr: string;
  role?: string;
  availability?: string;
  /** ready, down or unknown (engine not answered yet). */
  state: 'ready' | 'down' | 'unknown';
  health: string;
  error?: string;
  /** Node labels (docker node update --label-add). */
  labels: Record<string, string>;
  engineLabels: Record<string, string>;
  cpus: number;
  memory: number;
  reservedCpus: number;
  reservedMemory: number;
  tasks: TaskView[];
}

export interface ServiceView {
  id: string;
  name: string;
  mode: 'replicated' | 'global';
  /** Desired replicas (replicated), or the number of nodes with a task (global). */
  desired: number;
  running: number;
  image: string;
  ports: string[];
  update?: string;
}

export interface RouteView {
  /** `name-port` as keyed by the registrator. */
  id: string;
  name: string;
  port: number;
  protocol: string;
  backends: string[];
}

export interface Alert {
  kind: 'store' | 'node';
  text: string;
}

export interface View {
  store: StoreStatus;
  routesStore: StoreStatus;
  /** True while a store is out: what came from it is the last state read. */
  stale: boolean;
  swarm: 'active' | 'inactive' | 'unknown';
  alerts: Alert[];
  nodes: NodeView[];
  /** Current tasks with no node (pending: no node fits). */
  unassigned: TaskView[];
  services: ServiceView[];
  routes: RouteView[];
}

/** A task that is, or is about to be, on its node (not history). */
function isCurrent(t: TaskRecord): boolean {
  return t.desiredState === 'running' || t.desiredState === 'ready' || !isTerminal(t.state);
}

function taskView(t: TaskRecord): TaskView {
  return {
    id: t.id,
    service: t.serviceName,
    serviceId: t.serviceId,
    slot: t.slot,
    state: t.state,
    desired: t.desiredState,
    message: t.message,
    ...(t.err ? { error: t.err } : {}),
  };
}

const byTask = (a: TaskView, b: TaskView) =>
  a.service.localeCompare(b.service) || a.slot - b.slot || a.id.localeCompare(b.id);

function nodeState(e: EngineFacts | undefined): NodeView['state'] {
  if (!e) return 'down';
  if (e.health === 'healthy') return 'ready';
  return e.health === 'unhealthy' || e.error !== '' ? 'down' : 'unknown';
}

function nodes(input: ViewInput, current: TaskView[], nodeOf: Map<string, string>): NodeView[] {
  const engines = new Map(input.engines.map((e) => [e.addr, e]));
  const records = input.mode?.active ? input.mode.nodes : [];
  const out: NodeView[] = [];
  const seen = new Set<string>();
  const make = (addr: string, e: EngineFacts | undefined, id: string): NodeView => ({
    id,
    name: e?.name || addr,
    addr,
    state: nodeState(e),
    health: e?.health ?? 'absent',
    ...(e?.error ? { error: e.error } : e ? {} : { error: 'engine not in discovery' }),
    labels: {},
    engineLabels: e?.labels ?? {},
    cpus: e?.cpus ?? 0,
    memory: e?.memory ?? 0,
    reservedCpus: e?.reservedCpus ?? 0,
    reservedMemory: e?.reservedMemory ?? 0,
    tasks: current.filter((t) => nodeOf.get(t.id) === id).sort(byTask),
  });
  for (const r of records) {
    seen.add(r.addr);
    const n = make(r.addr, engines.get(r.addr), r.id);
    out.push({
      ...n,
      name: r.spec.Name || n.name,
      role: r.spec.Role,
      availability: r.spec.Availability,
      labels: r.spec.Labels,
    });
  }
  for (const e of input.engines) if (!seen.has(e.addr)) out.push(make(e.addr, e, e.addr));
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.addr.localeCompare(b.addr));
}

function services(mode: ModeState | undefined, tasks: readonly TaskRecord[]): ServiceView[] {
  if (!mode?.active) return [];
  return mode.services
    .map((s): ServiceView => {
      const mine = tasks.filter((t) => t.serviceId === s.rec.id && t.desiredState === 'running');
      const global = s.spec.Mode.kind === 'global';
      const ports = (s.rec.endpointPorts ?? s.spec.EndpointSpec.Ports).map(
        (p) => `${p.PublishedPort ? `${p.PublishedPort}->` : ''}${p.TargetPort}/${p.Protocol}`,
      );
      const update = s.rec.updateStatus?.State;
      return {
        id: s.rec.id,
        name: s.spec.Name,
        mode: global ? 'global' : 'replicated',
        desired: s.spec.Mode.kind === 'replicated' ? s.spec.Mode.replicas : new Set(mine.map((t) => t.nodeId)).size,
        running: mine.filter((t) => t.state === 'running').length,
        image: s.spec.TaskTemplate.ContainerSpec.Image,
        ports,
        ...(update ? { update } : {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function routes(model: Model | undefined): RouteView[] {
  return (model?.services ?? [])
    .map((s) => ({
      id: s.id,
      name: s.name,
      port: s.port,
      protocol: s.protocol,
      backends: s.backends.map((b) => b.address).sort(),
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port);
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function storeAlert(what: string, s: StoreStatus, unknown: string): Alert[] {
  const why = s.error ? `: ${s.error}` : '';
  if (s.state === 'lost')
    return [
      { kind: 'store', text: `${what} unreachable since ${time(s.since)} UTC${why}; showing the last state read` },
    ];
  if (s.state === 'unknown') return [{ kind: 'store', text: `${what} not reached yet; ${unknown} unknown` }];
  return [];
}

function alerts(input: ViewInput, ns: readonly NodeView[]): Alert[] {
  const out: Alert[] = [
    ...storeAlert('store', input.store, 'swarm nodes, services and tasks are'),
    ...storeAlert('routes store', input.routesStore, 'the edge routes are'),
  ];
  for (const n of ns)
    if (n.state === 'down')
      out.push({ kind: 'node', text: `node ${n.name} (${n.addr}) is down${n.error ? `: ${n.error}` : ''}` });
  return out;
}

export function buildView(input: ViewInput): View {
  const tasks = input.mode?.active ? input.mode.tasks : [];
  const current = tasks.filter(isCurrent);
  const nodeOf = new Map(current.flatMap((t) => (t.nodeId ? [[t.id, t.nodeId] as const] : [])));
  const views = current.map(taskView);
  const ns = nodes(input, views, nodeOf);
  const placed = new Set(ns.flatMap((n) => n.tasks.map((t) => t.id)));
  const swarm =
    input.mode === undefined
      ? input.store.state === 'none'
        ? 'inactive'
        : 'unknown'
      : input.mode.active
        ? 'active'
        : 'inactive';
  return {
    store: input.store,
    routesStore: input.routesStore,
    stale: input.store.state === 'lost' || input.routesStore.state === 'lost',
    swarm,
    alerts: alerts(input, ns),
    nodes: ns,
    unassigned: views.filter((t) => !placed.has(t.id)).sort(byTask),
    services: services(input.mode, tasks),
    routes: routes(input.routes),
  };
}
