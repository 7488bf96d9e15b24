/**
 * What to write so that this host's entries in the store equal the desired ones. Pure: entries of other
 * hosts are never touched, whatever they hold.
 */
import type { KV } from '../store/store.js';
import { ownedBy } from './service.js';

export interface Plan {
  put: KV[];
  delete: string[];
}

/**
 * `desired`: key -> value for every service this host should offer. `current`: what the store holds (any
 * host). `keep`: owned keys that must stay although nothing desires them (e.g. --deregister on-success).
 * `cleanup`: remove owned keys no container backs; without it only keys in `removable` are removed.
 */
export function reconcile(
  desired: ReadonlyMap<string, string>,
  current: readonly KV[],
  dockerHost: string,
  opts: { cleanup?: boolean; keep?: ReadonlySet<string>; removable?: ReadonlySet<string> } = {},
): Plan {
  const have = new Map<string, string>();
  for (const kv of current) if (ownedBy(kv.key, dockerHost)) have.set(kv.key, kv.value);
  const put: KV[] = [];
  for (const [key, value] of desired) {
    if (!ownedBy(key, dockerHost)) continue; // never write outside this host's entries
    if (have.get(key) !== value) put.push({ key, value });
  }
  const del: string[] = [];
  for (const key of have.keys()) {
    if (desired.has(key) || opts.keep?.has(key)) continue;
    if (opts.cleanup ?? true) del.push(key);
    else if (opts.removable?.has(key)) del.push(key);
  }
  put.sort((a, b) => (a.key < b.key ? -1 : 1));
  del.sort();
  return { put, delete: del };
}
