/**
 * The engine's container-create body for a task, as swarm's agent makes it (contract section 6): Command ->
 * Entrypoint, Args -> Cmd, swarm's labels, limits (never reservations), mounts, init, no restart policy
 * (the orchestrator restarts tasks), host-mode ports bound on the node, the healthcheck copied.
 * Ingress-mode ports have no routing mesh here: their target port is published on an ephemeral host port
 * (HostIp and HostPort empty, exactly as `docker run -p 80` asks), so the engine binds it on its own address
 * and the host's registrator registers the task under the service name for the edge to route.
 */
import { taskLabels, taskName } from './names.js';
import type { NodeFacts } from './constraints.js';
import type { ServiceSpec } from './types.js';

export interface TaskRef {
  id: string;
  serviceId: string;
  slot: number;
  nodeId: string;
  specKey: string;
}

export interface ContainerCreate {
  name: string;
  body: Record<string, unknown>;
}

/** Swarm's template placeholders in Hostname, Env and mount paths. */
function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{\s*(\.[A-Za-z.]+)\s*\}\}/g, (whole, key: string) => vars[key] ?? whole);
}

export function containerCreate(task: TaskRef, spec: ServiceSpec, node: NodeFacts): ContainerCreate {
  const cs = spec.TaskTemplate.ContainerSpec;
  const name = taskName(spec.Name, task.slot, task.nodeId, task.id);
  const vars: Record<string, string> = {
    '.Service.ID': task.serviceId,
    '.Service.Name': spec.Name,
    '.Node.ID': node.id,
    '.Node.Hostname': node.hostname,
    '.Node.Platform.OS': node.platform.os,
    '.Node.Platform.Architecture': node.platform.arch,
    '.Task.ID': task.id,
    '.Task.Name': name,
    '.Task.Slot': String(task.slot > 0 ? task.slot : task.nodeId),
  };
  const limits = spec.TaskTemplate.Resources.Limits;
  const host: Record<string, unknown> = {
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    Mounts: cs.Mounts.map((m) => ({
      ...m,
      Target: expand(m.Target, vars),
      ...(m.Source === undefined ? {} : { Source: expand(m.Source, vars) }),
    })),
  };
  if (limits.NanoCPUs > 0) host.NanoCpus = limits.NanoCPUs;
  if (limits.MemoryBytes > 0) host.Memory = limits.MemoryBytes;
  if (cs.Init !== undefined) host.Init = cs.Init;
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.EndpointSpec.Ports) {
    const key = `${p.TargetPort}/${p.Protocol}`;
    exposed[key] = {};
    const hostPort = p.PublishMode === 'host' && p.PublishedPort > 0 ? String(p.PublishedPort) : '';
    const list = (bindings[key] ??= []);
    // Two ingress ports on one target need only one ephemeral binding.
    if (!list.some((b) => b.HostPort === hostPort)) list.push({ HostIp: '', HostPort: hostPort });
  }
  if (Object.keys(bindings).length > 0) host.PortBindings = bindings;
  const body: Record<string, unknown> = {
    Image: cs.Image,
    Env: cs.Env.map((e) => expand(e, vars)),
    Labels: taskLabels(
      {
        serviceId: task.serviceId,
        serviceName: spec.Name,
        taskId: task.id,
        slot: task.slot,
        nodeId: task.nodeId,
        specKey: task.specKey,
      },
      cs.Labels,
    ),
    HostConfig: host,
  };
  if (cs.Command) body.Entrypoint = cs.Command;
  if (cs.Args) body.Cmd = cs.Args;
  if (cs.Dir) body.WorkingDir = cs.Dir;
  if (cs.User) body.User = cs.User;
  if (cs.TTY) body.Tty = true;
  if (cs.Hostname) body.Hostname = expand(cs.Hostname, vars);
  if (cs.StopSignal) body.StopSignal = cs.StopSignal;
  if (cs.Healthcheck) body.Healthcheck = cs.Healthcheck;
  if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  return { name, body };
}
