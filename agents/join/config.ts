/** `shoal join` options, as `swarm join` took them, plus the local engine check. */
import { bool, duration, hostPort, storeUri, text } from '../config/fields.js';
import { sharedConfigFrom, sharedOptions, type SharedConfig } from '../config/common.js';
import type { AgentSpec } from '../config/spec.js';
import { formatDuration } from '../common/duration.js';
import type { HostPort } from '../common/address.js';
import type { StoreUri } from '../store/uri.js';

export interface JoinConfig extends SharedConfig {
  discovery: StoreUri & { text: string };
  addr: HostPort;
  heartbeatMs: number;
  ttlMs: number;
  delayMs: number;
  dockerHost: string;
  checkEngine: boolean;
  /** Serve /healthz and /metrics here. */
}

export const joinSpec: AgentSpec<JoinConfig> = {
  name: 'join',
  summary: 'Advertise this Docker engine in the store (/swarm/<ip>:<port>), refreshed while it answers',
  positional: {
    key: 'discovery',
    name: 'discovery-uri',
    description: 'consul://, etcd://, etcd2:// or zk:// URI whose path is the node prefix',
    missing: 'expected a discovery URI such as consul://HOST/swarm',
  },
  options: [
    {
      key: 'discovery',
      flag: 'discovery',
      value: 'URI',
      description: 'discovery URI (same as the positional argument)',
      schema: storeUri(['consul', 'etcd', 'etcd2', 'zk']),
    },
    {
      key: 'addr',
      flag: 'addr',
      aliases: ['advertise'],
      value: 'HOST:PORT',
      description: 'engine address to advertise (required)',
      schema: hostPort(),
    },
    {
      key: 'heartbeat',
      flag: 'heartbeat',
      value: 'DURATION',
      description: 'how often the key is refreshed',
      default: '20s',
      schema: duration(),
    },
    {
      key: 'ttl',
      flag: 'ttl',
      value: 'DURATION',
      description: 'how long the key outlives the last heartbeat (must exceed --heartbeat)',
      default: '60s',
      schema: duration(),
    },
    {
      key: 'delay',
      flag: 'delay',
      value: 'DURATION',
      description: 'wait a random time up to this before the first registration',
      default: '0s',
      schema: duration(),
    },
    {
      key: 'dockerHost',
      flag: 'docker-host',
      value: 'URL',
      description: 'local engine checked with /_ping',
      default: 'unix:///var/run/docker.sock',
      schema: text(),
      env: ['DOCKER_HOST'],
    },
    {
      key: 'checkEngine',
      flag: 'check-engine',
      description:
        'stop refreshing the key while the local engine does not answer /_ping, so it expires after --ttl (false: refresh regardless, as swarm join did)',
      default: true,
      schema: bool(),
    },
    ...sharedOptions(),
  ],
  examples: [
    'shoal join --addr=10.0.0.1:2375 consul://consulhost01/swarm',
    'shoal join --advertise 10.0.0.1:2376 --heartbeat 10s --ttl 30s etcd://10.0.0.5:2379/swarm',
  ],
  finish(v) {
    if (v.addr === undefined) return { key: 'addr', message: 'expected HOST:PORT (--addr is required)' };
    const heartbeatMs = v.heartbeat as number;
    const ttlMs = v.ttl as number;
    if (heartbeatMs <= 0) return { key: 'heartbeat', message: 'expected a duration above 0' };
    if (ttlMs <= heartbeatMs)
      return { key: 'ttl', message: `expected a duration longer than --heartbeat (${formatDuration(heartbeatMs)})` };
    return {
      discovery: v.discovery as JoinConfig['discovery'],
      addr: v.addr as HostPort,
      heartbeatMs,
      ttlMs,
      delayMs: v.delay as number,
      dockerHost: v.dockerHost as string,
      checkEngine: v.checkEngine as boolean,
      ...sharedConfigFrom(v),
    };
  },
};
