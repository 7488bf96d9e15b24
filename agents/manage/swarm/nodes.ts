/**
 * Swarm nodes are the manager's engines. A node record (one JSON value per engine address at
 * `docker/swarm/mode/nodes/<addr>`) keeps what the engine does not know: the stable node ID, role, availability,
 * node labels (apart from the engine's own labels) and, for a manager, which manager process it stands for.
 * The view the CLI reads joins the record with the engine's live facts. Pure.
 */
import { SwarmError, SwarmInputError, DEMOTE_LAST_MANAGER, nodeNotFound } from './errors.js';
import { isObject, labels, name, oneOf } from './validate.js';

export const ROLES = ['worker', 'manager'] as const;
export const AVAILABILITIES = ['active', 'pause', 'drain'] as const;
export type Role = (typeof ROLES)[number];
export type Availability = (typeof AVAILABILITIES)[number];

export interface NodeSpec {
  Name?: string;
  Labels: Record<string, string>;
  Role: Role;
  Availability: Availability;
}

export interface NodeRecord {
  id: string;
  /** The cluster this record belongs to: a record left by an earlier cluster counts as absent. */
  cluster: string;
  addr: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  spec: NodeSpec;
  /** Set on the node a manager process stands for: its identity and the address joins reach it at. */
  manager?: { id: string; addr: string };
  /** How it became a member: discovered at `swarm init`, or admitted with a join token (./admission.ts). */
  admitted?: { by: 'init' | 'token'; at: string };
}

/** What the engine itself says, from the manager's live view of it. */
export interface EngineFacts {
  addr: string;
  name: string;
  health: 'healthy' | 'unhealthy' | 'pending';
  serverVersion: string;
  cpus: number;
  memory: number;
  labels: Record<string, string>;
  error: string;
}

/** Who leads and who asks: manager identities (the advertise address with replication, else `local`). */
export interface ManagerFacts {
  self: string;
  leader: string | undefined;
}

/** The body of `POST /nodes/{id}/update`: the whole NodeSpec, checked. */
export function parseNodeSpec(body: unknown): NodeSpec {
  if (!isObject(body)) throw new SwarmInputError('body', 'expected a JSON object (the node spec)');
  const specName = name('Name', body.Name);
  return {
    ...(specName ? { Name: specName } : {}),
    Labels: labels('Labels', body.Labels),
    Role: oneOf('Role', body.Role, ROLES),
    Availability: oneOf('Availability', body.Availability, AVAILABILITIES),
  };
}

/**
 * The decision of a node update: refused when it would leave the swarm without a manager, or would demote
 * the node a running manager stands for (promote/demote of manager processes is not built yet).
 */
export function checkNodeUpdate(rec: NodeRecord, spec: NodeSpec, all: readonly NodeRecord[]): void {
  if (rec.spec.Role !== 'manager' || spec.Role !== 'worker') return;
  const managers = all.filter((r) => r.spec.Role === 'manager').length;
  if (managers <= 1) throw new SwarmError(400, DEMOTE_LAST_MANAGER);
  if (rec.manager)
    throw new SwarmError(
      400,
      `rpc error: code = FailedPrecondition desc = node ${rec.id} is the node of the running manager at ${rec.manager.addr}; demoting it is not supported yet`,
    );
}

export function parseNodeRecord(raw: string): NodeRecord | undefined {
  try {
    const r = JSON.parse(raw) as NodeRecord;
    if (!isObject(r) || typeof r.id !== 'string' || typeof r.addr !== 'string' || !isObject(r.spec)) return undefined;
    return r;
  } catch {
    return undefined;
  }
}

/** A new record for an engine seen for the first time in cluster `cluster`. */
export function newRecord(
  id: string,
  cluster: string,
  addr: string,
  now: string,
  over: Partial<NodeSpec> = {},
  manager?: NodeRecord['manager'],
): NodeRecord {
  return {
    id,
    cluster,
    addr,
    createdAt: now,
    updatedAt: now,
    version: 1,
    spec: { Labels: {}, Role: 'worker', Availability: 'active', ...over },
    ...(manager ? { manager } : {}),
  };
}

function host(addr: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(addr) ?? /^([^:]+)(?::\d+)?$/.exec(addr);
  return m ? (m[1] as string) : addr;
}

export function nodeState(engine: EngineFacts | undefined): 'ready' | 'down' | 'unknown' {
  if (!engine) return 'down';
  if (engine.health === 'healthy') return 'ready';
  // a pending engine that was tried and did not answer (classic's Pending keeps it so for ever) is down
  return engine.health === 'unhealthy' || engine.error !== '' ? 'down' : 'unknown';
}

/** `GET /nodes/{id}`: the record joined with the engine (absent: the engine left discovery, so Down). */
export function nodeView(rec: NodeRecord, engine: EngineFacts | undefined, m: ManagerFacts): Record<string, unknown> {
  const state = nodeState(engine);
  const isManager = rec.spec.Role === 'manager';
  const leader = isManager && rec.manager !== undefined && rec.manager.id === m.leader;
  const reachable = leader || (rec.manager !== undefined && rec.manager.id === m.self);
  const view: Record<string, unknown> = {
    ID: rec.id,
    Version: { Index: rec.version },
    CreatedAt: rec.createdAt,
    UpdatedAt: rec.updatedAt,
    Spec: rec.spec,
    Description: {
      Hostname: engine?.name || rec.addr,
      Platform: { Architecture: engineArch(engine), OS: engine?.labels.ostype ?? 'linux' },
      Resources: { NanoCPUs: (engine?.cpus ?? 0) * 1_000_000_000, MemoryBytes: engine?.memory ?? 0 },
      Engine: { EngineVersion: engine?.serverVersion ?? '', Labels: engine?.labels ?? {}, Plugins: [] },
      TLSInfo: {},
    },
    Status: {
      State: state,
      Addr: host(rec.addr),
      ...(state === 'ready' ? {} : { Message: engine?.error || (engine ? '' : 'engine not in discovery') }),
    },
  };
  if (isManager)
    view.ManagerStatus = {
      Leader: leader,
      Reachability: reachable ? 'reachable' : 'unreachable',
      Addr: rec.manager?.addr ?? `${host(rec.addr)}:2377`,
    };
  return view;
}

function engineArch(engine: EngineFacts | undefined): string {
  const a = engine?.labels.architecture;
  if (a) return a;
  return process.arch === 'x64' ? 'x86_64' : process.arch;
}

const NODE_FILTERS = ['id', 'name', 'label', 'node.label', 'role', 'membership'];

function labelMatch(want: string, have: Record<string, string>): boolean {
  const i = want.indexOf('=');
  if (i < 0) return Object.hasOwn(have, want);
  return have[want.slice(0, i)] === want.slice(i + 1);
}

/**
 * `GET /nodes?filters=`: `id` and `name` are prefixes, `label` matches engine labels, `node.label` node labels
 * (`key` or `key=value`), `role` and `membership` (always `accepted`) exact. Values of one key are OR'd, keys
 * AND'd. An unknown key is a 400, as Docker answers.
 */
export function filterNodes(
  views: readonly Record<string, unknown>[],
  filters: Record<string, string[]>,
): Record<string, unknown>[] {
  for (const k of Object.keys(filters))
    if (!NODE_FILTERS.includes(k)) throw new SwarmInputError('filters', `invalid filter '${k}'`);
  for (const r of filters.role ?? []) oneOf('filters.role', r, ROLES);
  for (const r of filters.membership ?? []) oneOf('filters.membership', r, ['accepted', 'pending'] as const);
  const any = (k: string, test: (v: string) => boolean) => {
    const vs = filters[k];
    return vs === undefined || vs.length === 0 || vs.some(test);
  };
  return views.filter((v) => {
    const spec = v.Spec as NodeSpec;
    const desc = v.Description as { Hostname: string; Engine: { Labels: Record<string, string> } };
    return (
      any('id', (p) => (v.ID as string).startsWith(p)) &&
      any('name', (p) => desc.Hostname.startsWith(p) || (spec.Name ?? '').startsWith(p)) &&
      any('label', (l) => labelMatch(l, desc.Engine.Labels)) &&
      any('node.label', (l) => labelMatch(l, spec.Labels)) &&
      any('role', (r) => spec.Role === r) &&
      any('membership', (m) => m === 'accepted')
    );
  });
}

/**
 * `/nodes/{ref}`: `self`, an exact ID, a unique exact name (hostname or spec name), then a unique ID prefix.
 * Several matches: 400 naming the count; none: Docker's 404 `node X not found`.
 */
export function resolveNode<T extends { rec: NodeRecord; hostname: string }>(
  ref: string,
  nodes: readonly T[],
  selfId: string | undefined,
): T {
  const id = ref === 'self' ? selfId : ref;
  const exact = nodes.find((n) => n.rec.id === id);
  if (exact) return exact;
  if (ref === 'self' || ref === '') throw nodeNotFound(ref);
  for (const matches of [
    nodes.filter((n) => n.hostname === ref || n.rec.spec.Name === ref),
    nodes.filter((n) => n.rec.id.startsWith(ref)),
  ]) {
    if (matches.length === 1) return matches[0] as T;
    if (matches.length > 1)
      throw new SwarmError(400, `node ${ref} is ambiguous (${matches.length} matches found)`, 'SHOAL_SWARM_AMBIGUOUS');
  }
  throw nodeNotFound(ref);
}

/** Apply an accepted update: the new spec, the next version, the time. */
export function updatedRecord(rec: NodeRecord, spec: NodeSpec, now: string): NodeRecord {
  return { ...rec, spec, version: rec.version + 1, updatedAt: now };
}
