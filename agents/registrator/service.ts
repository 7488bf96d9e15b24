/**
 * The plain `Service` value and its place in the store (KV layout):
 *   `<name>/<dockerhost>:<container-name>:<container-port>[:udp]` = `<ip>:<host-port>`
 * relative to the registry prefix. `SERVICE_ID` replaces `<container-name>:<container-port>`; the
 * `<dockerhost>:` part always stays so that a host only ever touches its own entries. Pure.
 */
import type { Protocol } from '../docker/container.js';

export interface Service {
  /** `<dockerhost>:<container-name>:<container-port>[:udp]` (or `<dockerhost>:<SERVICE_ID>`). */
  id: string;
  /** With the `-<port>` suffix when the naming rule adds it. */
  name: string;
  ip: string;
  /** The port clients connect to (host port, or the exposed port with --internal / net=host). */
  port: number;
  /** The container's exposed port. */
  containerPort: number;
  protocol: Protocol;
  tags: string[];
  attrs: Record<string, string>;
  containerId: string;
  containerName: string;
  dockerHost: string;
}

export function formatAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function keyFor(s: Service): string {
  return `${s.name}/${s.id}`;
}

export function valueFor(s: Service): string {
  return formatAddress(s.ip, s.port);
}

export interface ParsedKey {
  name: string;
  id: string;
  dockerHost: string;
  /** Present when the id has the default `<host>:<container>:<port>[:udp]` form. */
  containerName: string | undefined;
}

/** The parts of a logical key, or undefined when it is not a service entry. */
export function parseKey(key: string): ParsedKey | undefined {
  const segs = key.split('/');
  if (segs.length !== 2) return undefined;
  const [name, id] = segs as [string, string];
  const parts = id.split(':');
  if (name === '' || parts.length < 2 || parts[0] === '') return undefined;
  const dockerHost = parts[0] as string;
  const container = parts.length >= 3 && /^\d+$/.test(parts[2] as string) ? parts[1] : undefined;
  return { name, id, dockerHost, containerName: container };
}

/** Whether `key` is an entry this Docker host owns. */
export function ownedBy(key: string, dockerHost: string): boolean {
  return parseKey(key)?.dockerHost === dockerHost;
}
