/** `shoal tls init`: a CA key (0600) and a self-signed CA certificate in one directory. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../common/errors.js';
import { caConfig } from './extensions.js';
import { exists, writePublic, writeSecret } from './files.js';
import { generateKey, openssl, type KeyType } from './openssl.js';

export interface CaFiles {
  dir: string;
  cert: string;
  key: string;
}

export function caFiles(dir: string): CaFiles {
  return { dir, cert: path.join(dir, 'ca.pem'), key: path.join(dir, 'ca-key.pem') };
}

export interface InitOptions {
  dir: string;
  commonName: string;
  days: number;
  keyType: KeyType;
  force: boolean;
}

/** A scratch directory (0700) removed afterwards, for the config files openssl reads. */
export async function withScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shoal-tls-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function initCa(opts: InitOptions): Promise<CaFiles> {
  const files = caFiles(opts.dir);
  if (!opts.force && ((await exists(files.key)) || (await exists(files.cert)))) {
    throw new ConfigError(
      `shoal tls init: a CA already exists in ${opts.dir} (use --force to replace it; every certificate it issued stops verifying)`,
      'dir',
    );
  }
  const key = await generateKey(opts.keyType);
  await writeSecret(files.key, key);
  const cert = await withScratch(async (tmp) => {
    const conf = path.join(tmp, 'ca.cnf');
    await writeFile(conf, caConfig(opts.commonName));
    return openssl([
      'req',
      '-new',
      '-x509',
      '-config',
      conf,
      '-key',
      files.key,
      '-days',
      String(opts.days),
      '-sha256',
      '-set_serial',
      serial(),
    ]);
  });
  await writePublic(files.cert, cert);
  return files;
}

/** Load the CA, with a one-line error when `init` was not run. */
export async function readCa(dir: string): Promise<CaFiles> {
  const files = caFiles(dir);
  for (const f of [files.cert, files.key]) {
    if (!(await exists(f)))
      throw new ConfigError(
        `shoal tls issue: no CA in ${dir} (${path.basename(f)} missing): run 'shoal tls init --dir ${dir}' first`,
        'dir',
      );
  }
  await readFile(files.key); // readable by us?
  return files;
}

/** A random positive 127-bit serial, as RFC 5280 asks (unique without a serial file). */
export function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return `0x${bytes.toString('hex')}`;
}
