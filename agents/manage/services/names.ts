/**
 * Names and IDs as swarm makes them: service names (a DNS label), 25-character base-36 object IDs, task
 * container names `<service>.<slot>.<taskid>` (global: `<service>.<nodeid>.<taskid>`) and task labels.
 */
import { randomBytes } from 'node:crypto';
import { SpecError } from './errors.js';

const DNS_NAME = /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/;

/** Docker's service name rule: a DNS name component of at most 63 characters. */
export function validateServiceName(name: string, field = 'Name'): string {
  if (name === '') throw new SpecError(field, 'name must be provided');
  if (name.length > 63) throw new SpecError(field, 'name must be 63 characters or fewer');
  if (!DNS_NAME.test(name)) throw new SpecError(field, `${JSON.stringify(name)} must be valid as a DNS name component`);
  return name;
}

/** Makes object IDs; injected so tests are deterministic. */
export type IdSource = () => string;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A random 25-character lowercase base-36 ID, like swarmkit's. */
export const randomId: IdSource = () => {
  const bytes = randomBytes(25);
  let id = '';
  for (const b of bytes) id += ALPHABET[b % 36];
  return id;
};

/** Sequential IDs for tests: `prefix` + a zero-padded counter, 25 characters. */
export function sequentialIds(prefix = 't'): IdSource {
  let n = 0;
  return () => {
    n++;
    return prefix + String(n).padStart(25 - prefix.length, '0');
  };
}

/** `<service>.<slot>` for a replicated task, `<service>.<nodeid>` for a global one (slot 0). */
export function taskShortName(service: string, slot: number, nodeId: string): string {
  return `${service}.${slot > 0 ? slot : nodeId}`;
}

export function taskName(service: string, slot: number, nodeId: string, taskId: string): string {
  return `${taskShortName(service, slot, nodeId)}.${taskId}`;
}

export const LABEL = {
  nodeId: 'com.docker.swarm.node.id',
  serviceId: 'com.docker.swarm.service.id',
  serviceName: 'com.docker.swarm.service.name',
  task: 'com.docker.swarm.task',
  taskId: 'com.docker.swarm.task.id',
  taskName: 'com.docker.swarm.task.name',
  stack: 'com.docker.stack.namespace',
  /** shoal's own: the task's spec key, so a new leader can tell an up-to-date container from a stale one. */
  specKey: 'shoal.task.spec',
} as const;

export interface TaskIdentity {
  serviceId: string;
  serviceName: string;
  taskId: string;
  slot: number;
  nodeId: string;
  specKey: string;
}

/**
 * The labels swarm adds to a task container, over the spec's container labels (which carry
 * `com.docker.stack.namespace` for stack services, set by the CLI).
 */
export function taskLabels(t: TaskIdentity, containerLabels: Record<string, string>): Record<string, string> {
  return {
    ...containerLabels,
    [LABEL.nodeId]: t.nodeId,
    [LABEL.serviceId]: t.serviceId,
    [LABEL.serviceName]: t.serviceName,
    [LABEL.task]: '',
    [LABEL.taskId]: t.taskId,
    [LABEL.taskName]: taskName(t.serviceName, t.slot, t.nodeId, t.taskId),
    [LABEL.specKey]: t.specKey,
  };
}

/**
 * The task identity back from a container's labels and name; undefined when it is not a task container
 * (no swarm task labels, or labels that contradict its name).
 */
export function identityFromLabels(labels: Record<string, string>): TaskIdentity | undefined {
  const serviceId = labels[LABEL.serviceId];
  const serviceName = labels[LABEL.serviceName];
  const taskId = labels[LABEL.taskId];
  const taskNameLabel = labels[LABEL.taskName];
  const nodeId = labels[LABEL.nodeId];
  if (!serviceId || !serviceName || !taskId || !taskNameLabel || !nodeId || labels[LABEL.task] === undefined)
    return undefined;
  const prefix = `${serviceName}.`;
  const suffix = `.${taskId}`;
  if (!taskNameLabel.startsWith(prefix) || !taskNameLabel.endsWith(suffix)) return undefined;
  const middle = taskNameLabel.slice(prefix.length, taskNameLabel.length - suffix.length);
  let slot = 0;
  if (/^[1-9][0-9]{0,8}$/.test(middle)) slot = Number(middle);
  else if (middle !== nodeId) return undefined;
  return { serviceId, serviceName, taskId, slot, nodeId, specKey: labels[LABEL.specKey] ?? '' };
}
