import { StoreError } from '../common/errors.js';
import type { Store, StoreOptions } from './store.js';
import type { StoreUri } from './uri.js';

export async function createEtcdStore(_uri: StoreUri, _opts: StoreOptions): Promise<Store> {
  throw new StoreError('the etcd backend is being built', undefined, false);
}
