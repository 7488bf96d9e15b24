/** `shoal registrator` options, as gliderlabs/registrator took them, plus what its users asked for. */
import { bool, commaList, duration, int, oneOf, storeUri, text } from '../config/fields.js';
import { sharedConfigFrom, sharedOptions, type SharedConfig } from '../config/common.js';
import type { AgentSpec } from '../config/spec.js';
import { formatDuration } from '../common/duration.js';
import type { StoreUri } from '../store/uri.js';

export interface RegistratorConfig extends SharedConfig {
  registry: StoreUri & { text: string };
  ip: string | undefined;
  internal: boolean;
  explicit: boolean;
  useIpFromLabel: string | undefined;
  tags: string[];
  ttlMs: number;
  ttlRefreshMs: number;
  resyncMs: number;
  deregister: 'always' | 'on-success';
  cleanup: boolean;
  retryAttempts: number;
  retryIntervalMs: number;
  hostname: string | undefined;
  dockerHost: string;
  nameSuffix: 'always' | 'multi';
  healthAware: boolean;
  withdrawAfterMs: number;
  /** Serve /healthz and /metrics here. */
}

export const registratorSpec: AgentSpec<RegistratorConfig> = {
  name: 'registrator',
  summary: 'Keep the store in step with the published ports of the containers on this Docker host',
  positional: {
    key: 'registry',
    name: 'registry-uri',
    description: 'consul://, consul-catalog://, etcd://, etcd2:// or zk:// URI whose path is the service prefix',
    missing: 'expected a registry URI such as consul://localhost:8500/services',
  },
  options: [
    {
      key: 'registry',
      flag: 'registry',
      value: 'URI',
      description: 'registry URI (same as the positional argument)',
      schema: storeUri(['consul', 'consul-catalog', 'etcd', 'etcd2', 'zk']),
    },
    {
      key: 'ip',
      flag: 'ip',
      value: 'IP',
      description: 'IP to register for published ports (default: the binding IP, else the engine host)',
      schema: text(),
    },
    {
      key: 'internal',
      flag: 'internal',
      description: 'register the container IP and exposed port instead of the published ones',
      default: false,
      schema: bool(),
    },
    {
      key: 'explicit',
      flag: 'explicit',
      description: 'only register containers that set SERVICE_NAME',
      default: false,
      schema: bool(),
    },
    {
      key: 'useIpFromLabel',
      flag: 'use-ip-from-label',
      value: 'LABEL',
      description: 'take the service IP from this container label',
      schema: text(),
    },
    {
      key: 'tags',
      flag: 'tags',
      value: 'LIST',
      description: 'comma list of tags added to every service',
      default: '',
      schema: commaList(),
    },
    {
      key: 'ttl',
      flag: 'ttl',
      value: 'DURATION',
      description: 'entries expire this long after this host stops refreshing them (0: never)',
      default: '0',
      schema: duration(),
    },
    {
      key: 'ttlRefresh',
      flag: 'ttl-refresh',
      value: 'DURATION',
      description: 'how often the TTL is refreshed (must be below --ttl; default ttl/3)',
      schema: duration(),
    },
    {
      key: 'resync',
      flag: 'resync',
      value: 'DURATION',
      description: 'full reconciliation interval (0: only at start and on reconnect)',
      default: '0',
      schema: duration(),
    },
    {
      key: 'deregister',
      flag: 'deregister',
      value: 'MODE',
      description: 'always, or on-success (keep entries of containers that exited non-zero)',
      default: 'always',
      schema: oneOf(['always', 'on-success'] as const),
    },
    {
      key: 'cleanup',
      flag: 'cleanup',
      description: "remove entries under this host's name that no container backs",
      default: true,
      schema: bool(),
    },
    {
      key: 'retryAttempts',
      flag: 'retry-attempts',
      value: 'N',
      description: 'store connection attempts at start (-1: forever)',
      default: '-1',
      schema: int(-1),
    },
    {
      key: 'retryInterval',
      flag: 'retry-interval',
      value: 'DURATION',
      description: 'first retry delay (then exponential backoff with jitter)',
      default: '2s',
      schema: duration(),
    },
    {
      key: 'hostname',
      flag: 'hostname',
      value: 'NAME',
      description: "name of this Docker host in keys (default: the engine's name)",
      schema: text(),
    },
    {
      key: 'dockerHost',
      flag: 'docker-host',
      value: 'URL',
      description: 'Docker engine to follow (TLS via DOCKER_CERT_PATH/DOCKER_TLS_VERIFY)',
      default: 'unix:///var/run/docker.sock',
      schema: text(),
      env: ['DOCKER_HOST'],
    },
    {
      key: 'nameSuffix',
      flag: 'name-suffix',
      value: 'RULE',
      description:
        'always add -<port> to the service name, or only when a container publishes several ports (multi); default always, multi for consul-catalog://',
      schema: oneOf(['always', 'multi'] as const),
    },
    {
      key: 'healthAware',
      flag: 'health-aware',
      description: 'register a container with a HEALTHCHECK only while it is healthy',
      default: true,
      schema: bool(),
    },
    {
      key: 'withdrawAfter',
      flag: 'withdraw-after',
      value: 'DURATION',
      description: "delete this host's entries once the Docker engine has been unreachable this long (0: never)",
      default: '15s',
      schema: duration(),
    },
    ...sharedOptions(),
  ],
  examples: [
    'shoal registrator consul://localhost:8500/services',
    'shoal registrator -ip 10.0.0.1 -ttl 30s -ttl-refresh 10s -resync 5m etcd://10.0.0.5:2379/services',
    'shoal registrator --internal consul-catalog://localhost:8500',
  ],
  finish(v) {
    const ttlMs = v.ttl as number;
    let ttlRefreshMs = v.ttlRefresh as number | undefined;
    if (ttlMs > 0) {
      if (ttlRefreshMs === undefined) ttlRefreshMs = Math.max(1, Math.floor(ttlMs / 3));
      if (ttlRefreshMs <= 0 || ttlRefreshMs >= ttlMs)
        return { key: 'ttlRefresh', message: `expected a duration above 0 and below --ttl (${formatDuration(ttlMs)})` };
    } else if (ttlRefreshMs !== undefined && ttlRefreshMs > 0) {
      return { key: 'ttlRefresh', message: 'expected --ttl to be set as well' };
    }
    return {
      registry: v.registry as RegistratorConfig['registry'],
      ip: v.ip as string | undefined,
      internal: v.internal as boolean,
      explicit: v.explicit as boolean,
      useIpFromLabel: v.useIpFromLabel as string | undefined,
      tags: v.tags as string[],
      ttlMs,
      ttlRefreshMs: ttlRefreshMs ?? 0,
      resyncMs: v.resync as number,
      deregister: v.deregister as RegistratorConfig['deregister'],
      cleanup: v.cleanup as boolean,
      retryAttempts: v.retryAttempts as number,
      retryIntervalMs: v.retryInterval as number,
      hostname: v.hostname as string | undefined,
      dockerHost: v.dockerHost as string,
      nameSuffix:
        (v.nameSuffix as RegistratorConfig['nameSuffix'] | undefined) ??
        ((v.registry as RegistratorConfig['registry']).scheme === 'consul-catalog' ? 'multi' : 'always'),
      healthAware: v.healthAware as boolean,
      withdrawAfterMs: v.withdrawAfter as number,
      ...sharedConfigFrom(v),
    };
  },
};
