/**
 * The manage core that `main` and the tests start and stop in-process: discovery feeds the cluster, the API
 * server serves it. Returns once the listeners are up. Every component started pushes its stop onto one
 * list: a start that fails part-way and `stop()` both unwind it, last started first.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { storeOptionsFrom } from '../config/common.js';
import type { Logger } from '../common/log.js';
import { errorMessage } from '../common/errors.js';
import { retry } from '../common/retry.js';
import type { ManageConfig } from './config.js';
import { Cluster } from './cluster/cluster.js';
import { discoveryWatch } from './discovery/source.js';
import { filtersByName } from './scheduler/filters/index.js';
import { strategyByName } from './scheduler/strategies/index.js';
import { listen, type Listening } from './api/server.js';
import type { ApiOptions } from './api/context.js';
import { DockerClient } from '../docker/client.js';
import type { EngineTls } from '../docker/endpoint.js';
import { Replication } from './replication.js';
import { openStore } from '../store/open.js';
import type { Store, StoreOptions } from '../store/store.js';
import type { CreateOptions } from './cluster/create.js';
import { watchForRescheduling } from './cluster/reschedule.js';
import { ManageMetrics } from './metrics.js';
import { startStatusServer, type StatusServer } from '../common/status.js';
import { VERSION } from '../version.js';
import { Stops, type StopFn } from './stops.js';
import { parseDiscovery } from './discovery/parse.js';
import { Swarm } from './swarm/service.js';
import { ServiceStore } from './orchestrator/store.js';
import { Orchestrator } from './orchestrator/loop.js';
import { SwarmView } from './swarm/view.js';
import { TaskNetworks } from './orchestrator/netattach.js';
import { NetworkStore } from './networks/store.js';
import { Bridges } from './networks/bridges.js';
import { BridgeJanitor } from './networks/janitor.js';
import { defaultCaDir } from './swarm/ca.js';
import type { EngineFacts } from './swarm/nodes.js';
import { UiFeed } from './ui/feed.js';
import { startUiServer } from './ui/server.js';

export interface Manager {
  addresses: string[];
  cluster: Cluster;
  metrics: ManageMetrics;
  /** Where /healthz and /metrics are served (with --status-addr). */
  statusAddress: string | undefined;
  /** The browser cluster view's URL (with --ui). */
  uiUrl: string | undefined;
  stop(): Promise<void>;
}

export type ManagerConfig = Pick<
  ManageConfig,
  | 'hosts'
  | 'discovery'
  | 'strategy'
  | 'filters'
  | 'heartbeatMs'
  | 'refreshMinMs'
  | 'refreshMaxMs'
  | 'failureRetry'
  | 'clusterOpts'
  | 'tls'
  | 'tlsVerify'
  | 'tlsCaCert'
  | 'tlsCert'
  | 'tlsKey'
  | 'store'
> &
  Partial<Pick<ManageConfig, 'replication' | 'statusAddr' | 'pingMs' | 'swarmCaDir' | 'ui' | 'uiRoutes'>> & {
    liveListMax?: number;
  };

export interface ManagerDeps {
  /** Opens the store replication elects the primary through (tests pass a fake). */
  openStore: (uri: string, opts: StoreOptions) => Promise<Store>;
}

function engineTls(c: ManagerConfig): EngineTls | undefined {
  if (!c.tlsCaCert || !c.tlsCert || !c.tlsKey) return undefined;
  return {
    ca: readFileSync(c.tlsCaCert, 'utf8'),
    cert: readFileSync(c.tlsCert, 'utf8'),
    key: readFileSync(c.tlsKey, 'utf8'),
  };
}

function serverTls(c: ManagerConfig) {
  if (!c.tls || !c.tlsCert || !c.tlsKey) return undefined;
  const ca = c.tlsCaCert ? { ca: readFileSync(c.tlsCaCert, 'utf8') } : {};
  return { cert: readFileSync(c.tlsCert, 'utf8'), key: readFileSync(c.tlsKey, 'utf8'), ...ca, verify: c.tlsVerify };
}

export async function startManager(
  config: ManagerConfig,
  log: Logger,
  deps: ManagerDeps = { openStore },
): Promise<Manager> {
  const stops = new Stops();
  try {
    return await start(config, log, deps, stops);
  } catch (err) {
    await stops.run().catch((e: unknown) => log.warn({ err: errorMessage(e) }, 'stopping after a failed start'));
    throw err;
  }
}

async function start(config: ManagerConfig, log: Logger, deps: ManagerDeps, stops: Stops): Promise<Manager> {
  const tls = engineTls(config);
  const storeOptions = { ...(await storeOptionsFrom(config.store, (p) => readFile(p, 'utf8'))), logger: log };
  const createOpts: CreateOptions = {
    filters: filtersByName(config.filters),
    strategy: strategyByName(config.strategy),
    overcommit: config.clusterOpts.overcommit,
    createRetry: config.clusterOpts.createRetry,
  };
  const cluster: Cluster = new Cluster({
    onNode: (n) => watchForRescheduling(cluster, n, createOpts, log),
    failureRetry: config.failureRetry,
    refreshMinMs: config.refreshMinMs,
    refreshMaxMs: config.refreshMaxMs,
    pingMs: config.pingMs ?? 0,
    log,
    tls,
  });
  stops.push(() => cluster.stop());
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
  // before replication, so that a stop releases the leader lock without waiting for discovery to end
  stops.push(followDiscovery(config, cluster, storeOptions, log));
  // a store discovery also holds replication's election and swarm mode's state, under the same prefix
  const store =
    parseDiscovery(config.discovery).kind === 'store'
      ? await deps.openStore(config.discovery, storeOptions)
      : undefined;
  if (store) stops.push(() => store.close().catch(() => {}));
  let replication: Replication | undefined;
  if (config.replication && store) {
    const r = new Replication(store, config.replication.advertise, config.replication.ttlMs, log);
    Object.assign(api, replicaApi(r, config.tls ? tls : undefined));
    r.start();
    stops.push(() => r.stop());
    replication = r;
  }
  if (store) {
    const view = new SwarmView(store, log);
    view.start();
    stops.push(() => view.stop());
    const swarm = swarmMode(config, store, cluster, replication, log, view);
    api.swarm = swarm;
    const services = new ServiceStore(store, log, Date.now, () => view.clusterKnown());
    const networks = new NetworkStore(store, log);
    const bridges = new Bridges(networks, log);
    const isLeader = () => !replication || replication.role === 'primary';
    const orchestrator = new Orchestrator({
      store: services,
      swarm,
      cluster,
      isLeader,
      log,
      onPass: () => metrics.servicesPasses.inc(),
      networks: new TaskNetworks({ store: networks, bridges }),
    });
    orchestrator.start();
    stops.push(() => orchestrator.stop());
    const janitor = new BridgeJanitor(bridges, cluster, isLeader, log);
    janitor.start();
    stops.push(() => janitor.stop());
    api.services = { store: services, orchestrator, swarm, networks, janitor };
  }
  const server: Listening = await listen(config.hosts, api, serverTls(config));
  api.swarm?.setListening(server.addresses);
  stops.push(() => server.close());
  metrics.listening = true;
  stops.push(() => {
    metrics.listening = false;
  });
  const routes = config.ui && config.uiRoutes ? await deps.openStore(config.uiRoutes, storeOptions) : undefined;
  if (routes) stops.push(() => routes.close().catch(() => {}));
  const ui = config.ui ? await startUi(config, { store, routes }, cluster, log, stops) : undefined;
  let status: StatusServer | undefined;
  if (config.statusAddr) {
    const s = await startStatusServer(config.statusAddr, () => metrics.health(), metrics.registry);
    stops.push(() => s.close());
    status = s;
  }
  const { discovery: uri, strategy, filters } = config;
  const shown = { replication: config.replication !== undefined, tls: config.tls, statusAddr: status?.address, ui };
  const { addresses } = server;
  log.info({ version: VERSION, addresses, discovery: uri, strategy, filters, ...shown }, 'manager listening');
  return { addresses, cluster, metrics, statusAddress: status?.address, uiUrl: ui, stop: () => stops.run() };
}

/** `--ui`: the live view's feed and its server (same TLS as the API); its URL. */
async function startUi(
  config: ManagerConfig,
  stores: { store: Store | undefined; routes: Store | undefined },
  cluster: Cluster,
  log: Logger,
  stops: Stops,
): Promise<string | undefined> {
  if (!config.ui) return undefined;
  const feed = new UiFeed({ ...stores, cluster, log });
  feed.start();
  stops.push(() => feed.stop());
  const s = await startUiServer(feed, { ...config.ui, tls: serverTls(config) });
  stops.push(() => s.close());
  return s.url;
}

/** Swarm mode over the discovery store: this manager's identity is its --advertise address, else `local`. */
function swarmMode(
  config: ManagerConfig,
  store: Store,
  cluster: Cluster,
  r: Replication | undefined,
  log: Logger,
  view: SwarmView,
): Swarm {
  const advertise = config.replication?.advertise;
  const self = advertise ?? 'local';
  const engines = (): EngineFacts[] =>
    cluster.list().map((n) => ({
      addr: n.addr,
      name: n.name || n.addr,
      health: n.health,
      serverVersion: n.serverVersion,
      cpus: n.cpus,
      memory: n.memory,
      labels: n.labels,
      error: n.error,
    }));
  return new Swarm({
    store,
    engines,
    managers: () => ({ self, leader: r ? (r.role === 'primary' ? self : r.primary) : self }),
    advertise,
    caDir: config.swarmCaDir ?? defaultCaDir(config.tlsCaCert, os.homedir(), existsSync),
    discovery: config.discovery,
    log,
    view,
  });
}

/** A replica answers /info with its role and proxies the rest to the primary (one client per primary address). */
function replicaApi(r: Replication, tls: EngineTls | undefined): Pick<ApiOptions, 'role' | 'primaryClient'> {
  const clients = new Map<string, DockerClient>();
  return {
    role: () =>
      r.role === 'primary' ? { role: 'primary' } : { role: 'replica', ...(r.primary ? { primary: r.primary } : {}) },
    primaryClient: () => {
      if (!r.primary) return undefined;
      let c = clients.get(r.primary);
      if (!c) clients.set(r.primary, (c = DockerClient.forAddress(r.primary, tls)));
      return c;
    },
  };
}

/** Feed the cluster from discovery until the returned stop; a failed watch is retried with backoff. */
function followDiscovery(config: ManagerConfig, cluster: Cluster, storeOptions: StoreOptions, log: Logger): StopFn {
  const ac = new AbortController();
  const ctx = { log, signal: ac.signal, heartbeatMs: config.heartbeatMs, storeOptions };
  const follow = async (progress: () => void) => {
    for await (const addrs of discoveryWatch(config.discovery, ctx)) {
      cluster.setAddrs(addrs);
      progress();
    }
  };
  const retrying = { signal: ac.signal, initialMs: 250, log, what: 'discovery', isRetryable: () => true };
  const discovered = retry(follow, retrying).catch(() => {});
  return async () => {
    ac.abort();
    await discovered;
  };
}
