/**
 * Store entries -> typed service model. Pure. A key is `<name>-<port>/<host>:<container>:<cport>[:udp]`, a value
 * `ip:port` or `[v6]:port`. Anything that does not parse, or that is not safe to print as a proxy config token,
 * is skipped with one reason per entry (the caller logs and counts them); it never reaches a template.
 */
import net from 'node:net';
import type { KV } from '../store/store.js';

export type Protocol = 'tcp' | 'udp';

export interface Backend {
  host: string;
  container: string;
  /** The container's port (from the key). */
  containerPort: number;
  ip: string;
  port: number;
  /** `ip:port`, `[v6]:port`. */
  address: string;
}

export interface Service {
  /** `name-port`, as in the key. */
  id: string;
  name: string;
  port: number;
  protocol: Protocol;
  udp: boolean;
  /** True for the lowest-port TCP service of its name: it owns the `<name>.<domain>` and `/<name>/` routes. */
  primary: boolean;
  backends: Backend[];
}

export interface Skipped {
  key: string;
  reason: string;
}

export interface Model {
  services: Service[];
  skipped: Skipped[];
}

/** A token that is safe unquoted in HAProxy and Nginx configs, in a Host header and in a URL path segment. */
const TOKEN = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,126}[A-Za-z0-9_])?$/;

export function isSafeToken(s: string): boolean {
  return TOKEN.test(s) && !s.includes('..');
}

function port(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ServiceKey {
  name: string;
  port: number;
  host: string;
  container: string;
  containerPort: number;
  protocol: Protocol;
}

export function parseServiceKey(key: string): Parsed<ServiceKey> {
  const segs = key.split('/');
  if (segs.length !== 2) return { ok: false, reason: 'key is not <name>-<port>/<host>:<container>:<port>[:udp]' };
  const [svc, inst] = segs as [string, string];
  const dash = svc.lastIndexOf('-');
  if (dash <= 0 || dash === svc.length - 1) return { ok: false, reason: 'service segment is not <name>-<port>' };
  const name = svc.slice(0, dash);
  if (!isSafeToken(name)) return { ok: false, reason: 'service name is not a safe config token ([A-Za-z0-9_.-])' };
  const p = port(svc.slice(dash + 1));
  if (p === undefined) return { ok: false, reason: 'service port out of range 1-65535' };
  const parts = inst.split(':');
  if (parts.length < 3 || parts.length > 4)
    return { ok: false, reason: 'instance segment is not <host>:<container>:<port>[:udp]' };
  const [host, container, cportText, proto] = parts as [string, string, string, string | undefined];
  if (proto !== undefined && proto !== 'udp' && proto !== 'tcp')
    return { ok: false, reason: 'protocol suffix is not udp' };
  if (!isSafeToken(host)) return { ok: false, reason: 'host is not a safe config token' };
  if (!isSafeToken(container)) return { ok: false, reason: 'container is not a safe config token' };
  const cport = port(cportText);
  if (cport === undefined) return { ok: false, reason: 'container port out of range 1-65535' };
  return {
    ok: true,
    value: { name, port: p, host, container, containerPort: cport, protocol: proto === 'udp' ? 'udp' : 'tcp' },
  };
}

export function parseAddress(value: string): Parsed<{ ip: string; port: number; address: string }> {
  const v = value.trim();
  const m = /^\[([0-9A-Fa-f:.]+)\]:([^:]+)$/.exec(v) ?? /^([0-9.]+):([^:]+)$/.exec(v);
  if (!m) return { ok: false, reason: 'value is not ip:port or [v6]:port' };
  const ip = m[1] as string;
  const family = net.isIP(ip);
  if (family === 0) return { ok: false, reason: 'value is not an IP address' };
  if (family === 6 && !v.startsWith('[')) return { ok: false, reason: 'IPv6 value must be [v6]:port' };
  const p = port(m[2] as string);
  if (p === undefined) return { ok: false, reason: 'value port out of range 1-65535' };
  return { ok: true, value: { ip, port: p, address: family === 6 ? `[${ip}]:${p}` : `${ip}:${p}` } };
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** Entries -> services sorted by name, port, protocol; backends sorted by host, container, container port. */
export function parseEntries(entries: readonly KV[]): Model {
  const byId = new Map<string, Service>();
  const skipped: Skipped[] = [];
  for (const e of entries) {
    const k = parseServiceKey(e.key);
    if (!k.ok) {
      skipped.push({ key: e.key, reason: k.reason });
      continue;
    }
    const a = parseAddress(e.value);
    if (!a.ok) {
      skipped.push({ key: e.key, reason: a.reason });
      continue;
    }
    const { name, port: p, protocol } = k.value;
    const mapKey = `${name}\u0000${p}\u0000${protocol}`;
    let s = byId.get(mapKey);
    if (!s) {
      s = { id: `${name}-${p}`, name, port: p, protocol, udp: protocol === 'udp', primary: false, backends: [] };
      byId.set(mapKey, s);
    }
    s.backends.push({
      host: k.value.host,
      container: k.value.container,
      containerPort: k.value.containerPort,
      ...a.value,
    });
  }
  const services = [...byId.values()].sort(
    (a, b) => cmp(a.name, b.name) || cmp(a.port, b.port) || cmp(a.protocol, b.protocol),
  );
  const named = new Set<string>();
  for (const s of services) {
    if (s.udp || named.has(s.name)) continue;
    named.add(s.name);
    s.primary = true;
  }
  for (const s of services)
    s.backends.sort(
      (a, b) => cmp(a.host, b.host) || cmp(a.container, b.container) || cmp(a.containerPort, b.containerPort),
    );
  return { services, skipped };
}
