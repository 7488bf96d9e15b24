/** `shoal manage` options, as classic `swarm manage` took them. */
import { bool, duration, int, list, listen, oneOf, text } from '../config/fields.js';
import { logConfigFrom, logOptions, storeConfigFrom, storeOptions, type LogConfig, type StoreConfig } from '../config/common.js';
import type { AgentSpec } from '../config/spec.js';
import type { ListenAddress } from '../common/address.js';

export const STRATEGIES = ['spread', 'binpack', 'random'] as const;
export const FILTERS = ['health', 'port', 'containerslots', 'dependency', 'affinity', 'constraint', 'whitelist'] as const;

export interface ManageConfig extends LogConfig {
  hosts: ListenAddress[];
  discovery: string;
  strategy: (typeof STRATEGIES)[number];
  filters: (typeof FILTERS)[number][];
  heartbeatMs: number;
  refreshMinMs: number;
  refreshMaxMs: number;
  failureRetry: number;
  /** Light /_ping of every node between refreshes; 0: off. */
  pingMs: number;
  clusterOpts: Record<string, string>;
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  replication: boolean;
  replicationTtlMs: number;
  advertise: string | undefined;
  store: StoreConfig;
  /** Serve /healthz and /metrics here. */
  statusAddr: string | undefined;
}

export const manageSpec: AgentSpec<ManageConfig> = {
  name: 'manage',
  summary: 'Serve the Docker Engine API over all engines of the cluster, scheduling like classic Swarm',
  positional: { key: 'discovery', name: 'discovery', description: 'consul://, etcd://, etcd2://, zk://, file:///path, nodes://h1:2375,h2:2375 or h1:2375,h2:2375' },
  options: [
    { key: 'hosts', flag: 'host', short: 'H', value: 'ADDR', multiple: true, description: 'address to listen on: tcp://HOST:PORT, HOST:PORT or unix:///path (repeatable)', default: ['tcp://127.0.0.1:2375'], schema: list(listen()) },
    { key: 'discovery', flag: 'discovery', value: 'URI', description: 'discovery (same as the positional argument)', schema: text() },
    { key: 'strategy', flag: 'strategy', value: 'NAME', description: `placement strategy: ${STRATEGIES.join(', ')}`, default: 'spread', schema: oneOf(STRATEGIES) },
    { key: 'filters', flag: 'filter', value: 'NAME', multiple: true, description: `filter to apply (repeatable): ${FILTERS.join(', ')}`, default: [...FILTERS], schema: list(oneOf(FILTERS)) },
    { key: 'heartbeat', flag: 'heartbeat', value: 'DURATION', description: 'discovery re-read interval', default: '60s', schema: duration() },
    { key: 'refreshMin', flag: 'engine-refresh-min-interval', value: 'DURATION', description: 'shortest engine refresh interval', default: '30s', schema: duration() },
    { key: 'refreshMax', flag: 'engine-refresh-max-interval', value: 'DURATION', description: 'longest engine refresh interval', default: '60s', schema: duration() },
    { key: 'ping', flag: 'engine-ping-interval', value: 'DURATION', description: 'ping every node this often between refreshes, so one that stops answering turns unhealthy within retries x interval (0: off)', default: '5s', schema: duration() },
    { key: 'failureRetry', flag: 'engine-failure-retry', value: 'N', description: 'consecutive failures before a node is unhealthy', default: '3', schema: int(1, 1000) },
    { key: 'clusterOpts', flag: 'cluster-opt', value: 'KEY=VALUE', multiple: true, description: 'swarm.overcommit=0.05, swarm.createretry=N (repeatable)', default: [], schema: list(text()) },
    { key: 'tls', flag: 'tls', description: 'serve TLS', default: false, schema: bool() },
    { key: 'tlsVerify', flag: 'tlsverify', description: 'serve TLS and require client certificates signed by --tlscacert', default: false, schema: bool() },
    { key: 'tlsCaCert', flag: 'tlscacert', value: 'FILE', description: 'CA that signs clients and engines', schema: text() },
    { key: 'tlsCert', flag: 'tlscert', value: 'FILE', description: 'server (and engine client) certificate', schema: text() },
    { key: 'tlsKey', flag: 'tlskey', value: 'FILE', description: 'key of --tlscert', schema: text() },
    { key: 'replication', flag: 'replication', description: 'elect a primary among managers through the store', default: false, schema: bool() },
    { key: 'replicationTtl', flag: 'replication-ttl', value: 'DURATION', description: 'leader lock TTL', default: '20s', schema: duration() },
    { key: 'advertise', flag: 'advertise', value: 'HOST:PORT', description: 'address replicas use to reach this manager', schema: text() },
    { key: 'statusAddr', flag: 'status-addr', value: 'HOST:PORT', description: 'serve /healthz and /metrics (Prometheus) here', schema: text() },
    ...storeOptions,
    ...logOptions,
  ],
  examples: [
    'shoal manage -H=0.0.0.0:2375 consul://consulhost01/swarm',
    'shoal manage -H tcp://0.0.0.0:2376 --tlsverify --tlscacert ca.pem --tlscert cert.pem --tlskey key.pem --discovery consul://consulhost01/swarm',
    "shoal manage --strategy binpack nodes://10.0.0.[10:20]:2375",
  ],
  finish(v) {
    if (v.discovery === undefined) return { key: 'discovery', message: 'expected a discovery such as consul://HOST/swarm or file:///etc/shoal/nodes' };
    const clusterOpts: Record<string, string> = {};
    for (const kv of v.clusterOpts as string[]) {
      const i = kv.indexOf('=');
      if (i <= 0) return { key: 'clusterOpts', message: 'expected KEY=VALUE' };
      const key = kv.slice(0, i);
      const value = kv.slice(i + 1);
      if (key === 'swarm.overcommit' && !(Number(value) >= -1 && Number(value) <= 10)) return { key: 'clusterOpts', message: 'expected swarm.overcommit as a fraction, e.g. 0.05' };
      if (key === 'swarm.createretry' && !/^\d+$/.test(value)) return { key: 'clusterOpts', message: 'expected swarm.createretry as a whole number' };
      if (!['swarm.overcommit', 'swarm.createretry'].includes(key)) return { key: 'clusterOpts', message: `unknown cluster option "${key}": expected swarm.overcommit or swarm.createretry` };
      clusterOpts[key] = value;
    }
    const tlsVerify = v.tlsVerify as boolean;
    const tls = (v.tls as boolean) || tlsVerify;
    if (tls && (v.tlsCert === undefined || v.tlsKey === undefined)) return { key: tlsVerify ? 'tlsVerify' : 'tls', message: 'expected --tlscert and --tlskey as well' };
    if (tlsVerify && v.tlsCaCert === undefined) return { key: 'tlsVerify', message: 'expected --tlscacert as well' };
    if ((v.refreshMin as number) > (v.refreshMax as number)) return { key: 'refreshMin', message: 'expected at most --engine-refresh-max-interval' };
    return {
      hosts: v.hosts as ListenAddress[],
      discovery: v.discovery as string,
      strategy: v.strategy as ManageConfig['strategy'],
      filters: v.filters as ManageConfig['filters'],
      heartbeatMs: v.heartbeat as number,
      refreshMinMs: v.refreshMin as number,
      refreshMaxMs: v.refreshMax as number,
      failureRetry: v.failureRetry as number,
      pingMs: v.ping as number,
      clusterOpts,
      tls,
      tlsVerify,
      tlsCaCert: v.tlsCaCert as string | undefined,
      tlsCert: v.tlsCert as string | undefined,
      tlsKey: v.tlsKey as string | undefined,
      replication: v.replication as boolean,
      replicationTtlMs: v.replicationTtl as number,
      advertise: v.advertise as string | undefined,
      statusAddr: v.statusAddr as string | undefined,
      store: storeConfigFrom(v),
      ...logConfigFrom(v),
    };
  },
};
