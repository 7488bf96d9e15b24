/**
 * Replication on each store that has a lock (Consul, etcd, ZooKeeper): a primary (a real `shoal manage`
 * process) and two replicas (in-process) share a discovery prefix. The replicas' `docker info` names the
 * primary and they proxy the rest; SIGKILL on the primary hands over to one replica within the TTL (the
 * store's own expiry), and the other replica follows the new primary.
 */
import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { openStore } from '../../agents/store/open.js';
import { LEADER_KEY } from '../../agents/manage/replication.js';
import { service } from '../harness/index.js';
import {
  cleanup,
  dockerCli,
  IMAGE,
  managerConfig,
  sharedEngines,
  startTestManager,
  suffix,
  waitUntil,
  type TestManager,
} from './helpers.js';
import { freePort } from '../harness/proxies.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const engines = await sharedEngines();
const TTL_MS = 3000;

/** How long to wait for a replica's promotion after a SIGKILL (a bound on the wait, not a timing check). */
const HANDOVER_WAIT_MS = 20_000;

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
    const portC = await freePort();
    const primary = execa(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'agents/cli.ts'),
        'manage',
        '-H',
        `127.0.0.1:${portA}`,
        '--replication',
        '--replication-ttl',
        `${TTL_MS / 1000}s`,
        '--advertise',
        `127.0.0.1:${portA}`,
        '--log-level',
        'warn',
        uri,
      ],
      { cwd: ROOT, reject: false },
    );
    t.teardown(async () => {
      primary.kill('SIGKILL');
      await primary.catch(() => undefined);
    });
    const A = `tcp://127.0.0.1:${portA}`;
    await waitUntil(
      async () => /Role: primary/.test((await dockerCli(A, ['info'], { reject: false })).stdout),
      60_000,
      `primary up on ${kind}`,
    );
    t.equal(await store.get(LEADER_KEY), `127.0.0.1:${portA}`, "the leader key holds the primary's advertised address");

    const replicaAt = (port: number) =>
      startTestManager(
        managerConfig(uri, {
          hosts: [{ kind: 'tcp', host: '127.0.0.1', port }],
          replication: { advertise: `127.0.0.1:${port}`, ttlMs: TTL_MS },
        }),
      );
    const replicas = [await replicaAt(portB), await replicaAt(portC)] as const;
    const [replica] = replicas;
    const stopped = new Set<TestManager>();
    const stop = async (m: TestManager) => {
      if (stopped.has(m)) return;
      stopped.add(m);
      await m.stop();
    };
    let leader: TestManager | undefined;
    let follower: TestManager | undefined;
    t.teardown(async () => {
      for (const r of replicas) await stop(r);
      await cleanup(engines, P);
      await store.deleteTree('').catch(() => {});
      await store.close();
    });
    const addrOf = (m: TestManager) => m.host.replace(/^tcp:\/\//, '');

    t.test('the replicas name the primary in docker info and proxy requests to it', async (t) => {
      for (const r of replicas) {
        await waitUntil(
          async () => /Primary: /.test((await r.docker(['info'])).stdout),
          10_000,
          'replica knows the primary',
        );
        const info = (await r.docker(['info'])).stdout;
        t.match(info, /Role: replica/);
        t.match(info, new RegExp(`Primary: 127\\.0\\.0\\.1:${portA}`));
        t.match(info, /Nodes: 2/, 'a replica keeps its own view of the cluster (the leader key is no engine)');
      }
      const r = await replica.docker([
        'run',
        '-d',
        '--name',
        `${P}-via-replica`,
        '-e',
        'constraint:node==dockerhost02',
        IMAGE,
        'sleep',
        '600',
      ]);
      t.equal(r.exitCode, 0);
      t.equal(
        (await dockerCli(A, ['inspect', '-f', '{{.Node.Name}}', `${P}-via-replica`])).stdout.trim(),
        'dockerhost02',
      );
      const ex = await replicas[1].docker(['exec', '-i', `${P}-via-replica`, 'sh', '-c', 'tr a-z A-Z'], {
        input: 'hijacked\n',
      });
      t.equal(
        ex.stdout.trim(),
        'HIJACKED',
        'docker exec through the other replica: the upgraded connection is proxied too',
      );
      t.equal(await store.get(LEADER_KEY), `127.0.0.1:${portA}`, 'no replica took the lock');
    });

    t.test('SIGKILL on the primary: one replica takes over within the TTL, the other follows it', async (t) => {
      const held = await store.get(LEADER_KEY);
      primary.kill('SIGKILL');
      await primary.catch(() => undefined);
      t.equal(held, `127.0.0.1:${portA}`, 'the killed primary held the lock');
      const during = await replica.docker(['ps'], { reject: false });
      t.not(during.exitCode, 0, 'the replica proxies: with the primary gone, ps fails until the handover');
      const roles = async () =>
        Promise.all(
          replicas.map(async (r) => (/Role: primary/.test((await r.docker(['info'])).stdout) ? 'primary' : 'replica')),
        );
      // nothing released the lock: only the store's expiry of the killed primary's lock lets a replica in
      await waitUntil(async () => (await roles()).includes('primary'), HANDOVER_WAIT_MS, 'a replica promoted');
      const now = await roles();
      t.same([...now].sort(), ['primary', 'replica'], 'exactly one new primary');
      const [newPrimary, other] = [
        replicas[now.indexOf('primary')] as TestManager,
        replicas[now.indexOf('replica')] as TestManager,
      ];
      [leader, follower] = [newPrimary, other];
      t.equal(await store.get(LEADER_KEY), addrOf(newPrimary), 'the leader key names the new primary');
      await waitUntil(
        async () => (await other.docker(['info'])).stdout.includes(`Primary: ${addrOf(newPrimary)}`),
        10_000,
        'the other replica follows the new primary',
      );
      const ps = (
        await other.docker(['ps', '--filter', `name=${P}-via-replica`, '--format', '{{.Names}}'])
      ).stdout.trim();
      t.equal(
        ps,
        `dockerhost02/${P}-via-replica`,
        'the new primary serves the cluster it rebuilt itself, through the other replica',
      );
      const r = await other.docker([
        'run',
        '-d',
        '--name',
        `${P}-after`,
        '-e',
        'constraint:node==dockerhost01',
        IMAGE,
        'sleep',
        '600',
      ]);
      t.equal(r.exitCode, 0);
      t.equal(
        (await newPrimary.docker(['inspect', '-f', '{{.Node.Name}}', `${P}-after`])).stdout.trim(),
        'dockerhost01',
      );
    });

    t.test(
      'a primary that stops cleanly releases the lock: the last replica takes over without waiting for the TTL',
      async (t) => {
        const [first, last] = [leader, follower];
        if (!first || !last) return t.fail('no primary elected in the previous step');
        await stop(first);
        // released by the stop itself: once stop() returns the key no longer names it (a lock left to expire
        // would name it for another TTL)
        t.not(await store.get(LEADER_KEY), addrOf(first), 'the stopped primary released the leader key');
        await waitUntil(
          async () => /Role: primary/.test((await last.docker(['info'])).stdout),
          20_000,
          'the last replica promoted',
        );
        t.equal(await store.get(LEADER_KEY), addrOf(last));
      },
    );
  });
}
