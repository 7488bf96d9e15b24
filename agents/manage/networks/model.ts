/**
 * Cluster-scoped (swarm) networks as shoal keeps them: one record per network in the store, what
 * `docker network create --driver overlay` (and `docker stack deploy`) asks for. Plain engines have no overlay
 * driver: each record stands for a bridge network of the same name made on demand on every node that runs one
 * of its tasks (networks/bridges.ts). Pure: the create body's checks, the Engine API view, the list filters and
 * the reference lookup.
 */
import { SwarmError, SwarmInputError } from '../swarm/errors.js';
import { isObject, labels } from '../swarm/validate.js';

export interface NetworkRecord {
  id: string;
  name: string;
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  attachable: boolean;
  internal: boolean;
}

/** Docker's network name rule (a name is also a bridge name on every node it reaches). */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** Create-body fields a cluster network does not support: asked for with a non-empty value, a 400 naming it. */
const UNSUPPORTED: readonly string[] = ['Ingress', 'ConfigOnly', 'EnableIPv6'];

/** `POST /networks/create` with the overlay driver: the record to store (`id`, `at` given), or a 400 naming the field. */
export function parseNetworkCreate(body: Record<string, unknown>, id: string, at: string): NetworkRecord {
  const name = body.Name;
  if (typeof name !== 'string' || !NAME.test(name))
    throw new SwarmInputError('Name', `${JSON.stringify(name)}: expected up to 63 letters, digits, "_", "." or "-"`);
  for (const k of UNSUPPORTED)
    if (body[k] === true) throw new SwarmInputError(k, 'not supported for cluster networks by shoal');
  const scope = body.Scope;
  if (scope !== undefined && scope !== null && scope !== '' && scope !== 'swarm')
    throw new SwarmInputError('Scope', `${JSON.stringify(scope)}: an overlay network is scoped to the swarm`);
  const from = body.ConfigFrom;
  if (isObject(from) && typeof from.Network === 'string' && from.Network !== '')
    throw new SwarmInputError('ConfigFrom', 'not supported for cluster networks by shoal');
  const ipam = body.IPAM;
  if (isObject(ipam) && Array.isArray(ipam.Config) && ipam.Config.length > 0)
    throw new SwarmInputError('IPAM.Config', 'subnets are chosen by each node for its bridge; none may be given');
  const bool = (k: string) => {
    const v = body[k];
    if (v !== undefined && v !== null && typeof v !== 'boolean') throw new SwarmInputError(k, 'expected true or false');
    return v === true;
  };
  return {
    id,
    name,
    createdAt: at,
    labels: labels('Labels', body.Labels),
    options: labels('Options', body.Options),
    attachable: bool('Attachable'),
    internal: bool('Internal'),
  };
}

export function parseNetworkRecord(raw: string): NetworkRecord | undefined {
  try {
    const r = JSON.parse(raw) as NetworkRecord;
    if (typeof r?.id !== 'string' || typeof r.name !== 'string') return undefined;
    return { ...r, labels: r.labels ?? {}, options: r.options ?? {} };
  } catch {
    return undefined;
  }
}

/** The network as `GET /networks` and `GET /networks/{id}` show a swarm overlay network from a manager. */
export function networkView(n: NetworkRecord): Record<string, unknown> {
  return {
    Name: n.name,
    Id: n.id,
    Created: n.createdAt,
    Scope: 'swarm',
    Driver: 'overlay',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: n.options,
    Labels: n.labels,
  };
}

const FILTERS = new Set(['id', 'name', 'label', 'driver', 'scope', 'type', 'dangling']);

function labelMatch(want: string, have: Record<string, string>): boolean {
  const i = want.indexOf('=');
  if (i < 0) return Object.hasOwn(have, want);
  return have[want.slice(0, i)] === want.slice(i + 1);
}

/**
 * The records a `GET /networks` filter lets through, as the engine filters: `id` prefix, `name` substring,
 * `label` key or key=value (all must match), `driver`, `scope`, `type` (custom). `dangling` is not answered for
 * cluster networks (no record is listed). An unknown key is a 400.
 */
export function filterNetworks(nets: readonly NetworkRecord[], f: Record<string, string[]>): NetworkRecord[] {
  const bad = Object.keys(f).find((k) => !FILTERS.has(k));
  if (bad !== undefined) throw new SwarmError(400, `invalid filter '${bad}'`);
  if (f.dangling?.length) return [];
  return nets.filter((n) => {
    if (f.id?.length && !f.id.some((p) => n.id.startsWith(p))) return false;
    if (f.name?.length && !f.name.some((p) => n.name.includes(p))) return false;
    if (f.label?.length && !f.label.every((l) => labelMatch(l, n.labels))) return false;
    if (f.driver?.length && !f.driver.includes('overlay')) return false;
    if (f.scope?.length && !f.scope.includes('swarm')) return false;
    if (f.type?.length && !f.type.includes('custom')) return false;
    return true;
  });
}

/** The record `ref` names: an exact ID, an exact name, then a unique ID prefix (Docker's order). */
export function findClusterNetwork(nets: readonly NetworkRecord[], ref: string): NetworkRecord | undefined {
  if (ref === '') return undefined;
  const exact = nets.find((n) => n.id === ref) ?? nets.find((n) => n.name === ref);
  if (exact) return exact;
  const byPrefix = nets.filter((n) => n.id.startsWith(ref));
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}
