/**
 * `shoal tls issue`: a key (0600) and a certificate signed by the CA, with the SANs and key usages asked for,
 * in `<dir>/<name>/{key,cert,ca}.pem`: the layout DOCKER_CERT_PATH and dockerd's --tlscacert/--tlscert/--tlskey
 * expect, so the folder can be copied to the host as it is.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../common/errors.js';
import { readCa } from './ca.js';
import type { CertRequest } from './extensions.js';
import { makeCsr, signCsr } from './sign.js';
import { exists, writePublic, writeSecret } from './files.js';
import { generateKey, type KeyType } from './openssl.js';

export interface IssuedFiles {
  dir: string;
  cert: string;
  key: string;
  ca: string;
}

export function issuedFiles(dir: string, name: string): IssuedFiles {
  const d = path.join(dir, name);
  return { dir: d, cert: path.join(d, 'cert.pem'), key: path.join(d, 'key.pem'), ca: path.join(d, 'ca.pem') };
}

export async function issueCert(
  dir: string,
  req: CertRequest,
  opts: { keyType: KeyType; force: boolean },
): Promise<IssuedFiles> {
  const ca = await readCa(dir);
  const out = issuedFiles(dir, req.name);
  if (!opts.force && (await exists(out.key))) {
    throw new ConfigError(`shoal tls issue: ${out.key} already exists (use --force to replace it)`, 'name');
  }
  const key = await generateKey(opts.keyType);
  await writeSecret(out.key, key);
  const cert = await signCsr(ca, await makeCsr(key, req.name), req);
  await writePublic(out.cert, cert);
  await writePublic(out.ca, await readFile(ca.cert, 'utf8'));
  return out;
}
