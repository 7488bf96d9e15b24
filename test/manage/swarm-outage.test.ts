/**
 * Swarm mode while the store is away: the manager reaches the store through a TCP relay the test cuts. `docker
 * info` still answers (the swarm last seen, with the store's error), swarm reads fail clearly with a
 * 503 naming the store, the classic workflow keeps working, and once the relay is back everything is as before.
 */
import t from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../agents/store/open.js';
import { service } from '../harness/index.js';
import { managerConfig, sharedEngines, startTestManager, suffix, waitUntil } from './helpers.js';

await sharedEngines();
const ENGINES = ['127.0.1.1:2375', '127.0.1.2:2375', '127.0.1.3:2375'];

/** A TCP relay to `target` that can be cut (listener closed, live connections destroyed) and restored. */
async function relay(target: string) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let listenPort = 0;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((c) => {
        const up = net.connect(port, host);
        sockets.add(c).add(up);
        c.pipe(up).pipe(c);
        const drop = () => {
          c.destroy();
          up.destroy();
          sockets.delete(c);
          sockets.delete(up);
        };
        c.on('error', drop).on('close', drop);
        up.on('error', drop).on('close', drop);
      });
      s.once('error', reject);
      s.listen(listenPort, '127.0.0.1', () => {
        listenPort = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  await open();
  return {
    address: () => `127.0.0.1:${listenPort}`,
    cut: async () => {
      // close() waits for the live connections: stop listening first, then destroy them
      const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = undefined;
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    restore: open,
  };
}

for (const kind of ['consul', 'etcd'] as const) {
  t.test(`swarm mode through a store outage on ${kind}`, async (t) => {
    const server = await service(kind, 'main');
    const prefix = `mgswout${kind}${suffix()}`;
    const direct = await openStore(`${kind}://${server.address}/${prefix}`, { timeoutMs: 5000 });
    t.teardown(async () => {
      await direct.deleteTree('').catch(() => {});
      await direct.close();
    });
    for (const a of ENGINES) await direct.put(a, a);
    const r = await relay(server.address);
    t.teardown(() => r.cut());
    const caDir = mkdtempSync(path.join(os.tmpdir(), 'mgswout-ca-'));
    t.teardown(() => rmSync(caDir, { recursive: true, force: true }));
    const tm = await startTestManager(
      managerConfig(`${kind}://${r.address()}/${prefix}`, { swarmCaDir: caDir, store: { timeoutMs: 2000 } }),
    );
    t.teardown(() => tm.stop());
    const docker = (args: string[], reject = true) => tm.docker(args, { reject });

    await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    const ids = (await docker(['node', 'ls', '-q'])).stdout.trim().split('\n').sort();
    t.equal(ids.length, 3);

    await r.cut();
    const info = await docker(['info']);
    t.match(info.stdout, /Swarm: active/, 'docker info answers with the swarm last seen');
    t.match(info.stdout, /Error: swarm state: /, 'and why it may be stale');
    const ls = await docker(['node', 'ls'], false);
    t.equal(ls.exitCode, 1);
    t.match(ls.stderr, /swarm state: read: the store did not answer/);
    const upd = await docker(['node', 'update', '--label-add', 'a=b', ids[0] as string], false);
    t.equal(upd.exitCode, 1, 'no update while the store is away');
    t.equal((await docker(['ps', '-q'])).exitCode, 0, 'the classic workflow still answers');

    await r.restore();
    await waitUntil(async () => (await docker(['node', 'ls', '-q'], false)).exitCode === 0, 30_000, 'swarm reads back');
    t.same((await docker(['node', 'ls', '-q'])).stdout.trim().split('\n').sort(), ids, 'the same nodes');
    t.match((await docker(['info'])).stdout, /Swarm: active/);
    const [n] = JSON.parse((await docker(['node', 'inspect', ids[0] as string])).stdout);
    t.same(n.Spec.Labels, {}, 'the refused update wrote nothing');
  });
}
