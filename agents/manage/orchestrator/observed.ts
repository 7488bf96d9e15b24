/**
 * What the orchestrator reads off the manager's views: the swarm nodes as the reconciler sees them (node record
 * joined with the engine) and the task containers in an engine's container listing (identity from the labels,
 * exit code and health from the listing's status text). Pure.
 */
import type { ContainerSummary } from '../../docker/wire.js';
import type { ContainerTimes } from '../cluster/cached.js';
import { identityFromLabels } from '../services/names.js';
import type { NodeInfo, ObservedTask } from '../services/model.js';
import { nodeState } from '../swarm/nodes.js';
import type { Joined } from '../swarm/service.js';

export function nodeInfo(j: Joined): NodeInfo {
  const e = j.engine;
  const arch = e?.labels.architecture || (process.arch === 'x64' ? 'x86_64' : process.arch);
  return {
    id: j.rec.id,
    hostname: j.hostname,
    role: j.rec.spec.Role,
    labels: j.rec.spec.Labels,
    engineLabels: e?.labels ?? {},
    platform: { os: e?.labels.ostype ?? 'linux', arch },
    availability: j.rec.spec.Availability,
    state: nodeState(e) === 'ready' ? 'ready' : 'down',
    resources: { NanoCPUs: (e?.cpus ?? 0) * 1e9, MemoryBytes: e?.memory ?? 0 },
  };
}

const STATES = new Set<ObservedTask['state']>([
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]);

/** A task container of the listing (on node `nodeId`), or undefined for any other container. */
export function observedTask(
  s: ContainerSummary & { Status?: string },
  nodeId: string,
  times?: ContainerTimes,
): ObservedTask | undefined {
  const id = identityFromLabels(s.Labels ?? {});
  if (!id) return undefined;
  const status = s.Status ?? '';
  const exited = /^Exited \((-?\d+)\)/.exec(status);
  const health = /\(healthy\)/.test(status)
    ? 'healthy'
    : /\(unhealthy\)/.test(status)
      ? 'unhealthy'
      : /\(health: starting\)/.test(status)
        ? 'starting'
        : 'none';
  const state = STATES.has(s.State as ObservedTask['state']) ? (s.State as ObservedTask['state']) : 'dead';
  return {
    containerId: s.Id,
    nodeId,
    serviceId: id.serviceId,
    serviceName: id.serviceName,
    taskId: id.taskId,
    slot: id.slot,
    specKey: id.specKey,
    state,
    exitCode: exited ? Number(exited[1]) : 0,
    health,
    ...(times?.startedAt !== undefined ? { startedAt: times.startedAt } : {}),
    ...(times?.finishedAt !== undefined && state !== 'running' ? { finishedAt: times.finishedAt } : {}),
  };
}
