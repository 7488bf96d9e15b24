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

/** A create body that re-creates an inspected container elsewhere (rescheduling). */
export function createBodyFrom(i: ContainerInspect): Record<string, unknown> {
  const { Hostname: _h, Domainname: _d, ...config } = i.Config ?? {};
  return { ...config, HostConfig: i.HostConfig ?? {} };
}

export function containerSnapshot(s: ContainerSummary, inspect: ContainerInspect | undefined): ContainerSnapshot {
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
    cpus: Number(hc.CpuShares ?? 0) || (hc.NanoCpus ? hc.NanoCpus / 1e9 : 0),
    memory: Number(hc.Memory ?? 0),
  };
}

export function imageSnapshot(i: { Id: string; RepoTags?: string[] | null }): ImageSnapshot {
  return { id: i.Id, repoTags: i.RepoTags ?? [] };
}
