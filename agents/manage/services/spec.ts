/**
 * `parseServiceSpec`: the JSON body of `POST /services/create` or `/services/{id}/update` into a typed
 * ServiceSpec, with Docker's defaults filled in. Any bad field throws a SpecError (HTTP 400) naming it.
 * Fields shoal does not act on (DNSConfig, Isolation, Runtime, ...) are accepted and ignored here (the API edge
 * refuses the ones that would change a task, unsupported.ts);
 * the store keeps the body as sent, so they echo back.
 */
import { SpecError } from './errors.js';
import { validateServiceName } from './names.js';
import { obj, oneOf, str, strMap, type Raw } from './read.js';
import { parseContainerSpec } from './spec-container.js';
import { parseNetworks } from './spec-networks.js';
import {
  parseMode,
  parsePlacement,
  parsePorts,
  parseResources,
  parseRestartPolicy,
  parseUpdateConfig,
} from './spec-policy.js';
import type { ServiceSpec } from './types.js';

export interface ParseOptions {
  /** A name for a spec that has none (Docker picks a random one); without it a missing name is an error. */
  defaultName?: () => string;
}

export function parseServiceSpec(body: Raw, opts: ParseOptions = {}): ServiceSpec {
  const o = obj(body, '');
  if (o === undefined) throw new SpecError('', 'the body must be a JSON object');
  const given = str(o.Name, 'Name', { max: 256 });
  const name = validateServiceName(given || opts.defaultName?.() || '');
  const tt = obj(o.TaskTemplate, 'TaskTemplate');
  if (tt === undefined) throw new SpecError('TaskTemplate', 'is required');
  if (obj(tt.PluginSpec, 'TaskTemplate.PluginSpec') !== undefined)
    throw new SpecError('TaskTemplate.PluginSpec', 'plugin services are not supported');
  const forceUpdate = tt.ForceUpdate;
  if (
    forceUpdate !== undefined &&
    forceUpdate !== null &&
    (typeof forceUpdate !== 'number' || !Number.isSafeInteger(forceUpdate) || forceUpdate < 0)
  )
    throw new SpecError('TaskTemplate.ForceUpdate', 'must be a non-negative integer');
  const endpoint = obj(o.EndpointSpec, 'EndpointSpec') ?? {};
  const spec: ServiceSpec = {
    Name: name,
    Labels: strMap(o.Labels, 'Labels'),
    TaskTemplate: {
      ContainerSpec: parseContainerSpec(tt.ContainerSpec, 'TaskTemplate.ContainerSpec'),
      Resources: parseResources(tt.Resources, 'TaskTemplate.Resources'),
      RestartPolicy: parseRestartPolicy(tt.RestartPolicy, 'TaskTemplate.RestartPolicy'),
      Placement: parsePlacement(tt.Placement, 'TaskTemplate.Placement'),
      ForceUpdate: (forceUpdate as number | null | undefined) ?? 0,
    },
    Mode: parseMode(o.Mode, 'Mode'),
    UpdateConfig: parseUpdateConfig(o.UpdateConfig, 'UpdateConfig', false),
    RollbackConfig: parseUpdateConfig(o.RollbackConfig, 'RollbackConfig', true),
    EndpointSpec: {
      Mode: oneOf(endpoint.Mode, 'EndpointSpec.Mode', ['vip', 'dnsrr'] as const) ?? 'vip',
      Ports: parsePorts(endpoint.Ports, 'EndpointSpec.Ports'),
    },
  };
  const networks = parseNetworks(tt.Networks ?? o.Networks, tt.Networks ? 'TaskTemplate.Networks' : 'Networks');
  if (networks.length > 0) spec.TaskTemplate.Networks = networks;
  if (spec.EndpointSpec.Mode === 'dnsrr') {
    const i = spec.EndpointSpec.Ports.findIndex((p) => p.PublishMode === 'ingress');
    if (i >= 0)
      throw new SpecError(`EndpointSpec.Ports[${i}].PublishMode`, 'ingress ports cannot be used with dnsrr mode');
  }
  return spec;
}
