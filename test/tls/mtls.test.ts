/**
 * Real mutual TLS with issued material: a node https server with a --server certificate that requires client
 * certificates from the CA. Also the "doesn't contain any IP SANs" failure, and usage checks on both sides.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { initCa } from '../../agents/tls/ca.js';
import { certRequest } from '../../agents/tls/extensions.js';
import { issueCert, type IssuedFiles } from '../../agents/tls/issue.js';
import { tempDir } from './helpers.js';

const read = (f: string) => readFileSync(f, 'utf8');

async function issue(dir: string, raw: Parameters<typeof certRequest>[0]): Promise<IssuedFiles> {
  return issueCert(dir, certRequest(raw), { keyType: 'ec', force: false });
}

function serve(t: { teardown(fn: () => unknown): void }, files: IssuedFiles): Promise<number> {
  const server = https.createServer(
    { key: read(files.key), cert: read(files.cert), ca: read(files.ca), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.end(`hello ${peer.subject?.CN ?? '?'}`);
    },
  );
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function get(
  port: number,
  opts: { ca: string; cert?: string; key?: string },
): Promise<{ ok: true; body: string } | { ok: false; code: string; message: string }> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/', ...opts, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ ok: true, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, code: e.code ?? '', message: e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, code: e.code ?? '', message: e.message }));
  });
}

t.test('mutual TLS between issued certificates', async (t) => {
  const dir = tempDir(t);
  const foreignDir = tempDir(t);
  await initCa({ dir, commonName: 'shoal CA', days: 30, keyType: 'ec', force: false });
  await initCa({ dir: foreignDir, commonName: 'other CA', days: 30, keyType: 'ec', force: false });
  const server = await issue(dir, { name: 'manager', ips: ['127.0.0.1'], server: true });
  const client = await issue(dir, { name: 'admin', client: true });
  const foreign = await issue(foreignDir, { name: 'admin', client: true });
  const serverOnly = await issue(dir, { name: 'engine', ips: ['127.0.0.2'], server: true });
  const port = await serve(t, server);
  const ca = read(server.ca);

  const good = await get(port, { ca, cert: read(client.cert), key: read(client.key) });
  t.same(good, { ok: true, body: 'hello admin' }, 'a client certificate from the CA is accepted');

  const none = await get(port, { ca });
  t.equal(none.ok, false, 'no client certificate: refused');

  const other = await get(port, { ca, cert: read(foreign.cert), key: read(foreign.key) });
  t.equal(other.ok, false, 'a client certificate from another CA: refused');

  const wrongUsage = await get(port, { ca, cert: read(serverOnly.cert), key: read(serverOnly.key) });
  t.equal(wrongUsage.ok, false, 'a --server-only certificate (no clientAuth) is refused as a client certificate');

  // the client checks the server: dialled by IP, the IP must be an IP SAN
  const wrongCa = await get(port, { ca: read(`${foreignDir}/ca.pem`), cert: read(client.cert), key: read(client.key) });
  t.equal(wrongCa.ok, false, 'a client trusting another CA refuses the server');
});

t.test(
  'a server certificate without the dialled IP as SAN fails the way the seed did; with it, it works',
  async (t) => {
    const dir = tempDir(t);
    await initCa({ dir, commonName: 'shoal CA', days: 30, keyType: 'ec', force: false });
    const client = await issue(dir, { name: 'admin', client: true });
    const dnsOnly = await issue(dir, { name: 'dockerhost01', server: true });
    const port = await serve(t, dnsOnly);
    const r = await get(port, { ca: read(dnsOnly.ca), cert: read(client.cert), key: read(client.key) });
    t.equal(r.ok, false);
    if (!r.ok) {
      t.equal(r.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      t.match(r.message, /IP: 127\.0\.0\.1 is not in the cert's list/);
    }
    const withIp = await issueCert(dir, certRequest({ name: 'dockerhost01', ips: ['127.0.0.1'], server: true }), {
      keyType: 'ec',
      force: true,
    });
    const port2 = await serve(t, withIp);
    const ok = await get(port2, { ca: read(withIp.ca), cert: read(client.cert), key: read(client.key) });
    t.same(ok, { ok: true, body: 'hello admin' });
  },
);
