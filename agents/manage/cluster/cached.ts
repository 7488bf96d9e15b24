/** What an EngineNode keeps per container between refreshes, and how an entry is built from the engine's answers. */
import type { ContainerSnapshot } from '../scheduler/node.js';
import { containerSnapshot } from '../engine/convert.js';
import type { ContainerInspect, ContainerSummary } from '../../docker/wire.js';

export interface CachedContainer {
  snap: ContainerSnapshot;
  summary: ContainerSummary;
  /** Kept for containers that ask to be rescheduled: their config must outlive the node. */
  inspect?: ContainerInspect | undefined;
  /** When the container last started and ended (epoch ms), from its inspect: a task's Monitor window. */
  times?: ContainerTimes;
}

export interface ContainerTimes {
  startedAt?: number;
  finishedAt?: number;
}

/** State.StartedAt / FinishedAt; Docker's zero time (year 1) means never. */
export function containerTimes(inspect: ContainerInspect | undefined): ContainerTimes | undefined {
  const at = (v: string | undefined) => {
    const ms = v ? Date.parse(v) : NaN;
    return Number.isFinite(ms) && ms > 0 ? ms : undefined;
  };
  const startedAt = at(inspect?.State?.StartedAt);
  const finishedAt = at(inspect?.State?.FinishedAt);
  if (startedAt === undefined && finishedAt === undefined) return undefined;
  return {
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
  };
}

export const wantsReschedule = (labels: Record<string, string> | null | undefined) =>
  (labels?.['com.docker.swarm.reschedule-policies'] ?? '').includes('on-node-failure');

/**
 * A container just listed and inspected (`inspect` undefined when the inspect failed) on a node of
 * `nodeCpus` CPUs (its CPU shares read as the CPUs they reserve).
 */
export function inspected(
  s: ContainerSummary,
  inspect: ContainerInspect | undefined,
  nodeCpus: number,
): CachedContainer {
  return {
    snap: containerSnapshot(s, inspect, nodeCpus),
    summary: s,
    inspect: wantsReschedule(s.Labels) ? inspect : undefined,
    times: containerTimes(inspect),
  };
}

/** A container listed again in the same state: not inspected again, the sizes and ports already known are kept. */
export function relisted(old: CachedContainer, s: ContainerSummary): CachedContainer {
  return {
    snap: {
      ...containerSnapshot(s, undefined, 0),
      ports: mergePorts(old.snap, s),
      cpus: old.snap.cpus,
      memory: old.snap.memory,
    },
    summary: s,
    inspect: old.inspect,
    times: old.times,
  };
}

function mergePorts(old: ContainerSnapshot, s: ContainerSummary): ContainerSnapshot['ports'] {
  return containerSnapshot(s, undefined, 0).ports.reduce(
    (acc, p) =>
      acc.some((q) => q.hostIp === p.hostIp && q.hostPort === p.hostPort && q.proto === p.proto) ? acc : [...acc, p],
    old.ports,
  );
}
