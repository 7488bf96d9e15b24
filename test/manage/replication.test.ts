/**
 * Replication on each store that has a lock (Consul, etcd, ZooKeeper): a primary (a real `shoal manage`
 * process) and a replica (in-process) share a discovery prefix. The replica's `docker info` names the primary
 * and it proxies the rest; SIGKILL on the primary hands over within the TTL (the store's own expiry).
 */
import t from 'tap';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { openStore } from '../../agents/store/open.js';
import { LEADER_KEY } from '../../agents/manage/replication.js';
import { service } from '../harness/index.js';
import { cleanup, dockerCli, IMAGE, managerConfig, sharedEngines, startTestManager, suffix, waitUntil } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const engines = await sharedEngines();
const TTL_MS = 3000;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** How long a dead holder's lock may outlive it: Consul may keep a session up to twice its TTL. */
const HANDOVER_MS = { consul: TTL_MS * 2 + 2000, etcd: TTL_MS + 2000, zk: TTL_MS + 2000 } as const;

for (const kind of ['consul', 'etcd', 'zk'] as const) {
  t.test(`replication on ${kind}`, async (t) => {
    const server = await service(kind, 'main');
    const uri = `${kind}://${server.address}/mgrepl${kind}${suffix()}`;
    const store = await openStore(uri, { timeoutMs: 5000 });
    await store.put('127.0.1.1:2375', '127.0.1.1:2375');
    await store.put('127.0.1.2:2375', '127.0.1.2:2375');
    const P = `mgrepl${suffix()}`;
    const portA = await freePort();
    const portB = await freePort();
    const primary = execa(process.execPath, ['--import', 'tsx', path.join(ROOT, 'agents/cli.ts'), 'manage', '-H', `127.0.0.1:${portA}`, '--replication', '--replication-ttl', `${TTL_MS / 1000}s`, '--advertise', `127.0.0.1:${portA}`, '--log-level', 'warn', uri], { cwd: ROOT, reject: false });
    t.teardown(async () => {
      primary.kill('SIGKILL');
      await primary.catch(() => undefined);
    });
    const A = `tcp://127.0.0.1:${portA}`;
    await waitUntil(async () => /Role: primary/.test((await dockerCli(A, ['info'], { reject: false })).stdout), 60_000, `primary up on ${kind}`);
    t.equal(await store.get(LEADER_KEY), `127.0.0.1:${portA}`, 'the leader key holds the primary\'s advertised address');

    const replica = await startTestManager(
      managerConfig(uri, { hosts: [{ kind: 'tcp', host: '127.0.0.1', port: portB }], replication: true, replicationTtlMs: TTL_MS, advertise: `127.0.0.1:${portB}` }),
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
      t.match(info, /Nodes: 2/, 'the replica keeps its own view of the cluster (the leader key is no engine)');
      const r = await replica.docker(['run', '-d', '--name', `${P}-via-replica`, '-e', 'constraint:node==dockerhost02', IMAGE, 'sleep', '600']);
      t.equal(r.exitCode, 0);
      t.equal((await dockerCli(A, ['inspect', '-f', '{{.Node.Name}}', `${P}-via-replica`])).stdout.trim(), 'dockerhost02');
      t.equal(await store.get(LEADER_KEY), `127.0.0.1:${portA}`, 'the replica did not take the lock');
    });

    t.test('SIGKILL on the primary: requests through the replica fail until it takes over within the TTL', async (t) => {
      primary.kill('SIGKILL');
      await primary.catch(() => undefined);
      const killedAt = Date.now();
      const during = await replica.docker(['ps'], { reject: false });
      t.not(during.exitCode, 0, 'the replica proxies: with the primary gone, ps fails until the handover');
      await waitUntil(async () => /Role: primary/.test((await replica.docker(['info'])).stdout), 20_000, 'replica promoted');
      const took = Date.now() - killedAt;
      t.ok(took < HANDOVER_MS[kind], `handed over in ${took} ms (TTL ${TTL_MS} ms, limit ${HANDOVER_MS[kind]} ms on ${kind})`);
      t.equal(await store.get(LEADER_KEY), `127.0.0.1:${portB}`, 'the leader key now names the replica');
      const ps = (await replica.docker(['ps', '--filter', `name=${P}-via-replica`, '--format', '{{.Names}}'])).stdout.trim();
      t.equal(ps, `dockerhost02/${P}-via-replica`, 'the new primary serves the cluster it rebuilt itself');
    });
  });
}
