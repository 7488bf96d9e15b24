/** Engine answers (/info, /containers/json + inspect, /images/json) to the scheduler's plain values. Pure. */
import type { ContainerSnapshot, HostPort, ImageSnapshot } from '../scheduler/node.js';
import { boundPorts, exposedPorts } from '../scheduler/request.js';
import type { ContainerInspect, ContainerSummary, EngineInfo } from '../../docker/wire.js';

/** Engine labels (`k=v` strings) plus the pseudo-labels constraints can name. */
export function nodeLabels(info: EngineInfo): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of info.Labels ?? []) {
    const i = l.indexOf('=');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
  }
  out['node'] = info.Name ?? info.ID ?? '';
  if (info.Driver) out['storagedriver'] = info.Driver;
  if (info.KernelVersion) out['kernelversion'] = info.KernelVersion;
  if (info.OperatingSystem) out['operatingsystem'] = info.OperatingSystem;
  if (info.OSType) out['ostype'] = info.OSType;
  return out;
}

/**
 * A create body that re-creates an inspected container elsewhere (rescheduling). `cpus` is the CPU count
 * the container reserved: a client's `--cpu-shares` (classic Swarm's CPU count), not the engine's shares.
 */
export function createBodyFrom(i: ContainerInspect, cpus?: number): Record<string, unknown> {
  const { Hostname: _h, Domainname: _d, ...config } = i.Config ?? {};
  const hc = i.HostConfig ?? {};
  return { ...config, HostConfig: cpus !== undefined && hc.CpuShares ? { ...hc, CpuShares: cpus } : hc };
}

/**
 * Classic Swarm reads `--cpu-shares N` as N CPUs reserved and gives the engine its share of the node:
 * `ceil(N * 1024 / node CPUs)` (1 on a 2-CPU node: 512). 0 stays 0 (the engine's default). Pure.
 */
export function engineCpuShares(cpus: number, nodeCpus: number): number {
  if (!(cpus > 0) || !(nodeCpus > 0)) return cpus;
  return Math.ceil((cpus * 1024) / nodeCpus);
}

/** The other way, in classic Swarm's integer arithmetic: the CPUs an engine's shares reserve (512 of 2: 1). */
export function reservedCpus(shares: number, nodeCpus: number): number {
  if (!(shares > 0) || !(nodeCpus > 0)) return 0;
  return Math.floor((shares * nodeCpus) / 1024);
}

/** The create body an engine of `nodeCpus` CPUs gets: `HostConfig.CpuShares` from a CPU count to shares. */
export function bodyForEngine<B extends { HostConfig?: { CpuShares?: unknown; [k: string]: unknown } }>(
  body: B,
  nodeCpus: number,
): B {
  const shares = Number(body.HostConfig?.CpuShares ?? 0);
  if (!(shares > 0)) return body;
  return { ...body, HostConfig: { ...body.HostConfig, CpuShares: engineCpuShares(shares, nodeCpus) } };
}

/** `nodeCpus`: the CPUs of the container's node, to read its CPU shares as the CPUs they reserve. */
export function containerSnapshot(
  s: ContainerSummary,
  inspect: ContainerInspect | undefined,
  nodeCpus: number,
): ContainerSnapshot {
  const hc = inspect?.HostConfig ?? {};
  const net = hc.NetworkMode ?? s.HostConfig?.NetworkMode ?? '';
  const ports: HostPort[] = [];
  const add = (p: HostPort) => {
    if (!ports.some((q) => q.hostIp === p.hostIp && q.hostPort === p.hostPort && q.proto === p.proto)) ports.push(p);
  };
  for (const p of s.Ports ?? [])
    if (p.PublicPort)
      add({ hostIp: p.IP ?? '', hostPort: p.PublicPort, proto: (p.Type ?? 'tcp') as HostPort['proto'] });
  for (const p of boundPorts(hc.PortBindings)) add(p);
  if (net === 'host') for (const p of exposedPorts(inspect?.Config?.ExposedPorts)) add(p);
  return {
    id: s.Id,
    names: (s.Names ?? []).map((n) => n.replace(/^\//, '')).filter((n) => !n.includes('/')),
    image: s.Image ?? '',
    imageId: s.ImageID ?? '',
    labels: s.Labels ?? {},
    ports,
    state: s.State ?? 'unknown',
    cpus: reservedCpus(Number(hc.CpuShares ?? 0), nodeCpus) || (hc.NanoCpus ? hc.NanoCpus / 1e9 : 0),
    memory: Number(hc.Memory ?? 0),
  };
}

export function imageSnapshot(i: { Id: string; RepoTags?: string[] | null }): ImageSnapshot {
  return { id: i.Id, repoTags: i.RepoTags ?? [] };
}
