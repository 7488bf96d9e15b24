/**
 * The plain values the scheduler decides over. Built once from engine answers by the cluster layer; the
 * scheduler never sees a client type and never touches the network.
 */
export type Health = 'pending' | 'healthy' | 'unhealthy';

/** One host port a container holds (or asks for). `hostIp` '' or '0.0.0.0' means every address. */
export interface HostPort {
  hostIp: string;
  hostPort: number;
  proto: 'tcp' | 'udp' | 'sctp';
}

export interface ContainerSnapshot {
  id: string;
  /** Names without the leading slash. */
  names: string[];
  image: string;
  imageId: string;
  labels: Record<string, string>;
  /** Host ports held: requested bindings (also when stopped), allocated ones, and host-network ports. */
  ports: HostPort[];
  state: string;
  /** Reserved CPUs (`-c`, read as a CPU count, as classic Swarm did) and memory in bytes. */
  cpus: number;
  memory: number;
}

export interface ImageSnapshot {
  id: string;
  repoTags: string[];
}

export interface NodeSnapshot {
  id: string;
  name: string;
  /** host:port the manager reaches the engine at. */
  addr: string;
  /** Engine labels plus the pseudo-labels node, storagedriver, kernelversion, operatingsystem, ostype. */
  labels: Record<string, string>;
  cpus: number;
  memory: number;
  reservedCpus: number;
  reservedMemory: number;
  containers: ContainerSnapshot[];
  images: ImageSnapshot[];
  health: Health;
  /** 0..100: lower after failed checks short of unhealthy (classic Swarm's health indicator); absent: 100. */
  healthScore?: number;
}

/** Reserved resources recomputed from the containers (pending creates included). */
export function withContainer(node: NodeSnapshot, c: ContainerSnapshot): NodeSnapshot {
  return {
    ...node,
    containers: [...node.containers, c],
    reservedCpus: node.reservedCpus + c.cpus,
    reservedMemory: node.reservedMemory + c.memory,
  };
}

export function reserved(containers: readonly ContainerSnapshot[]): { cpus: number; memory: number } {
  let cpus = 0;
  let memory = 0;
  for (const c of containers) {
    cpus += c.cpus;
    memory += c.memory;
  }
  return { cpus, memory };
}
