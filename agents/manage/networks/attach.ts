/**
 * Services on cluster networks. At the API edge a spec's `TaskTemplate.Networks[].Target` (a name, an ID or an ID
 * prefix, as the CLI sends it) becomes the network's ID, as swarm stores it; the deprecated top-level `Networks`
 * moves into the task template. When a task container is made, each attachment becomes the same-named bridge on
 * the task's node, with the service's name (and the spec's aliases) as DNS aliases there. Pure.
 */
import type { ServiceSpec } from '../services/types.js';
import { SwarmError } from '../swarm/errors.js';
import { findClusterNetwork, type NetworkRecord } from './model.js';

type Raw = Record<string, unknown>;

const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The body with every network target replaced by its cluster network's ID; an unknown one is Docker's 404. */
export function resolveTargets(body: unknown, nets: readonly NetworkRecord[]): unknown {
  if (!isObj(body) || !isObj(body.TaskTemplate)) return body;
  const tt = body.TaskTemplate;
  const own = Array.isArray(tt.Networks) && tt.Networks.length > 0;
  const list = own ? tt.Networks : body.Networks;
  if (!Array.isArray(list) || list.length === 0) return body;
  const resolved = list.map((n: unknown) => {
    if (!isObj(n) || typeof n.Target !== 'string') return n; // the spec parser names the bad field
    const rec = findClusterNetwork(nets, n.Target);
    if (!rec) throw new SwarmError(404, `network ${n.Target} not found`, 'SHOAL_NO_NETWORK');
    return { ...n, Target: rec.id };
  });
  const { Networks: _top, ...rest } = body;
  return { ...rest, TaskTemplate: { ...tt, Networks: resolved } };
}

/** The network IDs a spec's tasks join. */
export function networkIds(spec: ServiceSpec): string[] {
  return (spec.TaskTemplate.Networks ?? []).map((n) => n.Target);
}

export interface EngineAttachment {
  network: NetworkRecord;
  /** DNS aliases on the node's bridge: the service's name first, then the spec's. */
  aliases: string[];
}

/** The bridges a task of `spec` joins on its node, in spec order (a network no longer stored is skipped). */
export function engineAttachments(spec: ServiceSpec, nets: readonly NetworkRecord[]): EngineAttachment[] {
  const byId = new Map(nets.map((n) => [n.id, n]));
  return (spec.TaskTemplate.Networks ?? []).flatMap((a) => {
    const network = byId.get(a.Target);
    return network ? [{ network, aliases: [...new Set([spec.Name, ...a.Aliases])] }] : [];
  });
}

/**
 * The container-create body joined to the first bridge (later ones are connected before the start, as API 1.41
 * takes one endpoint at create).
 */
export function withFirstNetwork(body: Raw, first: EngineAttachment | undefined): Raw {
  if (!first) return body;
  const host = isObj(body.HostConfig) ? body.HostConfig : {};
  return {
    ...body,
    HostConfig: { ...host, NetworkMode: first.network.name },
    NetworkingConfig: { EndpointsConfig: { [first.network.name]: { Aliases: first.aliases } } },
  };
}
