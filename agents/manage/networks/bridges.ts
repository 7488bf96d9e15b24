/**
 * The per-node side of cluster networks. Plain engines have no overlay driver, so a cluster network is a bridge
 * network of the same name on each node that runs one of its tasks, made when the first such task is placed
 * there and labelled with the cluster's and the network's IDs. Tasks of one network on one node reach each other
 * by service name (DNS aliases on the bridge); traffic between nodes goes through the edge's routes, not through
 * these bridges. The sweep removes the bridges of this cluster whose network record is gone, once the engine
 * lets it (no container left on them). Bridge creates are made one at a time: the harness's and `shoal up`'s
 * engines share one network namespace, and each engine picks a free subnet by looking at the host's routes.
 */
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { DockerRequestError } from '../../docker/errors.js';
import type { DockerClient } from '../../docker/client.js';
import type { NetworkRecord } from './model.js';
import type { NetworkStore } from './store.js';

export const BRIDGE_LABEL = {
  cluster: 'shoal.swarm.cluster.id',
  network: 'shoal.swarm.network.id',
} as const;

interface EngineNetwork {
  Id: string;
  Name: string;
  Labels?: Record<string, string> | null;
  Containers?: Record<string, unknown> | null;
}

const q = (f: Record<string, string[]>) =>
  `?filters=${encodeURIComponent(JSON.stringify(Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Object.fromEntries(v.map((x) => [x, true]))]))))}`;

export class Bridges {
  /** One bridge create at a time across all nodes (see above). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly networks: NetworkStore,
    private readonly log: Logger,
  ) {}

  private async named(c: DockerClient, name: string): Promise<EngineNetwork | undefined> {
    const r = await c.json<EngineNetwork[]>('GET', `/networks${q({ name: [name] })}`);
    if (r.status !== 200) throw new DockerRequestError(c.addr, r.status, r.body);
    return (Array.isArray(r.body) ? r.body : []).find((n) => n.Name === name);
  }

  /** The bridge for `net` on the engine behind `c`, made if missing. */
  async ensure(c: DockerClient, net: NetworkRecord): Promise<void> {
    const cluster = (await this.networks.clusterId()) ?? '';
    const current = async () => {
      const n = await this.named(c, net.name);
      // this cluster's bridge of an earlier network of that name (a stack removed and deployed again): remade
      // when nothing uses it, else used as it is until the sweep can remove it
      if (n && n.Labels?.[BRIDGE_LABEL.cluster] === cluster && n.Labels?.[BRIDGE_LABEL.network] !== net.id) {
        const d = await c.json('DELETE', `/networks/${encodeURIComponent(n.Id)}`);
        if (d.status < 300 || d.status === 404) return undefined;
      }
      return n;
    };
    if (await current()) return;
    const make = async () => {
      if (await current()) return;
      const r = await c.json('POST', '/networks/create', {
        Name: net.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: net.internal,
        Attachable: true,
        Labels: { [BRIDGE_LABEL.cluster]: cluster, [BRIDGE_LABEL.network]: net.id },
      });
      if (r.status >= 300 && r.status !== 409) throw new DockerRequestError(c.addr, r.status, r.body);
      this.log.info({ engine: c.addr, network: net.name }, 'cluster network: bridge made on the node');
    };
    const run = this.chain.then(make, make);
    this.chain = run.catch(() => undefined);
    await run;
  }

  /** Connects a created (not yet started) container to one more bridge, with its aliases. */
  async connect(c: DockerClient, name: string, container: string, aliases: string[]): Promise<void> {
    const r = await c.json('POST', `/networks/${encodeURIComponent(name)}/connect`, {
      Container: container,
      EndpointConfig: { Aliases: aliases },
    });
    if (r.status >= 300) throw new DockerRequestError(c.addr, r.status, r.body);
  }

  /**
   * Removes, on each engine, the bridges this cluster made for networks no longer in the store and no longer
   * used by a container (a bridge still in use is tried again on a later sweep).
   */
  async sweep(engines: readonly DockerClient[]): Promise<void> {
    const cluster = await this.networks.clusterId();
    if (cluster === undefined) return;
    const live = new Set((await this.networks.list()).map((n) => n.id));
    for (const c of engines) {
      try {
        const r = await c.json<EngineNetwork[]>(
          'GET',
          `/networks${q({ label: [`${BRIDGE_LABEL.cluster}=${cluster}`] })}`,
        );
        if (r.status !== 200 || !Array.isArray(r.body)) continue;
        for (const n of r.body) {
          const id = n.Labels?.[BRIDGE_LABEL.network];
          if (id === undefined || live.has(id)) continue;
          const one = await c.json<EngineNetwork>('GET', `/networks/${encodeURIComponent(n.Id)}`);
          if (one.status !== 200 || Object.keys(one.body?.Containers ?? {}).length > 0) continue;
          const d = await c.json('DELETE', `/networks/${encodeURIComponent(n.Id)}`);
          if (d.status < 300 || d.status === 404)
            this.log.info({ engine: c.addr, network: n.Name }, 'cluster network: bridge removed from the node');
        }
      } catch (err) {
        this.log.warn({ engine: c.addr, err: errorMessage(err) }, 'cluster network: bridge sweep failed');
      }
    }
  }
}
