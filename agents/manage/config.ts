/**
 * `shoal manage` options, as classic `swarm manage` took them. Every check and number parse happens here,
 * once: the manager trusts the typed config it is handed.
 */
import { bool, duration, int, list, listen, oneOf, text, via } from '../config/fields.js';
import { sharedConfigFrom, sharedOptions, type SharedConfig } from '../config/common.js';
import type { AgentSpec } from '../config/spec.js';
import type { ListenAddress } from '../common/address.js';
import { parseDiscovery } from './discovery/parse.js';
import { parseListenAddress } from '../common/address.js';
import { parseStoreUri } from '../store/uri.js';

export const STRATEGIES = ['spread', 'binpack', 'random'] as const;
export const FILTERS = [
  'health',
  'port',
  'containerslots',
  'dependency',
  'affinity',
  'constraint',
  'whitelist',
] as const;

export interface ManageConfig extends SharedConfig {
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
  clusterOpts: ClusterOpts;
  tls: boolean;
  tlsVerify: boolean;
  tlsCaCert: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** With --replication: elect a primary through the discovery store (a store discovery, checked here). */
  replication: ReplicationConfig | undefined;
  /** Swarm mode's cluster CA directory (--swarm-ca-dir); undefined: see swarm/ca.ts `defaultCaDir`. */
  swarmCaDir: string | undefined;
  /** Serve the browser cluster view here (--ui; undefined: off). HTTPS with the API's TLS settings. */
  ui: UiAddress | undefined;
  /** The store the registrator writes and `shoal render` reads (--ui-routes), for the view's edge routes. */
  uiRoutes: string | undefined;
}

/** Where `--ui` listens. */
export interface UiAddress {
  host: string;
  port: number;
}

/** `HOST:PORT`, `:PORT` or `tcp://HOST:PORT` (a browser cannot reach a unix socket). */
const uiAddress = () =>
  via((s): UiAddress => {
    const a = parseListenAddress(s, 8080);
    if (a.kind !== 'tcp') throw new Error('expected HOST:PORT, e.g. 127.0.0.1:8080');
    return { host: a.host, port: a.port };
  });

/** --cluster-opt values, parsed. */
export interface ClusterOpts {
  /** swarm.overcommit: how far past its memory and CPUs a node may be filled (a fraction, -1..10). */
  overcommit: number;
  /** swarm.createretry: other nodes tried when the chosen engine refuses a create. */
  createRetry: number;
}

export const DEFAULT_CLUSTER_OPTS: ClusterOpts = { overcommit: 0.05, createRetry: 0 };

export interface ReplicationConfig {
  /** The address other managers reach this one at (--advertise). */
  advertise: string;
  /** Leader lock TTL (--replication-ttl). */
  ttlMs: number;
}

/** A discovery URI that `parseDiscovery` accepts, trimmed. */
const discoveryUri = () =>
  via((s) => {
    parseDiscovery(s);
    return s.trim();
  });

type ClusterOpt = Partial<ClusterOpts>;

/** One `--cluster-opt KEY=VALUE`, its value parsed. */
const clusterOpt = () =>
  via((kv): ClusterOpt => {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error('expected KEY=VALUE');
    const key = kv.slice(0, i);
    const value = kv.slice(i + 1);
    if (key === 'swarm.overcommit') {
      const n = Number(value);
      if (!(n >= -1 && n <= 10)) throw new Error('expected swarm.overcommit as a fraction, e.g. 0.05');
      return { overcommit: n };
    }
    if (key === 'swarm.createretry') {
      if (!/^\d+$/.test(value)) throw new Error('expected swarm.createretry as a whole number');
      return { createRetry: Number(value) };
    }
    throw new Error(`unknown cluster option "${key}": expected swarm.overcommit or swarm.createretry`);
  });

export const manageSpec: AgentSpec<ManageConfig> = {
  name: 'manage',
  summary: 'Serve the Docker Engine API over all engines of the cluster, scheduling like classic Swarm',
  positional: {
    key: 'discovery',
    name: 'discovery',
    description: 'consul://, etcd://, etcd2://, zk://, file:///path, nodes://h1:2375,h2:2375 or h1:2375,h2:2375',
    missing: 'expected a discovery such as consul://HOST/swarm or file:///etc/shoal/nodes',
  },
  options: [
    {
      key: 'hosts',
      flag: 'host',
      short: 'H',
      value: 'ADDR',
      multiple: true,
      description: 'address to listen on: tcp://HOST:PORT, HOST:PORT or unix:///path (repeatable)',
      default: ['tcp://127.0.0.1:2375'],
      schema: list(listen()),
    },
    {
      key: 'discovery',
      flag: 'discovery',
      value: 'URI',
      description: 'discovery (same as the positional argument)',
      schema: discoveryUri(),
    },
    {
      key: 'strategy',
      flag: 'strategy',
      value: 'NAME',
      description: `placement strategy: ${STRATEGIES.join(', ')}`,
      default: 'spread',
      schema: oneOf(STRATEGIES),
    },
    {
      key: 'filters',
      flag: 'filter',
      value: 'NAME',
      multiple: true,
      description: `filter to apply (repeatable): ${FILTERS.join(', ')}`,
      default: [...FILTERS],
      schema: list(oneOf(FILTERS)),
    },
    {
      key: 'heartbeat',
      flag: 'heartbeat',
      value: 'DURATION',
      description: 'discovery re-read interval',
      default: '60s',
      schema: duration(),
    },
    {
      key: 'refreshMin',
      flag: 'engine-refresh-min-interval',
      value: 'DURATION',
      description: 'shortest engine refresh interval',
      default: '30s',
      schema: duration(),
    },
    {
      key: 'refreshMax',
      flag: 'engine-refresh-max-interval',
      value: 'DURATION',
      description: 'longest engine refresh interval',
      default: '60s',
      schema: duration(),
    },
    {
      key: 'ping',
      flag: 'engine-ping-interval',
      value: 'DURATION',
      description:
        'ping every node this often between refreshes, so one that stops answering turns unhealthy within retries x interval (0: off)',
      default: '5s',
      schema: duration(),
    },
    {
      key: 'failureRetry',
      flag: 'engine-failure-retry',
      value: 'N',
      description: 'consecutive failures before a node is unhealthy',
      default: '3',
      schema: int(1, 1000),
    },
    {
      key: 'clusterOpts',
      flag: 'cluster-opt',
      value: 'KEY=VALUE',
      multiple: true,
      description: 'swarm.overcommit=0.05, swarm.createretry=N (repeatable)',
      default: [],
      schema: list(clusterOpt()),
    },
    { key: 'tls', flag: 'tls', description: 'serve TLS', default: false, schema: bool() },
    {
      key: 'tlsVerify',
      flag: 'tlsverify',
      description: 'serve TLS and require client certificates signed by --tlscacert',
      default: false,
      schema: bool(),
    },
    {
      key: 'tlsCaCert',
      flag: 'tlscacert',
      value: 'FILE',
      description: 'CA that signs clients and engines',
      schema: text(),
    },
    {
      key: 'tlsCert',
      flag: 'tlscert',
      value: 'FILE',
      description: 'server (and engine client) certificate',
      schema: text(),
    },
    { key: 'tlsKey', flag: 'tlskey', value: 'FILE', description: 'key of --tlscert', schema: text() },
    {
      key: 'replication',
      flag: 'replication',
      description: 'elect a primary among managers through the store',
      default: false,
      schema: bool(),
    },
    {
      key: 'replicationTtl',
      flag: 'replication-ttl',
      value: 'DURATION',
      description: 'leader lock TTL',
      default: '20s',
      schema: duration(),
    },
    {
      key: 'advertise',
      flag: 'advertise',
      value: 'HOST:PORT',
      description: 'address replicas use to reach this manager',
      schema: text(),
    },
    {
      key: 'swarmCaDir',
      flag: 'swarm-ca-dir',
      value: 'DIR',
      description:
        'swarm mode: the cluster CA (shoal tls files) that docker swarm init loads, or creates when absent; join tokens derive from its key (default: the --tlscacert directory when it holds ca-key.pem, else ~/.shoal/swarm-ca)',
      schema: text(),
    },
    {
      key: 'ui',
      flag: 'ui',
      value: 'HOST:PORT',
      description:
        'serve a live cluster view for browsers here (off by default); HTTPS with --tlscert when the API uses TLS, and with --tlsverify the browser must present a client certificate too',
      schema: uiAddress(),
    },
    {
      key: 'uiRoutes',
      flag: 'ui-routes',
      value: 'URI',
      description:
        "with --ui: the store URI the registrator writes and shoal render reads (e.g. consul://127.0.0.1:8500/services), to show the edge's routes",
      schema: via((s) => {
        parseStoreUri(s);
        return s.trim();
      }),
    },
    ...sharedOptions(),
  ],
  examples: [
    'shoal manage -H=0.0.0.0:2375 consul://consulhost01/swarm',
    'shoal manage -H tcp://0.0.0.0:2376 --tlsverify --tlscacert ca.pem --tlscert cert.pem --tlskey key.pem --discovery consul://consulhost01/swarm',
    'shoal manage --strategy binpack nodes://10.0.0.[10:20]:2375',
  ],
  finish(v) {
    const clusterOpts: ClusterOpts = Object.assign({ ...DEFAULT_CLUSTER_OPTS }, ...(v.clusterOpts as ClusterOpt[]));
    const discovery = v.discovery as string;
    const replication = v.replication as boolean;
    const advertise = v.advertise as string | undefined;
    if (replication && parseDiscovery(discovery).kind !== 'store') {
      const message = 'expected a store discovery (consul://, etcd://, etcd2://, zk://) as well';
      return { key: 'replication', message };
    }
    if (replication && advertise === undefined) {
      const message = 'expected HOST:PORT with --replication: where other managers reach this one';
      return { key: 'advertise', message };
    }
    const tlsVerify = v.tlsVerify as boolean;
    const tls = (v.tls as boolean) || tlsVerify;
    if (tls && (v.tlsCert === undefined || v.tlsKey === undefined))
      return { key: tlsVerify ? 'tlsVerify' : 'tls', message: 'expected --tlscert and --tlskey as well' };
    if (tlsVerify && v.tlsCaCert === undefined) return { key: 'tlsVerify', message: 'expected --tlscacert as well' };
    if (v.uiRoutes !== undefined && v.ui === undefined) return { key: 'uiRoutes', message: 'expected --ui as well' };
    if ((v.refreshMin as number) > (v.refreshMax as number))
      return { key: 'refreshMin', message: 'expected at most --engine-refresh-max-interval' };
    return {
      hosts: v.hosts as ListenAddress[],
      discovery,
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
      replication: replication && advertise ? { advertise, ttlMs: v.replicationTtl as number } : undefined,
      swarmCaDir: v.swarmCaDir as string | undefined,
      ui: v.ui as UiAddress | undefined,
      uiRoutes: v.uiRoutes as string | undefined,
      ...sharedConfigFrom(v),
    };
  },
};
