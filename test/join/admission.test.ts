/**
 * `shoal join --token`, the joiner's side without a manager: the config (the manager as the argument, options
 * that need --token), the answer checks (the CA pinned by the token), and how each manager reply is classed
 * (4xx: refused, exit 2; 5xx or no answer: retried), against an in-process HTTP server.
 */
import t from 'tap';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { caFiles, initCa } from '../../agents/tls/ca.js';
import { certRequest } from '../../agents/tls/extensions.js';
import { issueCert } from '../../agents/tls/issue.js';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../agents/config/load.js';
import { joinSpec } from '../../agents/join/config.js';
import { AdmissionRefusedError, ManagerUnavailableError, askOnce } from '../../agents/join/admission.js';
import { checkAnswer } from '../../agents/join/admitted.js';
import { caDigest, formatToken } from '../../agents/manage/swarm/tokens.js';
import { ShoalError } from '../../agents/common/errors.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const TOKEN = formatToken(caDigest(CA), 'k'.repeat(25));
const ANSWER = { NodeID: 'n'.repeat(25), Role: 'worker', CA, Discovery: 'consul://127.0.0.1:8500/swarm' };

const load = (flags: Record<string, unknown>, positional?: string) =>
  loadConfig(joinSpec, { flags: { addr: '10.0.0.1:2375', ...flags }, positional, env: {} }).config;

function errorOf(fn: () => unknown): ShoalError {
  try {
    fn();
  } catch (err) {
    return err as ShoalError;
  }
  throw new Error('expected an error');
}

t.test('config: the manager as the argument with --token; its options need --token', async (t) => {
  const c = load({ token: TOKEN }, '10.0.0.5:2376');
  t.equal(c.discovery, undefined, 'discovery comes from the manager');
  t.match(c.admission, { token: TOKEN, manager: { host: '10.0.0.5', port: 2376 } });
  t.equal(load({}, 'consul://c/swarm').admission, undefined, 'without --token: as before');
  t.match(errorOf(() => load({ token: TOKEN })).message, /^shoal join: --token "\[redacted\]": expected the manager/);
  t.match(
    errorOf(() => load({ certDir: '/x' }, 'consul://c/swarm')).message,
    /--cert-dir "\/x": only used with --token/,
  );
  t.match(
    errorOf(() => load({ token: TOKEN, managerCert: '/c' }, '10.0.0.5:2376')).message,
    /--manager-key as well|together/,
  );
  t.equal(errorOf(() => load({})).exitCode, 2);
  t.notMatch(errorOf(() => load({ token: TOKEN })).message, /k{25}/, 'the token is never echoed');
});

t.test('an answer is trusted only with a CA whose digest the token names', async (t) => {
  const refuse = (m: string) => new Error(m);
  t.match(checkAnswer(JSON.stringify(ANSWER), TOKEN, refuse), { nodeId: ANSWER.NodeID, role: 'worker', ca: CA });
  t.throws(
    () => checkAnswer(JSON.stringify({ ...ANSWER, CA: `${CA}x` }), TOKEN, refuse),
    /not the one the join token names/,
  );
  t.throws(() => checkAnswer(JSON.stringify({ ...ANSWER, Role: 'boss' }), TOKEN, refuse), /no role/);
  t.throws(() => checkAnswer(JSON.stringify({ ...ANSWER, NodeID: '../x' }), TOKEN, refuse), /no node ID/);
  t.throws(() => checkAnswer('<html>', TOKEN, refuse), /not JSON/);
});

t.test('manager replies: 200 admitted, 4xx refused (exit 2), 5xx and no answer retried', async (t) => {
  let reply: [number, unknown] = [200, ANSWER];
  let got: unknown;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got = { path: req.url, body: JSON.parse(body) };
      res.writeHead(reply[0], { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply[1]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const a = {
    token: TOKEN,
    manager: { host: '127.0.0.1', port },
    managerCa: undefined,
    managerCert: undefined,
    managerKey: undefined,
    certDir: undefined,
  };
  t.match(await askOnce(a, '10.0.0.1:2375', 'CSR'), { nodeId: ANSWER.NodeID, discovery: ANSWER.Discovery });
  t.same(got, { path: '/shoal/swarm/join', body: { Token: TOKEN, Addr: '10.0.0.1:2375', CSR: 'CSR' } });
  reply = [403, { message: 'invalid join token: rotated' }];
  const refused = await askOnce(a, '10.0.0.1:2375', undefined).catch((e: unknown) => e);
  t.type(refused, AdmissionRefusedError);
  t.match(refused, {
    exitCode: 2,
    recoverable: false,
    message: `shoal join: the manager at 127.0.0.1:${port} refused admission: invalid join token: rotated`,
  });
  reply = [503, { message: 'store down' }];
  t.match(await askOnce(a, '10.0.0.1:2375', undefined).catch((e: unknown) => e), {
    recoverable: true,
    message: /answered 503: store down/,
  });
  server.close();
  const gone = await askOnce(a, '10.0.0.1:2375', undefined).catch((e: unknown) => e);
  t.type(gone, ManagerUnavailableError);
  t.equal((gone as ShoalError).recoverable, true);
});

t.test('--manager-ca: TLS to the manager, verified against the CA; another CA is not trusted (exit 2)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'join-admit-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await initCa({ dir, commonName: 'test CA', days: 2, keyType: 'ec', force: false });
  const other = path.join(dir, 'other');
  await initCa({ dir: other, commonName: 'other CA', days: 2, keyType: 'ec', force: false });
  const req = certRequest({ name: 'manager', ips: ['127.0.0.1'], server: true });
  const files = await issueCert(dir, req, { keyType: 'ec', force: false });
  const server = https.createServer({ cert: readFileSync(files.cert), key: readFileSync(files.key) }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ANSWER));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const a = {
    token: TOKEN,
    manager: { host: '127.0.0.1', port },
    managerCa: caFiles(dir).cert,
    managerCert: undefined,
    managerKey: undefined,
    certDir: undefined,
  };
  t.match(await askOnce(a, '10.0.0.1:2375', undefined), { nodeId: ANSWER.NodeID });
  const untrusted = await askOnce({ ...a, managerCa: caFiles(other).cert }, '10.0.0.1:2375', undefined).catch(
    (e: unknown) => e,
  );
  t.type(untrusted, AdmissionRefusedError);
  t.match(untrusted, { exitCode: 2, message: /^shoal join: the manager at 127\.0\.0\.1:\d+ is not trusted/ });
});
