/**
 * Discovery URIs, as `swarm manage` took them: a store (`consul://`, `etcd://`, `etcd2://`, `zk://` whose
 * path is the prefix `shoal join` writes `<ip:port>` keys under), `file:///path`, `nodes://h1:2375,h2:2375`,
 * or a bare comma list; any address may hold a range `10.0.0.[10:20]:2375`. Pure.
 */
import { parseHostPort, formatHostPort } from '../../common/address.js';

export type Discovery =
  { kind: 'store'; uri: string } | { kind: 'file'; path: string } | { kind: 'nodes'; addrs: string[] };

export class DiscoveryError extends Error {
  readonly code = 'SHOAL_MANAGE_DISCOVERY';
}

const STORE_SCHEMES = ['consul', 'etcd', 'etcd2', 'zk'];
const MAX_RANGE = 4096;

export function parseDiscovery(text: string): Discovery {
  const t = text.trim();
  if (t === '')
    throw new DiscoveryError(
      'expected a discovery such as consul://HOST/swarm, file:///path or nodes://h1:2375,h2:2375',
    );
  const scheme = /^([a-z0-9]+):\/\//.exec(t)?.[1];
  if (scheme && STORE_SCHEMES.includes(scheme)) return { kind: 'store', uri: t };
  if (scheme === 'file') {
    const path = t.slice('file://'.length);
    if (!path.startsWith('/')) throw new DiscoveryError('expected file:///absolute/path');
    return { kind: 'file', path };
  }
  if (scheme === 'nodes') return { kind: 'nodes', addrs: parseNodeList(t.slice('nodes://'.length)) };
  if (scheme)
    throw new DiscoveryError(`unknown discovery scheme "${scheme}": expected consul, etcd, etcd2, zk, file or nodes`);
  return { kind: 'nodes', addrs: parseNodeList(t) };
}

/** `h1:2375,h2:2375`, ranges expanded, duplicates dropped, order kept. */
export function parseNodeList(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    for (const a of expandRange(p)) {
      let hp;
      try {
        hp = parseHostPort(a);
      } catch {
        throw new DiscoveryError(`invalid node address "${a}": expected HOST:PORT`);
      }
      const addr = formatHostPort(hp);
      if (!out.includes(addr)) out.push(addr);
    }
  }
  if (out.length === 0) throw new DiscoveryError('expected at least one HOST:PORT');
  return out;
}

/** `10.0.0.[10:20]:2375` -> 11 addresses. At most one range per address. */
export function expandRange(text: string): string[] {
  const m = /^(.*)\[(\d+):(\d+)\](.*)$/.exec(text);
  if (!m) {
    if (/[[\]]/.test(text) && !/^\[[0-9a-fA-F:.]+\](:\d+)?$/.test(text))
      throw new DiscoveryError(`invalid range in "${text}": expected [FROM:TO]`);
    return [text];
  }
  const from = Number(m[2]);
  const to = Number(m[3]);
  if (from > to) throw new DiscoveryError(`invalid range in "${text}": ${from} is above ${to}`);
  if (to - from + 1 > MAX_RANGE)
    throw new DiscoveryError(`invalid range in "${text}": more than ${MAX_RANGE} addresses`);
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`${m[1]}${i}${m[4]}`);
  return out;
}

/** The lines of a discovery file: one entry (or comma list / range) a line, `#` comments, blanks ignored. */
export function parseNodeFile(content: string): string[] {
  const out: string[] = [];
  for (const raw of content.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    for (const a of parseNodeList(line)) if (!out.includes(a)) out.push(a);
  }
  return out;
}

/**
 * Addresses from store entries written by `shoal join`: the key's last segment (or the value) is host:port.
 * Entries that name neither are returned as `skipped` (the caller warns); the managers' own keys are not.
 */
export function parseSwarmEntries(entries: readonly { key: string; value: string }[]): {
  addrs: string[];
  skipped: string[];
} {
  const addrs: string[] = [];
  const skipped: string[] = [];
  for (const e of entries) {
    if (e.key.startsWith('docker/')) continue; // the managers' own keys (leader election), never an engine
    const last = e.key.split('/').pop() ?? '';
    let found = false;
    for (const cand of [last, e.value.trim()]) {
      try {
        const a = formatHostPort(parseHostPort(cand));
        if (!addrs.includes(a)) addrs.push(a);
        found = true;
        break;
      } catch {
        // not an address; try the value, then skip the entry
      }
    }
    if (!found) skipped.push(e.key);
  }
  return { addrs, skipped };
}

export function addrsFromEntries(entries: readonly { key: string; value: string }[]): string[] {
  return parseSwarmEntries(entries).addrs;
}
