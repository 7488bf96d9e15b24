/**
 * The manage core that `main` and the tests start and stop in-process: discovery feeds the cluster, the API
 * server serves it. Returns once the listeners are up.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { storeOptionsFrom } from '../config/common.js';
import type { Logger } from '../common/log.js';
import { retry } from '../common/retry.js';
import type { ManageConfig } from './config.js';
import { Cluster } from './cluster/cluster.js';
import { discoveryWatch } from './discovery/source.js';
import { parseDiscovery } from './discovery/parse.js';
import { filtersByName } from './scheduler/filters/index.js';
import { strategyByName } from './scheduler/strategies/index.js';
import { listen, type Listening } from './api/server.js';
import type { ApiOptions } from './api/context.js';
import { EngineClient, type EngineTls } from './engine/client.js';
import { Replication } from './replication.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { ConfigError } from '../common/errors.js';
import type { CreateOptions } from './cluster/create.js';
import { watchForRescheduling } from './cluster/reschedule.js';
import { ManageMetrics } from './metrics.js';
import { startStatusServer, type StatusServer } from '../common/status.js';
import { VERSION } from '../version.js';

export interface Manager {
  addresses: string[];
  cluster: Cluster;
  metrics: ManageMetrics;
  /** Where /healthz and /metrics are served (with --status-addr). */
  statusAddress: string | undefined;
  stop(): Promise<void>;
}

export type ManagerConfig = Pick<ManageConfig, 'hosts' | 'discovery' | 'strategy' | 'filters' | 'heartbeatMs' | 'refreshMinMs' | 'refreshMaxMs' | 'failureRetry' | 'clusterOpts' | 'tls' | 'tlsVerify' | 'tlsCaCert' | 'tlsCert' | 'tlsKey' | 'store'> &
  Partial<Pick<ManageConfig, 'replication' | 'replicationTtlMs' | 'advertise' | 'statusAddr' | 'pingMs'>> & { liveListMax?: number };

function engineTls(c: ManagerConfig): EngineTls | undefined {
  if (!c.tlsCaCert || !c.tlsCert || !c.tlsKey) return undefined;
  return { ca: readFileSync(c.tlsCaCert, 'utf8'), cert: readFileSync(c.tlsCert, 'utf8'), key: readFileSync(c.tlsKey, 'utf8') };
}

export async function startManager(config: ManagerConfig, log: Logger): Promise<Manager> {
  const discovery = parseDiscovery(config.discovery); // refuse a bad URI before anything starts
  if (config.replication && discovery.kind !== 'store') throw new ConfigError('--replication needs a store discovery (consul://, etcd://, etcd2://, zk://)', 'replication');
  if (config.replication && !config.advertise) throw new ConfigError('--replication needs --advertise HOST:PORT (the address other managers reach this one at)', 'advertise');
  const ac = new AbortController();
  const tls = engineTls(config);
  const storeOptions = { ...(await storeOptionsFrom(config.store, (p) => readFile(p, 'utf8'))), logger: log };
  const createOpts: CreateOptions = {
    filters: filtersByName(config.filters),
    strategy: strategyByName(config.strategy),
    overcommit: Number(config.clusterOpts['swarm.overcommit'] ?? 0.05),
    createRetry: Number(config.clusterOpts['swarm.createretry'] ?? 0),
  };
  const cluster: Cluster = new Cluster({ onNode: (n) => watchForRescheduling(cluster, n, createOpts, log), failureRetry: config.failureRetry, refreshMinMs: config.refreshMinMs, refreshMaxMs: config.refreshMaxMs, pingMs: config.pingMs ?? 0, log, tls });
  const metrics = new ManageMetrics(cluster);
  const api: ApiOptions = {
    cluster,
    metrics,
    create: createOpts,
    strategy: config.strategy,
    filters: config.filters,
    log,
    liveListMax: config.liveListMax ?? 64,
    role: () => ({ role: 'primary' }),
  };
  let replication: Replication | undefined;
  let replicationStore: Store | undefined;
  if (config.replication && discovery.kind === 'store' && config.advertise) {
    replicationStore = await openStore(discovery.uri, storeOptions);
    const r = new Replication(replicationStore, config.advertise, config.replicationTtlMs ?? 20_000, log);
    replication = r;
    const clients = new Map<string, EngineClient>();
    api.role = () => (r.role === 'primary' ? { role: 'primary' } : { role: 'replica', ...(r.primary ? { primary: r.primary } : {}) });
    api.primaryClient = () => {
      if (!r.primary) return undefined;
      let c = clients.get(r.primary);
      if (!c) clients.set(r.primary, (c = new EngineClient(r.primary, config.tls ? tls : undefined)));
      return c;
    };
    r.start();
  }
  const discovered = retry(async (progress) => {
    const ctx = { log, signal: ac.signal, heartbeatMs: config.heartbeatMs, storeOptions };
    for await (const addrs of discoveryWatch(config.discovery, ctx)) {
      cluster.setAddrs(addrs);
      progress();
    }
  }, { signal: ac.signal, initialMs: 250, log, what: 'discovery', isRetryable: () => true }).catch(() => {});
  let server: Listening;
  let status: StatusServer | undefined;
  try {
    const serverTls = config.tls && config.tlsCert && config.tlsKey
      ? { cert: readFileSync(config.tlsCert, 'utf8'), key: readFileSync(config.tlsKey, 'utf8'), ...(config.tlsCaCert ? { ca: readFileSync(config.tlsCaCert, 'utf8') } : {}), verify: config.tlsVerify }
      : undefined;
    server = await listen(config.hosts, api, serverTls);
  } catch (err) {
    ac.abort();
    cluster.stop();
    throw err;
  }
  metrics.listening = true;
  if (config.statusAddr) {
    try {
      status = await startStatusServer(config.statusAddr, () => metrics.health(), metrics.registry);
    } catch (err) {
      metrics.listening = false;
      ac.abort();
      await server.close();
      cluster.stop();
      throw err;
    }
  }
  log.info({ version: VERSION, addresses: server.addresses, discovery: config.discovery, strategy: config.strategy, filters: config.filters, replication: config.replication ?? false, tls: config.tls, statusAddr: status?.address }, 'manager listening');
  return {
    addresses: server.addresses,
    cluster,
    metrics,
    statusAddress: status?.address,
    async stop() {
      metrics.listening = false;
      await status?.close();
      ac.abort();
      await replication?.stop();
      await replicationStore?.close().catch(() => {});
      await server.close();
      cluster.stop();
      await discovered;
    },
  };
}
