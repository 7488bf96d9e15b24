/**
 * The cluster CA, `shoal tls`'s own: `docker swarm init` loads the CA in the manager's swarm CA directory, or
 * creates one there (`shoal tls init`'s files: ca.pem, ca-key.pem 0600) when the directory holds none. Its
 * certificate goes into the cluster document (TLSInfo.TrustRoot, the token digest); its key stays on the
 * manager's disk and is what join tokens are derived from (./tokens.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { caFiles, initCa } from '../../tls/ca.js';
import { exists } from '../../tls/files.js';

export interface ClusterCa {
  dir: string;
  cert: string;
  key: string;
}

export async function loadCa(dir: string): Promise<ClusterCa | undefined> {
  const f = caFiles(dir);
  if (!(await exists(f.cert)) || !(await exists(f.key))) return undefined;
  return { dir, cert: await readFile(f.cert, 'utf8'), key: await readFile(f.key, 'utf8') };
}

export async function loadOrCreateCa(dir: string): Promise<ClusterCa> {
  const have = await loadCa(dir);
  if (have) return have;
  await initCa({ dir, commonName: 'shoal swarm CA', days: 3650, keyType: 'ec', force: false });
  return (await loadCa(dir)) as ClusterCa;
}

/**
 * Without --swarm-ca-dir: the directory of --tlscacert when it holds the CA key (the manager's `shoal tls`
 * CA), else `~/.shoal/swarm-ca`. Pure but for `hasKey`.
 */
export function defaultCaDir(tlsCaCert: string | undefined, home: string, hasKey: (file: string) => boolean): string {
  if (tlsCaCert) {
    const dir = path.dirname(tlsCaCert);
    if (hasKey(caFiles(dir).key)) return dir;
  }
  return path.join(home, '.shoal', 'swarm-ca');
}
