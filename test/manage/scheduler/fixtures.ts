/** Literal nodes and requests for the pure scheduler tests. */
import type { ContainerSnapshot, NodeSnapshot } from '../../../agents/manage/scheduler/node.js';
import type { PlacementRequest } from '../../../agents/manage/scheduler/request.js';
import { parseExpr } from '../../../agents/manage/scheduler/expr.js';

export function ctr(over: Partial<ContainerSnapshot> & { id: string }): ContainerSnapshot {
  return {
    names: [],
    image: 'busybox',
    imageId: 'sha256:bb',
    labels: {},
    ports: [],
    state: 'running',
    cpus: 0,
    memory: 0,
    ...over,
  };
}

export function node(name: string, over: Partial<NodeSnapshot> = {}): NodeSnapshot {
  const containers = over.containers ?? [];
  return {
    id: `ID-${name}`,
    name,
    addr: `127.0.1.${name.slice(-1)}:2375`,
    cpus: 2,
    memory: 2048,
    reservedCpus: containers.reduce((s, c) => s + c.cpus, 0),
    reservedMemory: containers.reduce((s, c) => s + c.memory, 0),
    images: [],
    health: 'healthy',
    ...over,
    labels: {
      node: name,
      storagedriver: 'overlay2',
      kernelversion: '6.1.0',
      operatingsystem: 'Debian',
      ostype: 'linux',
      ...(over.labels ?? {}),
    },
    containers,
  };
}

export function req(
  over: Partial<Omit<PlacementRequest, 'constraints' | 'affinities' | 'whitelists'>> & {
    constraints?: string[];
    affinities?: string[];
    whitelists?: string[];
  } = {},
): PlacementRequest {
  const { constraints = [], affinities = [], whitelists = [], ...rest } = over;
  return {
    name: undefined,
    image: 'busybox',
    reschedule: [],
    global: false,
    ports: [],
    hostNetwork: false,
    dependencies: [],
    cpus: 0,
    memory: 0,
    ...rest,
    constraints: constraints.map(parseExpr),
    affinities: affinities.map(parseExpr),
    whitelists: whitelists.map(parseExpr),
  };
}

/** The seed cluster: three nodes with zone/disk/status labels. */
export function seed(): NodeSnapshot[] {
  return [
    node('dockerhost01', { labels: { zone: 'external', disk: 'ssd', status: 'master' } }),
    node('dockerhost02', { labels: { zone: 'external', disk: 'hdd', status: 'worker' } }),
    node('dockerhost03', { labels: { zone: 'internal', disk: 'ssd', status: 'worker' } }),
  ];
}

export const names = (ns: readonly NodeSnapshot[]) => ns.map((n) => n.name);
