/**
 * Replication on Consul: a primary (a real `shoal manage` process) and a replica (in-process). The replica's
 * `docker info` names the primary and it proxies the rest; SIGKILL on the primary hands over within the TTL.
 */
import t from 'tap';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { openStore } from '../../agents/store/open.js';
import { service } from '../harness/index.js';
import { cleanup, dockerCli, IMAGE, managerConfig, sharedEngines, startTestManager, suffix, waitUntil } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const engines = await sharedEngines();
const consul = await service('consul', 'main');
const prefix = `mgrepl${suffix()}`;
const uri = `consul://${consul.address}/${prefix}`;
const store = await openStore(uri, { timeoutMs: 5000 });
await store.put('127.0.1.1:2375', '127.0.1.1:2375');
await store.put('127.0.1.2:2375', '127.0.1.2:2375');
const P = `mgrepl${suffix()}`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const portA = await freePort();
const portB = await freePort();
const TTL = '3s';
const primary = execa(process.execPath, ['--import', 'tsx', path.join(ROOT, 'agents/cli.ts'), 'manage', '-H', `127.0.0.1:${portA}`, '--replication', '--replication-ttl', TTL, '--advertise', `127.0.0.1:${portA}`, '--log-level', 'warn', uri], { cwd: ROOT, reject: false });
t.teardown(async () => {
  primary.kill('SIGKILL');
  await primary.catch(() => undefined);
});
const A = `tcp://127.0.0.1:${portA}`;
await waitUntil(async () => /Role: primary/.test((await dockerCli(A, ['info'], { reject: false })).stdout), 60_000, 'primary up');

const replica = await startTestManager(
  managerConfig(uri, { hosts: [{ kind: 'tcp', host: '127.0.0.1', port: portB }], replication: true, replicationTtlMs: 3000, advertise: `127.0.0.1:${portB}` }),
);
t.teardown(async () => {
  await replica.stop();
  await cleanup(engines, P);
  await store.deleteTree('').catch(() => {});
  await store.close();
});

t.test('the replica names the primary in docker info and proxies requests to it', async (t) => {
  await waitUntil(async () => /Primary: /.test((await replica.docker(['info'])).stdout), 10_000, 'replica knows the primary');
  const info = (await replica.docker(['info'])).stdout;
  t.match(info, /Role: replica/);
  t.match(info, new RegExp(`Primary: 127\\.0\\.0\\.1:${portA}`));
  t.match(info, /Nodes: 2/, 'the replica keeps its own view of the cluster');
  const r = await replica.docker(['run', '-d', '--name', `${P}-via-replica`, '-e', 'constraint:node==dockerhost02', IMAGE, 'sleep', '600']);
  t.equal(r.exitCode, 0);
  t.equal((await dockerCli(A, ['inspect', '-f', '{{.Node.Name}}', `${P}-via-replica`])).stdout.trim(), 'dockerhost02');
});

t.test('SIGKILL on the primary: requests through the replica fail until it takes over within the TTL', async (t) => {
  primary.kill('SIGKILL');
  await primary.catch(() => undefined);
  const killedAt = Date.now();
  const during = await replica.docker(['ps'], { reject: false });
  t.not(during.exitCode, 0, 'the replica proxies: with the primary gone, ps fails until the handover');
  await waitUntil(async () => /Role: primary/.test((await replica.docker(['info'])).stdout), 15_000, 'replica promoted');
  const took = Date.now() - killedAt;
  t.ok(took < 3000 * 2 + 2000, `handed over in ${took} ms (TTL 3s; Consul may take up to twice the session TTL)`);
  const ps = (await replica.docker(['ps', '--filter', `name=${P}-via-replica`, '--format', '{{.Names}}'])).stdout.trim();
  t.equal(ps, `dockerhost02/${P}-via-replica`, 'the new primary serves the cluster it rebuilt itself');
});
