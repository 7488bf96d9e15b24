/**
 * Open a Store by URI scheme. Adding a backend is one file and one line here. Backends are loaded lazily so
 * an agent only loads the client library it uses.
 */
import { ConfigError } from '../common/errors.js';
import type { Store, StoreOptions } from './store.js';
import { parseStoreUri, type StoreUri } from './uri.js';

type Factory = (uri: StoreUri, opts: StoreOptions) => Promise<Store>;

const BACKENDS: Record<string, Factory> = {
  consul: async (u, o) => (await import('./consul.js')).createConsulStore(u, o),
  etcd: async (u, o) => (await import('./etcd.js')).createEtcdStore(u, o),
  etcd2: async (u, o) => (await import('./etcd2.js')).createEtcd2Store(u, o),
  zk: async (u, o) => (await import('./zookeeper.js')).createZookeeperStore(u, o),
};

export const STORE_SCHEMES = Object.keys(BACKENDS);

export async function openStore(uri: string | StoreUri, opts: StoreOptions): Promise<Store> {
  const parsed = typeof uri === 'string' ? parseStoreUri(uri, STORE_SCHEMES) : uri;
  const factory = BACKENDS[parsed.scheme];
  if (!factory)
    throw new ConfigError(`unsupported store scheme "${parsed.scheme}": expected ${STORE_SCHEMES.join(', ')}`);
  return factory(parsed, opts);
}
