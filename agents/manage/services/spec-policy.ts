/** The scheduling and lifecycle parts of a ServiceSpec: resources, restart, placement, update, mode, ports. */
import { parseConstraint, parseSpread } from './constraints.js';
import { SpecError } from './errors.js';
import { absent, arr, duration, int, need, obj, oneOf, str, type Raw } from './read.js';
import {
  DEFAULT_RESTART,
  DEFAULT_UPDATE,
  type Placement,
  type PortConfig,
  type ResourceSet,
  type RestartPolicy,
  type ServiceMode,
  type UpdateConfig,
} from './types.js';

const MAX_REPLICAS = 100_000;

function resourceSet(v: Raw, path: string): ResourceSet {
  const o = obj(v, path) ?? {};
  return {
    NanoCPUs: int(o.NanoCPUs, `${path}.NanoCPUs`, 0, 1024 * 1e9) ?? 0,
    MemoryBytes: int(o.MemoryBytes, `${path}.MemoryBytes`, 0) ?? 0,
  };
}

export function parseResources(v: Raw, path: string): { Limits: ResourceSet; Reservations: ResourceSet } {
  const o = obj(v, path) ?? {};
  const r = {
    Limits: resourceSet(o.Limits, `${path}.Limits`),
    Reservations: resourceSet(o.Reservations, `${path}.Reservations`),
  };
  if (r.Limits.MemoryBytes !== 0 && r.Limits.MemoryBytes < 6 * 1024 * 1024)
    throw new SpecError(`${path}.Limits.MemoryBytes`, 'the minimum memory limit is 6MB');
  for (const k of ['NanoCPUs', 'MemoryBytes'] as const)
    if (r.Limits[k] !== 0 && r.Reservations[k] > r.Limits[k])
      throw new SpecError(`${path}.Reservations.${k}`, `reservation exceeds the limit (${r.Limits[k]})`);
  return r;
}

export function parseRestartPolicy(v: Raw, path: string): RestartPolicy {
  const o = obj(v, path) ?? {};
  return {
    Condition:
      oneOf(o.Condition, `${path}.Condition`, ['none', 'on-failure', 'any'] as const) ?? DEFAULT_RESTART.Condition,
    Delay: duration(o.Delay, `${path}.Delay`) ?? DEFAULT_RESTART.Delay,
    MaxAttempts: int(o.MaxAttempts, `${path}.MaxAttempts`, 0, 1_000_000) ?? 0,
    Window: duration(o.Window, `${path}.Window`) ?? 0,
  };
}

export function parseUpdateConfig(v: Raw, path: string, rollback: boolean): UpdateConfig {
  const o = obj(v, path) ?? {};
  const ratio = o.MaxFailureRatio;
  if (!absent(ratio) && (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1))
    throw new SpecError(`${path}.MaxFailureRatio`, 'must be a number between 0 and 1');
  const actions = rollback ? (['pause', 'continue'] as const) : (['pause', 'continue', 'rollback'] as const);
  return {
    Parallelism: int(o.Parallelism, `${path}.Parallelism`, 0, MAX_REPLICAS) ?? DEFAULT_UPDATE.Parallelism,
    Delay: duration(o.Delay, `${path}.Delay`) ?? DEFAULT_UPDATE.Delay,
    FailureAction: oneOf(o.FailureAction, `${path}.FailureAction`, actions) ?? DEFAULT_UPDATE.FailureAction,
    Monitor: duration(o.Monitor, `${path}.Monitor`) ?? DEFAULT_UPDATE.Monitor,
    MaxFailureRatio: (ratio as number | null | undefined) ?? 0,
    Order: oneOf(o.Order, `${path}.Order`, ['stop-first', 'start-first'] as const) ?? DEFAULT_UPDATE.Order,
  };
}

export function parsePlacement(v: Raw, path: string): Placement {
  const o = obj(v, path) ?? {};
  const text = (arr(o.Constraints, `${path}.Constraints`, 256) ?? []).map((c, i) =>
    need(str(c, `${path}.Constraints[${i}]`, { max: 1024 }), `${path}.Constraints[${i}]`),
  );
  const preferences = (arr(o.Preferences, `${path}.Preferences`, 16) ?? []).map((p, i) => {
    const f = `${path}.Preferences[${i}].Spread.SpreadDescriptor`;
    const spread = obj(
      need(obj(p, `${path}.Preferences[${i}]`), `${path}.Preferences[${i}]`).Spread,
      `${path}.Preferences[${i}].Spread`,
    );
    return parseSpread(need(str(spread?.SpreadDescriptor, f, { max: 1024 }), f), f);
  });
  const platforms = (arr(o.Platforms, `${path}.Platforms`, 64) ?? []).map((p, i) => {
    const po = need(obj(p, `${path}.Platforms[${i}]`), `${path}.Platforms[${i}]`);
    return {
      OS: str(po.OS, `${path}.Platforms[${i}].OS`, { max: 64 }) ?? '',
      Architecture: str(po.Architecture, `${path}.Platforms[${i}].Architecture`, { max: 64 }) ?? '',
    };
  });
  return {
    Constraints: text.map((c, i) => parseConstraint(c, `${path}.Constraints[${i}]`)),
    ConstraintText: text,
    Preferences: preferences,
    MaxReplicas: int(o.MaxReplicas, `${path}.MaxReplicas`, 0, MAX_REPLICAS) ?? 0,
    Platforms: platforms,
  };
}

export function parseMode(v: Raw, path: string): ServiceMode {
  const o = obj(v, path) ?? {};
  const kinds = Object.keys(o).filter((k) => !absent(o[k]));
  if (kinds.length > 1) throw new SpecError(path, `only one mode may be set, got ${kinds.join(', ')}`);
  const kind = kinds[0] ?? 'Replicated';
  if (kind === 'Global') {
    obj(o.Global, `${path}.Global`);
    return { kind: 'global' };
  }
  if (kind === 'Replicated') {
    const r = obj(o.Replicated, `${path}.Replicated`) ?? {};
    return { kind: 'replicated', replicas: int(r.Replicas, `${path}.Replicated.Replicas`, 0, MAX_REPLICAS) ?? 1 };
  }
  if (kind === 'ReplicatedJob' || kind === 'GlobalJob')
    throw new SpecError(`${path}.${kind}`, 'jobs are not supported');
  throw new SpecError(path, `unknown mode ${JSON.stringify(kind)}`);
}

export function parsePorts(v: Raw, path: string): PortConfig[] {
  const ports = (arr(v, path, 1024) ?? []).map((p, i): PortConfig => {
    const f = `${path}[${i}]`;
    const o = need(obj(p, f), f);
    const port: PortConfig = {
      Protocol: oneOf(o.Protocol, `${f}.Protocol`, ['tcp', 'udp', 'sctp'] as const) ?? 'tcp',
      TargetPort: need(int(o.TargetPort, `${f}.TargetPort`, 1, 65535), `${f}.TargetPort`),
      PublishedPort: int(o.PublishedPort, `${f}.PublishedPort`, 0, 65535) ?? 0,
      PublishMode: oneOf(o.PublishMode, `${f}.PublishMode`, ['ingress', 'host'] as const) ?? 'ingress',
    };
    const name = str(o.Name, `${f}.Name`, { max: 255 });
    if (name) port.Name = name;
    return port;
  });
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    if (p.PublishedPort === 0) return;
    const key = `${p.PublishedPort}/${p.Protocol}`;
    if (seen.has(key)) throw new SpecError(`${path}[${i}].PublishedPort`, `port ${key} is published more than once`);
    seen.add(key);
  });
  return ports;
}
