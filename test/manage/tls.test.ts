/**
 * TLS end to end: the manager serves --tlsverify with a certificate from the project CA, refuses clients
 * without one (or with a foreign one), and reaches a --tlsverify engine (engine 7) with the same CA.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { initCa } from '../../agents/tls/ca.js';
import { certRequest } from '../../agents/tls/extensions.js';
import { issueCert, issuedFiles } from '../../agents/tls/issue.js';
import { engine, busyboxImage } from '../harness/index.js';
import { stateDir } from '../harness/proc.js';
import { dockerCli, IMAGE, managerConfig, startTestManager, suffix } from './helpers.js';

const N = 7;
const IP = `127.0.1.${N}`;
const dir = path.join(stateDir('tls'), `manage${N}`);
if (!existsSync(path.join(dir, 'ca.pem'))) {
  mkdirSync(dir, { recursive: true });
  await initCa({ dir, commonName: 'shoal manage test CA', days: 3650, keyType: 'ec', force: true });
}
for (const req of [
  certRequest({ name: `dockerhost0${N}`, ips: [IP], server: true }),
  certRequest({ name: 'manager', ips: ['127.0.0.1'] }),
  certRequest({ name: 'client', client: true }),
]) {
  if (!existsSync(issuedFiles(dir, req.name).cert)) await issueCert(dir, req, { keyType: 'ec', force: true });
}
const srv = issuedFiles(dir, `dockerhost0${N}`);
const mgr = issuedFiles(dir, 'manager');
const client = issuedFiles(dir, 'client');

const e = await engine(N, {
  extraArgs: ['--tlsverify', '--tlscacert', srv.ca, '--tlscert', srv.cert, '--tlskey', srv.key],
});
t.teardown(() => e.stop());
await busyboxImage(e);

const tm = await startTestManager(
  managerConfig(`nodes://${IP}:2375`, {
    tls: true,
    tlsVerify: true,
    tlsCaCert: mgr.ca,
    tlsCert: mgr.cert,
    tlsKey: mgr.key,
  }),
);
t.teardown(() => tm.stop());
const host = tm.host.replace(/^https:/, 'tcp:');
const dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'mgtls-cli-'));
t.teardown(() => rmSync(dockerConfig, { recursive: true, force: true }));
const P = `mgtls${suffix()}`;
t.teardown(() => e.cli(['rm', '-f', `${P}-c`], { reject: false }).then(() => undefined));

t.test('a client with a CA-signed certificate gets through; the engine is reached over TLS', async (t) => {
  const env = { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: client.dir, DOCKER_CONFIG: dockerConfig };
  const info = await dockerCli(host, ['info'], { env });
  t.match(info.stdout, new RegExp(`dockerhost0${N}: ${IP.replace(/\./g, '\\.')}:2375[\\s\\S]*?└ Status: Healthy`));
  const run = await dockerCli(host, ['run', '--rm', '--name', `${P}-c`, IMAGE, 'echo', 'over-tls'], { env });
  t.equal(run.stdout.trim(), 'over-tls', 'create, attach, start, wait: all through TLS both ways');
});

t.test('no client certificate, a foreign one, or plain HTTP: refused', async (t) => {
  const base = { DOCKER_CONFIG: dockerConfig };
  const plain = await dockerCli(host, ['version', '--format', '{{.Server.Version}}'], { env: base, reject: false });
  t.not(plain.exitCode, 0);
  const noCert = await dockerCli(
    host,
    ['--tls', '--tlscacert', client.ca, 'version', '--format', '{{.Server.Version}}'],
    { env: base, reject: false },
  );
  t.not(noCert.exitCode, 0);
  t.notMatch(noCert.stdout, /shoal/);
  const foreignDir = mkdtempSync(path.join(os.tmpdir(), 'mgtls-foreign-'));
  t.teardown(() => rmSync(foreignDir, { recursive: true, force: true }));
  await initCa({ dir: foreignDir, commonName: 'foreign', days: 1, keyType: 'ec', force: false });
  const foreign = await issueCert(foreignDir, certRequest({ name: 'client', client: true }), {
    keyType: 'ec',
    force: false,
  });
  const f = await dockerCli(
    host,
    [
      '--tlsverify',
      '--tlscacert',
      client.ca,
      '--tlscert',
      foreign.cert,
      '--tlskey',
      foreign.key,
      'version',
      '--format',
      '{{.Server.Version}}',
    ],
    { env: base, reject: false },
  );
  t.not(f.exitCode, 0);
  t.notMatch(f.stdout, /shoal/);
});
