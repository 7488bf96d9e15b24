/**
 * `shoal tls issue`: a key (0600) and a certificate signed by the CA, with the SANs and key usages asked for,
 * in `<dir>/<name>/{key,cert,ca}.pem`: the layout DOCKER_CERT_PATH and dockerd's --tlscacert/--tlscert/--tlskey
 * expect, so the folder can be copied to the host as it is.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../common/errors.js';
import { readCa, serial, withScratch } from './ca.js';
import { csrConfig, leafExtensions, type CertRequest } from './extensions.js';
import { exists, writePublic, writeSecret } from './files.js';
import { generateKey, openssl, type KeyType } from './openssl.js';

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
  const cert = await withScratch(async (tmp) => {
    const reqConf = path.join(tmp, 'req.cnf');
    const extConf = path.join(tmp, 'ext.cnf');
    await writeFile(reqConf, csrConfig(req.name));
    await writeFile(extConf, leafExtensions(req));
    const csr = await openssl(['req', '-new', '-config', reqConf, '-key', out.key, '-sha256']);
    return openssl(
      [
        'x509',
        '-req',
        '-CA',
        ca.cert,
        '-CAkey',
        ca.key,
        '-set_serial',
        serial(),
        '-days',
        String(req.days),
        '-sha256',
        '-extfile',
        extConf,
        '-extensions',
        'leaf',
      ],
      csr,
    );
  });
  await writePublic(out.cert, cert);
  await writePublic(out.ca, await readFile(ca.cert, 'utf8'));
  return out;
}
