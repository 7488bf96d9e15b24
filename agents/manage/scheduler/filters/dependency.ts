import type { ContainerSnapshot, NodeSnapshot } from '../node.js';
import { keep, type Filter } from './filter.js';

export function containerIs(c: ContainerSnapshot, ref: string): boolean {
  const r = ref.replace(/^\//, '');
  return c.names.includes(r) || c.id === r || (r.length >= 12 && c.id.startsWith(r));
}

function hosts(n: NodeSnapshot, ref: string): boolean {
  return n.containers.some((c) => containerIs(c, ref));
}

/** --volumes-from, --link and --net=container: targets must be on the chosen node. */
export const dependency: Filter = {
  name: 'dependency',
  conditions: (req) => req.dependencyFlags ?? req.dependencies,
  apply(req, nodes) {
    if (req.dependencies.length === 0) return { ok: true, nodes: [...nodes] };
    return keep(
      nodes.filter((n) => req.dependencies.every((d) => hosts(n, d))),
      () => `no node holds all of the containers it depends on: ${req.dependencies.join(', ')}`,
    );
  },
};
