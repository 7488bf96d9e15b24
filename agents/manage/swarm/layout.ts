/** Where swarm mode keeps its state, under the manager's store prefix. */
export const MODE_PREFIX = 'docker/swarm/mode';
export const CLUSTER_KEY = `${MODE_PREFIX}/cluster`;
export const NODES_PREFIX = `${MODE_PREFIX}/nodes`;
export const nodeKey = (addr: string) => `${NODES_PREFIX}/${addr}`;
