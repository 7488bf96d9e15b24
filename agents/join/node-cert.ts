/**
 * The node's TLS identity under `--cert-dir`: its key is made here (0600) and kept across restarts; only a
 * certificate request leaves the host. The certificate the cluster CA signed, and that CA, are written beside
 * it in the layout dockerd's --tlscacert/--tlscert/--tlskey and DOCKER_CERT_PATH expect.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { exists, writePublic, writeSecret } from '../tls/files.js';
import { generateKey } from '../tls/openssl.js';
import { makeCsr } from '../tls/sign.js';

export function nodeCertFiles(dir: string): { key: string; cert: string; ca: string } {
  return { key: path.join(dir, 'key.pem'), cert: path.join(dir, 'cert.pem'), ca: path.join(dir, 'ca.pem') };
}

/** The request for this host's key, made first when there is none. */
export async function nodeCsr(dir: string): Promise<string> {
  const f = nodeCertFiles(dir);
  if (!(await exists(f.key))) await writeSecret(f.key, await generateKey('ec'));
  return makeCsr(await readFile(f.key, 'utf8'), 'shoal-node');
}

export async function saveNodeCert(dir: string, cert: string, ca: string): Promise<void> {
  const f = nodeCertFiles(dir);
  await writePublic(f.ca, ca);
  await writePublic(f.cert, cert);
}
