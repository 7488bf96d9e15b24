/**
 * Cluster networks in the store, beside the services: one value per network at
 * `docker/swarm/mode/networks/<id>` and a name claim at `.../network-names/<name>` (compare-and-set, so two
 * creates of one name cannot both win). A network a service still names cannot be removed, as in swarmkit.
 * Store calls are retried briefly; a store that does not answer fails the request with a 503.
 */
import type { Logger } from '../../common/log.js';
import type { Store } from '../../store/store.js';
import { randomId } from '../services/names.js';
import { SwarmError, notManager } from '../swarm/errors.js';
import { storeCall } from '../swarm/storeio.js';
import { CLUSTER_KEY, MODE_PREFIX } from '../swarm/layout.js';
import { findClusterNetwork, parseNetworkCreate, parseNetworkRecord, type NetworkRecord } from './model.js';

export const NETWORKS_PREFIX = `${MODE_PREFIX}/networks`;
export const NETWORK_NAMES_PREFIX = `${MODE_PREFIX}/network-names`;
const netKey = (id: string) => `${NETWORKS_PREFIX}/${id}`;
const nameKey = (name: string) => `${NETWORK_NAMES_PREFIX}/${name}`;

export const networkNotFound = (ref: string) => new SwarmError(404, `network ${ref} not found`, 'SHOAL_NO_NETWORK');

export class NetworkStore {
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private io<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return storeCall(this.log, `networks ${what}`, fn);
  }

  /** Whether a swarm is initialised (cluster networks exist only then). */
  async active(): Promise<boolean> {
    return (await this.io('read', () => this.store.get(CLUSTER_KEY))) !== undefined;
  }

  /** The cluster's ID (per-node bridges carry it, so that engines shared with another cluster are told apart). */
  async clusterId(): Promise<string | undefined> {
    const raw = await this.io('read', () => this.store.get(CLUSTER_KEY));
    if (raw === undefined) return undefined;
    try {
      const id = (JSON.parse(raw) as { id?: unknown }).id;
      return typeof id === 'string' ? id : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every network record (unreadable values are skipped). */
  async list(): Promise<NetworkRecord[]> {
    const kvs = await this.io('read', () => this.store.list(NETWORKS_PREFIX));
    const out: NetworkRecord[] = [];
    for (const kv of kvs) {
      const n = parseNetworkRecord(kv.value);
      if (n && kv.key === netKey(n.id)) out.push(n);
    }
    return out;
  }

  /** `POST /networks/create` with the overlay driver. Nothing is written for a bad body or a taken name. */
  async create(body: Record<string, unknown>): Promise<NetworkRecord> {
    if (!(await this.active())) throw notManager();
    const rec = parseNetworkCreate(body, randomId(), new Date(this.now()).toISOString());
    const conflict = () => new SwarmError(409, `network with name ${rec.name} already exists`, 'SHOAL_NETWORK_EXISTS');
    const nets = await this.list();
    if (nets.some((n) => n.name === rec.name)) throw conflict();
    const claimed = await this.io('create', () => this.store.get(nameKey(rec.name)));
    // a claim whose network is gone (a create that failed half-way) may be taken over
    if (claimed !== undefined && nets.some((n) => n.id === claimed)) throw conflict();
    if (!(await this.io('create', () => this.store.cas(nameKey(rec.name), claimed, rec.id)))) throw conflict();
    await this.io('create', () => this.store.cas(netKey(rec.id), undefined, JSON.stringify(rec)));
    this.log.info({ network: rec.id, name: rec.name }, 'cluster network created');
    return rec;
  }

  /**
   * `DELETE /networks/{id}`: refused while a service names it (`users` maps service IDs to the network IDs
   * their spec names); the per-node bridges go once their task containers are gone (bridges.ts).
   */
  async remove(rec: NetworkRecord, users: ReadonlyMap<string, readonly string[]>): Promise<void> {
    for (const [service, nets] of users)
      if (nets.includes(rec.id))
        throw new SwarmError(
          400,
          `rpc error: code = FailedPrecondition desc = network ${rec.id} is in use by service ${service}`,
          'SHOAL_NETWORK_IN_USE',
        );
    await this.io('remove', () => this.store.delete(netKey(rec.id)));
    const claim = await this.io('remove', () => this.store.get(nameKey(rec.name)));
    if (claim === rec.id) await this.io('remove', () => this.store.delete(nameKey(rec.name)));
    this.log.info({ network: rec.id, name: rec.name }, 'cluster network removed');
  }

  /** The record `ref` names, or undefined. */
  async find(ref: string): Promise<NetworkRecord | undefined> {
    return findClusterNetwork(await this.list(), ref);
  }
}
