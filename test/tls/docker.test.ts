/**
 * A real dockerd with --tlsverify (engine 6 of the harness, started with the issued server certificate) is
 * reachable with an issued client certificate, through the docker CLI (DOCKER_CERT_PATH layout) and dockerode,
 * and refuses clients without one or with a foreign one.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import t from 'tap';
import { initCa } from '../../agents/tls/ca.js';
import { certRequest } from '../../agents/tls/extensions.js';
import { issueCert, issuedFiles } from '../../agents/tls/issue.js';
import { engine } from '../harness/engines.js';
import { stateDir } from '../harness/proc.js';

const N = 6;
const IP = `127.0.1.${N}`;

// The engine keeps running between files of a run and reads its files on restart: keep them in the harness
// state dir and make them only once, so a reused engine and the files always match.
const dir = path.join(stateDir('tls'), `engine${N}`);
if (!existsSync(path.join(dir, 'ca.pem'))) {
  mkdirSync(dir, { recursive: true });
  await initCa({ dir, commonName: 'shoal test CA', days: 3650, keyType: 'ec', force: true });
}
const requests = [
  certRequest({ name: `dockerhost0${N}`, ips: [IP], server: true }),
  certRequest({ name: 'client', client: true }),
];
for (const req of requests) {
  if (!existsSync(issuedFiles(dir, req.name).cert)) await issueCert(dir, req, { keyType: 'ec', force: true });
}
const server = issuedFiles(dir, `dockerhost0${N}`);
const client = issuedFiles(dir, 'client');

const e = await engine(N, {
  extraArgs: ['--tlsverify', '--tlscacert', server.ca, '--tlscert', server.cert, '--tlskey', server.key],
});
t.teardown(() => e.stop());

const dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'shoal-docker-cli-'));
t.teardown(() => rmSync(dockerConfig, { recursive: true, force: true }));

function docker(args: string[], env: Record<string, string> = {}) {
  return execa('docker', args, {
    reject: false,
    env: { DOCKER_CONFIG: dockerConfig, ...env },
    extendEnv: false,
    timeout: 30_000,
  });
}

t.test('docker CLI with DOCKER_CERT_PATH=<issued folder> and DOCKER_TLS_VERIFY=1 reaches the engine', async (t) => {
  const r = await docker(['info', '--format', '{{.Name}}'], {
    DOCKER_HOST: `tcp://${IP}:2375`,
    DOCKER_TLS_VERIFY: '1',
    DOCKER_CERT_PATH: client.dir,
    PATH: process.env.PATH ?? '',
  });
  t.equal(r.exitCode, 0, String(r.stderr));
  t.equal(String(r.stdout).trim(), `dockerhost0${N}`);
});

t.test('without a client certificate, or with a foreign one, the engine refuses', async (t) => {
  const plain = await docker(['-H', `tcp://${IP}:2375`, 'version', '--format', '{{.Server.Version}}'], {
    PATH: process.env.PATH ?? '',
  });
  t.not(plain.exitCode, 0, 'plain HTTP refused');
  const noCert = await docker(
    ['-H', `tcp://${IP}:2375`, '--tls', '--tlscacert', client.ca, 'version', '--format', '{{.Server.Version}}'],
    { PATH: process.env.PATH ?? '' },
  );
  t.not(noCert.exitCode, 0, 'TLS without a client certificate refused');
  const foreignDir = mkdtempSync(path.join(os.tmpdir(), 'shoal-foreign-'));
  t.teardown(() => rmSync(foreignDir, { recursive: true, force: true }));
  await initCa({ dir: foreignDir, commonName: 'foreign', days: 1, keyType: 'ec', force: false });
  const foreign = await issueCert(foreignDir, certRequest({ name: 'client', client: true }), {
    keyType: 'ec',
    force: false,
  });
  const f = await docker(
    [
      '-H',
      `tcp://${IP}:2375`,
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
    { PATH: process.env.PATH ?? '' },
  );
  t.not(f.exitCode, 0, 'a client certificate from another CA refused');
  t.match(String(f.stderr), /certificate|tls|remote error/i);
});

t.test('dockerode with the issued client certificate verifies the engine by its IP SAN', async (t) => {
  const d = new Docker({
    host: IP,
    port: 2375,
    protocol: 'https',
    ca: readFileSync(client.ca),
    cert: readFileSync(client.cert),
    key: readFileSync(client.key),
  });
  const info = (await d.info()) as { Name: string };
  t.equal(info.Name, `dockerhost0${N}`);
});

t.test('shoal manage with issued material: mutual TLS to its clients and to a --tlsverify engine', async (t) => {
  const { spawn } = await import('node:child_process');
  const https = await import('node:https');
  const net = await import('node:net');
  const { fileURLToPath } = await import('node:url');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  if (!existsSync(issuedFiles(dir, 'manager').cert))
    await issueCert(dir, certRequest({ name: 'manager', ips: ['127.0.0.1'] }), { keyType: 'ec', force: true });
  const mgr = issuedFiles(dir, 'manager');
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as import('node:net').AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'agents/cli.ts'),
      'manage',
      '-H',
      `tcp://127.0.0.1:${port}`,
      '--tlsverify',
      '--tlscacert',
      mgr.ca,
      '--tlscert',
      mgr.cert,
      '--tlskey',
      mgr.key,
      '--engine-refresh-min-interval',
      '1s',
      '--engine-refresh-max-interval',
      '2s',
      '--log-format',
      'json',
      `nodes://${IP}:2375`,
    ],
    { cwd: root, stdio: 'ignore' },
  );
  t.teardown(() => child.kill('SIGKILL'));
  const info = (opts: { cert?: string; key?: string }) =>
    new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
      const req = https.get(
        {
          host: '127.0.0.1',
          port,
          path: '/info',
          ca: readFileSync(client.ca),
          ...(opts.cert ? { cert: readFileSync(opts.cert), key: readFileSync(opts.key as string) } : {}),
          agent: false,
          timeout: 3000,
        },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', (e) => resolve({ error: e.message }));
    });
  let healthy = false;
  let last = '';
  for (let i = 0; i < 120 && !healthy; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const r = await info({ cert: client.cert, key: client.key });
    last = JSON.stringify(r).slice(0, 300);
    healthy =
      'body' in r && r.status === 200 && /"  └ Status","Healthy"/.test(r.body) && r.body.includes(`dockerhost0${N}`);
  }
  t.ok(
    healthy,
    `the manager reaches the TLS engine with its issued certificate and a client with hers reaches the manager (${last})`,
  );
  const noCert = await info({});
  t.ok('error' in noCert || noCert.status !== 200, 'a client without a certificate is refused by the manager');
});
