/**
 * Networks and volumes as classic Swarm resolves and places them. Pure: the handlers feed in what the
 * engines listed and act on the answer.
 */
import { parseExpr, type Expr } from '../scheduler/expr.js';
import { requestOf } from '../scheduler/targets.js';
import { CreateBodyError, labelList, LABEL, type PlacementRequest } from '../scheduler/request.js';

/** One network as a node listed it. */
export interface NetworkRef {
  id: string;
  name: string;
  node: { name: string; id: string; addr: string };
}

/** `NODE/NAME` split at the first slash; a name without one has no node. */
export function nodePrefix(ref: string): { node: string | undefined; name: string } {
  const i = ref.indexOf('/');
  return i > 0 ? { node: ref.slice(0, i), name: ref.slice(i + 1) } : { node: undefined, name: ref };
}

/**
 * The one network `ref` names, as classic Swarm looks it up: a full or 12-character ID first; then a name,
 * `/name` or `NODE/name` (by node name or ID), which must match exactly one network (a name on several nodes
 * names none); then a unique ID prefix. A network seen on several nodes (one ID) counts once.
 */
export function findNetwork(nets: readonly NetworkRef[], ref: string): NetworkRef | undefined {
  if (ref === '') return undefined;
  const uniq = [...new Map(nets.map((n) => [n.id, n])).values()];
  const byId = uniq.find((n) => n.id === ref || n.id.slice(0, 12) === ref);
  if (byId) return byId;
  const named = uniq.filter(
    (n) =>
      n.name === ref || `/${n.name}` === ref || `${n.node.name}/${n.name}` === ref || `${n.node.id}/${n.name}` === ref,
  );
  if (named.length === 1) return named[0];
  if (named.length > 1) return undefined;
  const prefixed = uniq.filter((n) => n.id.startsWith(ref));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Classic Swarm's 404 texts: inspect has a colon, remove has none. */
export function noSuchNetwork(method: string, ref: string): string {
  return method === 'DELETE' ? `No such network ${ref}` : `No such network: ${ref}`;
}

/** A placement request for something that is not a container (a network, a volume): only expressions count. */
export function resourceRequest(constraints: Expr[], whitelists: Expr[] = []): PlacementRequest {
  return { ...requestOf(constraints), whitelists };
}

/**
 * Where `network create NAME` goes: with `NODE/NAME` on NODE (the prefix is a node constraint, an unknown
 * node fails placement as in classic Swarm), otherwise on the one node the scheduler picks.
 */
export function networkPlacement(ref: string): { request: PlacementRequest; name: string } {
  const { node, name } = nodePrefix(ref);
  return { request: resourceRequest(node === undefined ? [] : [nodeConstraint(node)]), name };
}

/**
 * Where `volume create` with no node prefix goes: every node when the volume has no placement labels; with
 * `com.docker.swarm.whitelists` (or `.constraints`) labels, the nodes the scheduler lets through. Undefined
 * means every healthy node.
 */
export function volumePlacement(labels: unknown): PlacementRequest | undefined {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return undefined;
  const l = labels as Record<string, string>;
  const exprs = (key: string) =>
    labelList(l, key).map((text) => {
      try {
        return parseExpr(text);
      } catch (err) {
        throw new CreateBodyError(`label ${key}: ${(err as Error).message}`);
      }
    });
  const whitelists = exprs(LABEL.whitelists);
  const constraints = exprs(LABEL.constraints);
  if (whitelists.length === 0 && constraints.length === 0) return undefined;
  return resourceRequest(constraints, whitelists);
}

function nodeConstraint(node: string): Expr {
  return { key: 'node', op: '==', value: node, soft: false };
}
