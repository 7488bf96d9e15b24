/**
 * Swarm mode while the store is away: the manager reaches the store through a TCP relay the test cuts. `docker
 * info` still answers (the swarm last seen, with the store's error), swarm reads fail clearly with a
 * 503 naming the store, the classic workflow keeps working, and once the relay is back everything is as before.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../agents/store/open.js';
import { service } from '../harness/index.js';
import { managerConfig, sharedEngines, startTestManager, suffix, waitUntil } from './helpers.js';
import { relay } from './relay.js';

await sharedEngines();
const ENGINES = ['127.0.1.1:2375', '127.0.1.2:2375', '127.0.1.3:2375'];

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
