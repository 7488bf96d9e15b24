/**
 * A throwaway CA with one certificate for 127.0.0.1 (server and client auth), made with the system openssl
 * in a temp dir, for the store TLS tests. Returns file paths and PEM contents.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCerts {
  dir: string;
  files: { ca: string; cert: string; key: string };
  pem: { ca: string; cert: string; key: string };
  remove(): void;
}

export function makeCerts(): TestCerts {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-store-certs-'));
  const f = (n: string) => path.join(dir, n);
  const ssl = (args: string[]) =>
    execFileSync('openssl', args, { stdio: 'ignore', env: { ...process.env, OPENSSL_CONF: '/dev/null' } });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=shoal-store-test-ca',
  ]);
  ssl(['req', ...ec, '-keyout', f('node.key'), '-out', f('node.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  ssl([
    'x509',
    '-req',
    '-in',
    f('node.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('node.pem'),
    '-days',
    '2',
    '-extfile',
    f('ext'),
  ]);
  const files = { ca: f('ca.pem'), cert: f('node.pem'), key: f('node.key') };
  return {
    dir,
    files,
    pem: {
      ca: readFileSync(files.ca, 'utf8'),
      cert: readFileSync(files.cert, 'utf8'),
      key: readFileSync(files.key, 'utf8'),
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
