/** What every handler receives. */
import type http from 'node:http';
import type { Cluster } from '../cluster/cluster.js';
import type { CreateOptions } from '../cluster/create.js';
import type { Logger } from '../../common/log.js';
import type { DockerClient } from '../../docker/client.js';
import type { ManageMetrics } from '../metrics.js';
import type { Swarm } from '../swarm/service.js';
import type { ServicesApi } from './handlers/services.js';

export interface ApiOptions {
  cluster: Cluster;
  create: CreateOptions;
  strategy: string;
  filters: readonly string[];
  log: Logger;
  /** Up to this many nodes, GET /containers/json asks every node live; above it, the cache answers. */
  liveListMax: number;
  /** Replication: who the primary is when this manager is not it. */
  role: () => { role: 'primary' | 'replica'; primary?: string };
  /** The primary to proxy to while this manager is a replica (undefined while none is known). */
  primaryClient?: () => DockerClient | undefined;
  /** Request, create and placement counters (--status-addr). */
  metrics?: ManageMetrics;
  /** Swarm mode (its state lives in the discovery store): undefined without a store discovery. */
  swarm?: Swarm;
  /** Swarm-mode services and tasks, with the orchestrator to wake on writes (with `swarm`). */
  services?: ServicesApi;
}

export interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** Matched groups of the route pattern. */
  params: string[];
  url: URL;
  /** `/v1.47` or '' */
  versionPrefix: string;
  api: ApiOptions;
}

export type Handler = (ctx: Ctx) => Promise<void>;
