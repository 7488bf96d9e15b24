/**
 * KV mode (consul://, etcd://, etcd2://, zk://): the store as a RegistryTarget. Entries are written straight
 * into it, or with --ttl through one lease; the store's and the lease's recovery ask for a full resync.
 */
import type { Logger } from '../common/log.js';
import { withTimeout } from '../common/backoff.js';
import { errorMessage, rethrowAtStart } from '../common/errors.js';
import { retry } from '../common/retry.js';
import type { Store, StoreState } from '../store/store.js';
import type { RegistratorConfig } from './config.js';
import type { RegistryTarget } from './target.js';
import { LeaseWriter, StoreWriter, type EntryWriter } from './writer.js';

type KvConfig = Pick<RegistratorConfig, 'registry' | 'ttlMs' | 'retryIntervalMs'>;

/** `openStore` opens (not yet reaches) the store; connect() pings it and closes it again when that fails. */
export function kvTarget(config: KvConfig, openStore: () => Promise<Store>, log: Logger): RegistryTarget {
  let store: Store | undefined;
  return {
    mode: 'kv',
    get description() {
      return store?.description ?? `store ${config.registry.text}`;
    },
    async connect() {
      const s = await openStore();
      try {
        await s.ping();
      } catch (err) {
        await s.close().catch(() => undefined);
        throw err;
      }
      store = s;
    },
    async open(_dockerHost, hooks, signal) {
      const s = store!;
      let writer: EntryWriter;
      if (config.ttlMs > 0) {
        const retrying = { signal, log, what: 'store lease', initialMs: config.retryIntervalMs };
        const refused = rethrowAtStart('registrator', config.registry.text);
        const lease = await retry(() => s.lease(config.ttlMs), retrying).catch(refused);
        writer = new LeaseWriter(s, lease);
        lease.on('lost', (err) => log.warn({ err: errorMessage(err) }, 'lease lost; it will be re-created'));
        lease.on('restored', () => hooks.resync('lease restored'));
      } else {
        writer = new StoreWriter(s);
      }
      const onState = (state: StoreState) => {
        hooks.connected(state !== 'lost');
        if (state === 'restored') hooks.resync('store restored');
        else if (state === 'lost') log.warn('store connection lost');
      };
      s.on('state', onState);
      return { writer, detach: () => s.off('state', onState) };
    },
    async close() {
      // a store that is down or half-closed must not hold up shutdown
      if (store === undefined) return;
      await withTimeout(store.close(), 5000, () => new Error('store close timed out')).catch((err: unknown) =>
        log.warn({ err: errorMessage(err) }, 'store close failed'),
      );
    },
  };
}
