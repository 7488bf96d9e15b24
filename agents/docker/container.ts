/**
 * A container as the agents see it: plain values mapped once from the Engine API's inspect answer, so no
 * dockerode type reaches a decision. Pure.
 */

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface PortBinding {
  hostIp: string;
  hostPort: number;
}

export interface ContainerPort {
  port: number;
  protocol: Protocol;
  /** Published bindings (empty when only exposed). */
  bindings: PortBinding[];
}

export interface ContainerNetwork {
  name: string;
  ip: string | undefined;
  ipv6: string | undefined;
}

export type HealthStatus = 'none' | 'starting' | 'healthy' | 'unhealthy';

export interface ContainerInfo {
  id: string;
  /** Without the leading `/`. */
  name: string;
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Exposed ports, with their published bindings; sorted by port then protocol. */
  ports: ContainerPort[];
  networks: ContainerNetwork[];
  /** `bridge`, `host`, `none`, `container:<id>` or a user network name. */
  networkMode: string;
  /** `created`, `running`, `paused`, `restarting`, `exited`, `dead`, `removing`. */
  state: string;
  running: boolean;
  paused: boolean;
  health: HealthStatus;
  exitCode: number;
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function parseEnv(list: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (!Array.isArray(list)) return env;
  for (const item of list) {
    if (typeof item !== 'string') continue;
    const i = item.indexOf('=');
    if (i <= 0) continue;
    env[item.slice(0, i)] = item.slice(i + 1);
  }
  return env;
}

/** `80/tcp` -> {port: 80, protocol: 'tcp'}; undefined for anything else. */
export function parsePortKey(key: string): { port: number; protocol: Protocol } | undefined {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key);
  if (!m) return undefined;
  const port = Number(m[1]);
  if (port < 1 || port > 65535) return undefined;
  return { port, protocol: (m[2] as Protocol | undefined) ?? 'tcp' };
}

function mapPorts(exposed: Json, published: Json): ContainerPort[] {
  const byKey = new Map<string, ContainerPort>();
  for (const key of [...Object.keys(exposed), ...Object.keys(published)]) {
    const p = parsePortKey(key);
    if (!p) continue;
    const k = `${p.port}/${p.protocol}`;
    if (!byKey.has(k)) byKey.set(k, { ...p, bindings: [] });
    const entry = byKey.get(k) as ContainerPort;
    const list = published[key];
    if (!Array.isArray(list) || entry.bindings.length > 0) continue;
    for (const b of list) {
      const hostPort = Number(obj(b).HostPort);
      if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) continue;
      entry.bindings.push({ hostIp: str(obj(b).HostIp) ?? '', hostPort });
    }
  }
  return [...byKey.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

function mapHealth(state: Json): HealthStatus {
  const s = str(obj(state.Health).Status);
  return s === 'starting' || s === 'healthy' || s === 'unhealthy' ? s : 'none';
}

/** Map a `GET /containers/{id}/json` answer. */
export function toContainerInfo(raw: unknown): ContainerInfo {
  const c = obj(raw);
  const config = obj(c.Config);
  const state = obj(c.State);
  const net = obj(c.NetworkSettings);
  const networks = Object.entries(obj(net.Networks))
    .map(([name, n]) => ({ name, ip: str(obj(n).IPAddress), ipv6: str(obj(n).GlobalIPv6Address) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(config.Labels))) if (typeof v === 'string') labels[k] = v;
  return {
    id: str(c.Id) ?? '',
    name: (str(c.Name) ?? '').replace(/^\//, ''),
    image: str(config.Image) ?? str(c.Image) ?? '',
    env: parseEnv(config.Env),
    labels,
    ports: mapPorts(obj(config.ExposedPorts), obj(net.Ports)),
    networks,
    networkMode: str(obj(c.HostConfig).NetworkMode) ?? 'default',
    state: str(state.Status) ?? 'unknown',
    running: state.Running === true,
    paused: state.Paused === true,
    health: mapHealth(state),
    exitCode: typeof state.ExitCode === 'number' ? state.ExitCode : 0,
  };
}
