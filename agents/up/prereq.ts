/** What `shoal up` needs on this machine, checked before anything starts: one line naming what is missing. */
import { ConfigError } from '../common/errors.js';
import { hasBinary } from './store.js';
import type { UpOptions } from './types.js';

/** The binaries a given `up` needs. Pure. */
export function requiredBinaries(o: Pick<UpOptions, 'store' | 'storeKind' | 'engines' | 'edge'>): string[][] {
  const need: string[][] = [['docker']];
  if (!o.store) need.push(o.storeKind ? [o.storeKind] : ['consul', 'etcd']);
  // umount: `down` unmounts what an engine that died unclean leaves (reap.ts)
  if (o.engines > 0) need.push(['dockerd'], ['containerd'], ['unshare'], ['ip'], ['umount']);
  if (o.edge) need.push([o.edge.proxy]);
  return need;
}

export async function checkPrerequisites(o: UpOptions): Promise<void> {
  const missing: string[] = [];
  for (const alternatives of requiredBinaries(o)) {
    let found = false;
    for (const b of alternatives) if (await hasBinary(b)) found = true;
    if (!found) missing.push(alternatives.join(' or '));
  }
  if (o.engines > 0 && process.getuid?.() !== 0) missing.push('root (engines need their own bridge and namespaces)');
  if (missing.length)
    throw new ConfigError(
      `shoal up: missing ${missing.join(', ')} (Debian: .ci/install.sh installs them)`,
      'prerequisites',
    );
}
