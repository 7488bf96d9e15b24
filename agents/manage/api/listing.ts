/**
 * Lists gathered from every node (networks, volumes, images), as classic Swarm answers them: `--filter
 * node=` is the manager's (the engines do not know it), an engine's refusal reaches the client instead of
 * an empty list, and an image present on several nodes carries the union of their tags. Pure.
 */
import { valueMatches } from '../scheduler/expr.js';
import { parseFilters } from './http.js';

export interface NodeScoped {
  /** `node=` filter values; empty: every node. */
  nodes: string[];
  /** The query string for the engines (node filter removed). */
  query: string;
}

export function nodeScoped(params: URLSearchParams): NodeScoped {
  const { node = [], ...rest } = parseFilters(params.get('filters'));
  const q = new URLSearchParams(params);
  q.delete('filters');
  if (Object.keys(rest).length > 0) q.set('filters', JSON.stringify(rest));
  const s = q.toString();
  return { nodes: node, query: s ? `?${s}` : '' };
}

export function nodeSelected(nodes: readonly string[], node: { name: string; id: string; addr: string }): boolean {
  return nodes.length === 0 || nodes.some((f) => valueMatches(f, [node.name, node.id, node.addr]));
}

export interface Reply {
  status: number;
  body: unknown;
}

/** The refusal to relay: when no node answered 2xx, the first node's error; undefined when one did. */
export function listRefusal(replies: readonly Reply[]): Reply | undefined {
  if (replies.length === 0 || replies.some((r) => r.status < 300)) return undefined;
  return replies[0];
}

type Image = Record<string, unknown> & { Id?: unknown; RepoTags?: unknown; RepoDigests?: unknown };

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const union = (a: unknown, b: unknown): string[] => [...new Set([...strings(a), ...strings(b)])];

/** One entry per image ID, its tags and digests the union over the nodes, in the order first seen. */
export function mergeImages(lists: readonly (readonly Image[])[]): Image[] {
  const byId = new Map<string, Image>();
  for (const list of lists) {
    for (const img of list) {
      const id = String(img.Id);
      const seen = byId.get(id);
      if (!seen) byId.set(id, { ...img });
      else {
        const digests = union(seen.RepoDigests, img.RepoDigests);
        byId.set(id, { ...seen, RepoTags: union(seen.RepoTags, img.RepoTags), RepoDigests: digests });
      }
    }
  }
  return [...byId.values()];
}
