/**
 * The decision at the heart of the registrator: which services a container offers. A pure function of the
 * container (plain ContainerInfo) and the options; invalid names come back as `rejected`, for the shell to log.
 */
import { isIP } from 'node:net';
import type { ContainerInfo, ContainerPort, PortBinding } from '../docker/container.js';
import { isTruthy, metadataOf, portMetadata, RESERVED_KEYS, splitTags } from './metadata.js';
import { defaultServiceName, unsafeTokenReason } from './names.js';
import type { Service } from './service.js';

export interface ServiceOptions {
  /** `<dockerhost>` in ids. */
  dockerHost: string;
  /** `--ip`: the address registered for published ports. */
  ip: string | undefined;
  /** Used when a binding is on a wildcard address and no --ip is given (the engine host's address). */
  defaultIp: string;
  internal: boolean;
  explicit: boolean;
  useIpFromLabel: string | undefined;
  tags: string[];
  nameSuffix: 'always' | 'multi';
}

export interface Rejected {
  port: number;
  reason: string;
}

export interface ServicesResult {
  services: Service[];
  rejected: Rejected[];
}

const WILDCARD = new Set(['', '0.0.0.0', '::']);

function pickBinding(bindings: PortBinding[]): PortBinding | undefined {
  return bindings.find((b) => !b.hostIp.includes(':')) ?? bindings[0];
}

function containerIp(c: ContainerInfo): string | undefined {
  const preferred = c.networks.find((n) => n.name === c.networkMode) ?? c.networks.find((n) => n.ip ?? n.ipv6);
  return preferred?.ip ?? preferred?.ipv6;
}

function ipFor(
  c: ContainerInfo,
  binding: PortBinding | undefined,
  opts: ServiceOptions,
  hostMode: boolean,
): string | undefined {
  if (opts.useIpFromLabel !== undefined) {
    const fromLabel = c.labels[opts.useIpFromLabel];
    if (fromLabel) return fromLabel;
  }
  if (opts.internal) return containerIp(c);
  if (opts.ip) return opts.ip;
  if (!hostMode && binding && !WILDCARD.has(binding.hostIp)) return binding.hostIp;
  return opts.defaultIp;
}

export function servicesFor(c: ContainerInfo, opts: ServiceOptions): ServicesResult {
  const md = metadataOf(c.env, c.labels);
  if (isTruthy(md.general.ignore)) return { services: [], rejected: [] };
  const hostMode = c.networkMode === 'host';
  const usable = (p: ContainerPort) => opts.internal || hostMode || p.bindings.length > 0;
  const ports = c.ports.filter((p) => {
    if (!usable(p)) return false;
    const { merged } = portMetadata(md, p.port);
    if (isTruthy(merged.ignore)) return false;
    if (opts.explicit && !merged.name) return false;
    return true;
  });
  const services: Service[] = [];
  const rejected: Rejected[] = [];
  for (const p of ports) {
    const { merged, own } = portMetadata(md, p.port);
    const binding = hostMode || opts.internal ? undefined : pickBinding(p.bindings);
    const base = merged.name ?? defaultServiceName(c.labels, c.image);
    const suffix = opts.nameSuffix === 'always' || (ports.length > 1 && !own.name);
    const name = suffix ? `${base}-${p.port}` : base;
    const udp = p.protocol === 'udp' ? ':udp' : '';
    const idPart = merged.id ?? `${c.name}:${p.port}`;
    const tags = [...new Set([...opts.tags, ...splitTags(merged.tags), ...(p.protocol === 'udp' ? ['udp'] : [])])];
    const ip = ipFor(c, binding, opts, hostMode);
    const reject = (reason: string) => rejected.push({ port: p.port, reason });
    const nameWhy = unsafeTokenReason(name);
    if (nameWhy) {
      reject(`service name ${JSON.stringify(name)} ${nameWhy}`);
      continue;
    }
    const idWhy = unsafeTokenReason(idPart);
    if (idWhy) {
      reject(`service id ${JSON.stringify(idPart)} ${idWhy}`);
      continue;
    }
    const badTag = tags.map((t) => [t, unsafeTokenReason(t)] as const).find(([, why]) => why !== undefined);
    if (badTag) {
      reject(`tag ${JSON.stringify(badTag[0])} ${badTag[1]}`);
      continue;
    }
    if (ip === undefined || isIP(ip) === 0) {
      reject(ip === undefined ? 'no IP address for the service' : `IP ${JSON.stringify(ip)} is not an address`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(merged)) if (!RESERVED_KEYS.has(k)) attrs[k] = v;
    services.push({
      id: `${opts.dockerHost}:${idPart}${udp}`,
      name,
      ip,
      port: binding ? binding.hostPort : p.port,
      containerPort: p.port,
      protocol: p.protocol,
      tags,
      attrs,
      containerId: c.id,
      containerName: c.name,
      dockerHost: opts.dockerHost,
    });
  }
  return { services, rejected };
}
