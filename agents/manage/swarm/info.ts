/** `/info`'s `Swarm` section: inactive until `docker swarm init`, then this manager's view of the cluster. Pure. */
import { clusterView, type ClusterDoc } from './cluster.js';
import type { NodeRecord } from './nodes.js';

export const INACTIVE = {
  NodeID: '',
  NodeAddr: '',
  LocalNodeState: 'inactive',
  ControlAvailable: false,
  Error: '',
  RemoteManagers: null,
};

export interface SwarmInfoInput {
  doc: ClusterDoc | undefined;
  records: readonly NodeRecord[];
  /** The node this manager stands for (undefined: none bound, e.g. a replica not yet promoted). */
  selfId: string | undefined;
  /** The store could not be read: shown as the swarm's error, with the state last seen. */
  error?: string;
}

function host(addr: string): string {
  return addr.replace(/^\[([^\]]+)\].*$/, '$1').replace(/:\d+$/, '');
}

export function swarmInfo(i: SwarmInfoInput): Record<string, unknown> {
  if (!i.doc) return i.error ? { ...INACTIVE, LocalNodeState: 'error', Error: i.error } : INACTIVE;
  const managers = i.records.filter((r) => r.spec.Role === 'manager');
  const self = i.records.find((r) => r.id === i.selfId);
  return {
    NodeID: self?.id ?? '',
    NodeAddr: self?.manager ? host(self.manager.addr) : '',
    LocalNodeState: 'active',
    ControlAvailable: true,
    Error: i.error ?? '',
    RemoteManagers: managers.map((r) => ({ NodeID: r.id, Addr: r.manager?.addr ?? `${host(r.addr)}:2377` })),
    Nodes: i.records.length,
    Managers: managers.length,
    Cluster: clusterView(i.doc),
  };
}
