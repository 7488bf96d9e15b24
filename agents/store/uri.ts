/**
 * Store URIs: `consul://HOST[:8500]/PREFIX`, `etcd://HOST[:2379][,HOST2...]/PREFIX`, `etcd2://...`,
 * `zk://H1[:2181],H2,H3/PREFIX`. Pure parsing; throws Error with the expectation.
 */
import { parseHostPort, type HostPort } from '../common/address.js';

export const DEFAULT_PORTS: Record<string, number> = {
  consul: 8500,
  'consul-catalog': 8500,
  etcd: 2379,
  etcd2: 2379,
  zk: 2181,
};

export interface StoreUri {
  scheme: string;
  hosts: HostPort[];
  /** Path without leading/trailing slashes, e.g. `services` or `shoal/prod` (may be empty). */
  prefix: string;
  /** `?tls=true` etc. */
  params: Record<string, string>;
}

export function parseStoreUri(text: string, schemes: readonly string[] = Object.keys(DEFAULT_PORTS)): StoreUri {
  const m = /^([a-z][a-z0-9+-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?$/.exec(text.trim());
  const expected = `expected ${schemes.map((s) => `${s}://HOST[:PORT]/PREFIX`).join(' or ')}`;
  if (!m) throw new Error(expected);
  const scheme = m[1] as string;
  const defaultPort = DEFAULT_PORTS[scheme];
  if (!schemes.includes(scheme) || defaultPort === undefined) throw new Error(expected);
  const hostPart = m[2] as string;
  if (hostPart === '') throw new Error(`${expected} (no host)`);
  if (hostPart.includes('@'))
    throw new Error('credentials do not belong in the URI: use the token/username/password options');
  const hosts = hostPart.split(',').map((h) => parseHostPort(h, defaultPort));
  const prefix = normalizePrefix(decodeURIComponent(m[3] ?? ''));
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(m[4] ?? '')) params[k] = v;
  return { scheme, hosts, prefix, params };
}

export function normalizePrefix(path: string): string {
  const segs = path.split('/').filter((s) => s !== '');
  for (const s of segs) if (s === '.' || s === '..') throw new Error('expected a prefix without "." or ".." segments');
  return segs.join('/');
}

export function formatStoreUri(u: StoreUri): string {
  const hosts = u.hosts.map((h) => (h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`)).join(',');
  return `${u.scheme}://${hosts}/${u.prefix}`;
}
