/**
 * From a Docker `POST /containers/create` body to what the scheduler needs, and the body the engine gets:
 * placement expressions moved out of `Env` into the `com.docker.swarm.*` labels (so a restarted manager and
 * the rescheduler can read them back), plus the `com.docker.swarm.id` label. Pure.
 */
import { formatExpr, parseExpr, type Expr } from './expr.js';
import type { HostPort } from './node.js';

export const LABEL = {
  id: 'com.docker.swarm.id',
  constraints: 'com.docker.swarm.constraints',
  affinities: 'com.docker.swarm.affinities',
  whitelists: 'com.docker.swarm.whitelists',
  reschedule: 'com.docker.swarm.reschedule-policies',
  global: 'shoal.global',
} as const;

export interface PlacementRequest {
  name: string | undefined;
  image: string;
  constraints: Expr[];
  affinities: Expr[];
  whitelists: Expr[];
  reschedule: string[];
  /** One container per matching node (`constraint:global==true` or label `shoal.global=true`). */
  global: boolean;
  ports: HostPort[];
  hostNetwork: boolean;
  /** Containers that must live on the same node: --volumes-from, --link, --net=container:. */
  dependencies: string[];
  /** The dependencies as the flags that asked for them (`--link=db:db`), for a failed placement's message. */
  dependencyFlags?: string[];
  cpus: number;
  memory: number;
}

export interface CreateBody {
  Image?: unknown;
  Env?: unknown;
  Labels?: unknown;
  ExposedPorts?: unknown;
  HostConfig?: {
    PortBindings?: unknown;
    NetworkMode?: unknown;
    VolumesFrom?: unknown;
    Links?: unknown;
    CpuShares?: unknown;
    NanoCpus?: unknown;
    Memory?: unknown;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export class CreateBodyError extends Error {
  readonly code = 'SHOAL_MANAGE_BAD_CREATE';
}

const KINDS = ['constraint', 'affinity', 'whitelist'] as const;
type Kind = (typeof KINDS)[number];
const KIND_LABEL: Record<Kind, string> = {
  constraint: LABEL.constraints,
  affinity: LABEL.affinities,
  whitelist: LABEL.whitelists,
};

function stringList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new CreateBodyError(`${what}: expected a list of strings`);
  return v as string[];
}

/**
 * An expression label's JSON list. `\!=` (a shell-escaped `!=` that made the JSON invalid) reads as `!=`;
 * other invalid JSON is refused naming the label (classic Swarm silently ignored the label: a deliberate
 * difference, see the manage section of the README).
 */
export function labelList(labels: Record<string, string>, key: string): string[] {
  const raw = labels[key];
  if (raw === undefined || raw === '') return [];
  for (const text of [raw, raw.replace(/\\!/g, '!')]) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      continue;
    }
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
    break;
  }
  throw new CreateBodyError(`label ${key}: expected a JSON list of strings`);
}

/** Classic Swarm's check: at most one policy (environment and label together), each one it knows. */
export function checkReschedule(policies: readonly string[]): void {
  const unknown = policies.find((p) => p !== 'on-node-failure' && p !== 'off');
  if (unknown !== undefined) throw new CreateBodyError(`invalid reschedule policy: ${unknown}`);
  if (policies.length > 1) throw new CreateBodyError('too many reschedule policies');
}

export function prepareCreate(
  input: unknown,
  name: string | undefined,
  swarmId: string,
): { request: PlacementRequest; body: CreateBody } {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new CreateBodyError('expected a JSON object');
  const body = input as CreateBody;
  if (typeof body.Image !== 'string' || body.Image === '') throw new CreateBodyError('Image: expected an image name');
  const labelsIn = body.Labels ?? {};
  if (typeof labelsIn !== 'object' || labelsIn === null || Array.isArray(labelsIn))
    throw new CreateBodyError('Labels: expected an object');
  const labels = { ...(labelsIn as Record<string, string>) };
  const hc = body.HostConfig ?? {};
  if (typeof hc !== 'object' || hc === null) throw new CreateBodyError('HostConfig: expected an object');

  const raw: Record<Kind, string[]> = { constraint: [], affinity: [], whitelist: [] };
  for (const k of KINDS) raw[k].push(...labelList(labels, KIND_LABEL[k]));
  const reschedule = labelList(labels, LABEL.reschedule);
  const env: string[] = [];
  for (const e of stringList(body.Env, 'Env')) {
    const m = /^(constraint|affinity|whitelist|reschedule):(.*)$/s.exec(e);
    if (!m) {
      env.push(e);
      continue;
    }
    if (m[1] === 'reschedule') reschedule.push(m[2] as string);
    else raw[m[1] as Kind].push(m[2] as string);
  }
  checkReschedule(reschedule);

  let exprs: Record<Kind, Expr[]>;
  try {
    exprs = {
      constraint: raw.constraint.map(parseExpr),
      affinity: raw.affinity.map(parseExpr),
      whitelist: raw.whitelist.map(parseExpr),
    };
  } catch (err) {
    throw new CreateBodyError((err as Error).message);
  }
  let global = labels[LABEL.global] === 'true';
  exprs.constraint = exprs.constraint.filter((e) => {
    if (e.key === 'global' && e.op === '==' && e.value.toLowerCase() === 'true') {
      global = true;
      return false;
    }
    return true;
  });

  // `--net NODE/NET`: NET on NODE, as classic Swarm reads it (the prefix is a node constraint)
  const net = nodeNetwork(typeof hc.NetworkMode === 'string' ? hc.NetworkMode : '');
  if (net) exprs.constraint.push({ key: 'node', op: '==', value: net.node, soft: false });

  for (const k of KINDS) {
    if (exprs[k].length > 0) labels[KIND_LABEL[k]] = JSON.stringify(exprs[k].map(formatExpr));
    else delete labels[KIND_LABEL[k]];
  }
  if (reschedule.length > 0) labels[LABEL.reschedule] = JSON.stringify([...new Set(reschedule)]);
  if (global) labels[LABEL.global] = 'true';
  labels[LABEL.id] = swarmId;

  const networkMode = net ? net.network : typeof hc.NetworkMode === 'string' ? hc.NetworkMode : '';
  const hostNetwork = networkMode === 'host';
  const ports = hostNetwork ? exposedPorts(body.ExposedPorts) : boundPorts(hc.PortBindings);
  const volumesFrom = stringList(hc.VolumesFrom, 'HostConfig.VolumesFrom');
  const links = stringList(hc.Links, 'HostConfig.Links');
  const netContainer = networkMode.startsWith('container:') ? [networkMode.slice('container:'.length)] : [];
  const dependencies = [
    ...volumesFrom.map((v) => v.split(':')[0] as string),
    ...links.map((v) => (v.split(':')[0] as string).replace(/^\//, '')),
    ...netContainer,
  ].filter((d) => d !== '');
  const dependencyFlags = [
    ...volumesFrom.map((v) => `--volumes-from=${v}`),
    ...links.map((v) => `--link=${v}`),
    ...netContainer.map((c) => `--net=container:${c}`),
  ];
  const nano = Number(hc.NanoCpus ?? 0);
  const cpus = Number(hc.CpuShares ?? 0) || (nano > 0 ? nano / 1e9 : 0);
  const memory = Number(hc.Memory ?? 0) || 0;

  const out: CreateBody = { ...body, Labels: labels };
  if (net) {
    out.HostConfig = { ...hc, NetworkMode: net.network };
    out['NetworkingConfig'] = withoutNodePrefix(body['NetworkingConfig'], net);
  }
  if (body.Env !== undefined) out.Env = env;
  return {
    request: {
      name,
      image: body.Image,
      constraints: exprs.constraint,
      affinities: exprs.affinity,
      whitelists: exprs.whitelist,
      reschedule,
      global,
      ports,
      hostNetwork,
      dependencies,
      dependencyFlags,
      cpus,
      memory,
    },
    body: out,
  };
}

/** `NODE/NET` as a network mode (not `container:...`): the node and the network's name on it. */
export function nodeNetwork(mode: string): { node: string; network: string } | undefined {
  if (mode.startsWith('container:')) return undefined;
  const i = mode.indexOf('/');
  return i > 0 && i < mode.length - 1 ? { node: mode.slice(0, i), network: mode.slice(i + 1) } : undefined;
}

/** The endpoint the CLI keyed by `NODE/NET`, keyed by `NET` as the engine knows it. */
function withoutNodePrefix(config: unknown, net: { node: string; network: string }): unknown {
  const endpoints = (config as { EndpointsConfig?: unknown } | undefined)?.EndpointsConfig;
  if (typeof endpoints !== 'object' || endpoints === null) return config;
  const full = `${net.node}/${net.network}`;
  const renamed = Object.fromEntries(
    Object.entries(endpoints as Record<string, unknown>).map(([k, v]) => [k === full ? net.network : k, v]),
  );
  return { ...(config as object), EndpointsConfig: renamed };
}

function parseProtoPort(key: string): { port: number; proto: HostPort['proto'] } | undefined {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
  if (!m) return undefined;
  return { port: Number(m[1]), proto: (m[2] ?? 'tcp') as HostPort['proto'] };
}

/** Host ports named by `-p`; dynamic ones (no host port) hold nothing yet. */
export function boundPorts(bindings: unknown): HostPort[] {
  if (typeof bindings !== 'object' || bindings === null) return [];
  const out: HostPort[] = [];
  for (const [key, list] of Object.entries(bindings as Record<string, unknown>)) {
    const pp = parseProtoPort(key);
    if (!pp || !Array.isArray(list)) continue;
    for (const b of list as { HostIp?: string; HostPort?: string }[]) {
      const hostPort = Number(b?.HostPort ?? 0);
      if (hostPort > 0) out.push({ hostIp: b?.HostIp ?? '', hostPort, proto: pp.proto });
    }
  }
  return out;
}

/** With `--net=host` every exposed port is a host port. */
export function exposedPorts(exposed: unknown): HostPort[] {
  if (typeof exposed !== 'object' || exposed === null) return [];
  const out: HostPort[] = [];
  for (const key of Object.keys(exposed)) {
    const pp = parseProtoPort(key);
    if (pp) out.push({ hostIp: '', hostPort: pp.port, proto: pp.proto });
  }
  return out;
}
