/**
 * Sign a certificate request with a CA: the subject and extensions come from `req` (the CA side), never from
 * the request, which only proves that its sender holds the key. The request's signature is checked first.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serial, withScratch, type CaFiles } from './ca.js';
import { csrConfig, leafExtensions, type CertRequest } from './extensions.js';
import { openssl } from './openssl.js';

/** A CSR (PEM) for `key` (PEM) with `req.name` as its subject. */
export async function makeCsr(keyPem: string, name: string): Promise<string> {
  return withScratch(async (tmp) => {
    const reqConf = path.join(tmp, 'req.cnf');
    const keyFile = path.join(tmp, 'key.pem');
    await writeFile(reqConf, csrConfig(name));
    await writeFile(keyFile, keyPem, { mode: 0o600 });
    return openssl(['req', '-new', '-config', reqConf, '-key', keyFile, '-sha256']);
  });
}

/** Check the CSR's own signature (openssl fails on a malformed or forged one), then sign it. */
export async function signCsr(ca: CaFiles, csrPem: string, req: CertRequest): Promise<string> {
  await openssl(['req', '-verify', '-noout'], csrPem);
  return withScratch(async (tmp) => {
    const extConf = path.join(tmp, 'ext.cnf');
    await writeFile(extConf, leafExtensions(req));
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
        '-subj',
        `/CN=${req.name}`,
      ],
      csrPem,
    );
  });
}
