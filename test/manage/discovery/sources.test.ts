/** Discovery against the real things: a file re-read on change, and consul/etcd/zk keys as `shoal join` writes them. */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../../agents/store/open.js';
import { discoveryWatch } from '../../../agents/manage/discovery/source.js';
import { captureLog } from '../../helpers/capture-log.js';
import { service, type ServiceKind } from '../../harness/index.js';
import { managerConfig, sharedEngines, startTestManager, suffix, waitUntil } from '../helpers.js';

await sharedEngines();

const addrs = (tm: { manager: { cluster: { list(): { addr: string; health: string }[] } } }) =>
  tm.manager.cluster
    .list()
    .map((n) => `${n.addr}:${n.health}`)
    .sort();

t.test('file:// — comments and ranges; re-read when the file changes', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mgdisc-'));
  const file = path.join(dir, 'nodes');
  writeFileSync(file, '# two engines\n127.0.1.[1:2]:2375\n');
  const { log, lines } = captureLog('warn');
  const tm = await startTestManager(managerConfig(`file://${file}`, { heartbeatMs: 60_000 }), log);
  const unreadable = () => lines.filter((l) => l.msg === 'discovery file unreadable; keeping the last list').length;
  t.teardown(() => tm.stop());
  t.same(addrs(tm), ['127.0.1.1:2375:healthy', '127.0.1.2:2375:healthy']);
  writeFileSync(file, '127.0.1.2:2375\n127.0.1.3:2375 # moved\n');
  await waitUntil(
    () => addrs(tm).join() === '127.0.1.2:2375:healthy,127.0.1.3:2375:healthy',
    15_000,
    'file change picked up',
  );
  t.pass('the change was picked up without waiting for the heartbeat');
  t.equal(unreadable(), 0, 'no warning while the file is good');
  writeFileSync(file, 'not an address\n');
  await waitUntil(() => unreadable() > 0, 15_000, 'the bad file read and refused');
  t.same(addrs(tm), ['127.0.1.2:2375:healthy', '127.0.1.3:2375:healthy'], 'a bad file keeps the last list');
});

for (const kind of ['consul', 'etcd', 'zk'] as ServiceKind[]) {
  t.test(`${kind}:// — nodes follow the keys under the prefix`, async (t) => {
    const svc = await service(kind, 'main');
    const scheme = kind;
    const uri = `${scheme}://${svc.address}/mgdisc${suffix()}`;
    const store = await openStore(uri, { timeoutMs: 5000 });
    t.teardown(async () => {
      await store.deleteTree('').catch(() => {});
      await store.close();
    });
    await store.put('127.0.1.1:2375', '127.0.1.1:2375');
    const tm = await startTestManager(managerConfig(uri));
    t.teardown(() => tm.stop());
    t.same(addrs(tm), ['127.0.1.1:2375:healthy']);
    await store.put('127.0.1.3:2375', '127.0.1.3:2375');
    await waitUntil(() => addrs(tm).length === 2, 15_000, 'second node');
    await store.delete('127.0.1.1:2375');
    await waitUntil(() => addrs(tm).join() === '127.0.1.3:2375:healthy', 15_000, 'first node gone');
    t.pass('added and removed with the keys');
  });
}

t.test(
  'junk under the discovery prefix is skipped with one warning naming it; the good keys still count',
  async (t) => {
    const svc = await service('consul', 'main');
    const uri = `consul://${svc.address}/mgdiscjunk${suffix()}`;
    const store = await openStore(uri, { timeoutMs: 5000 });
    t.teardown(async () => {
      await store.deleteTree('').catch(() => {});
      await store.close();
    });
    await store.put('127.0.1.1:2375', '127.0.1.1:2375');
    await store.put('not-an-engine', 'hello');
    const { log, lines } = captureLog('warn');
    const ac = new AbortController();
    t.teardown(() => ac.abort());
    const it = discoveryWatch(uri, { log, signal: ac.signal, heartbeatMs: 60_000, storeOptions: { timeoutMs: 5000 } })[
      Symbol.asyncIterator
    ]();
    t.same((await it.next()).value, ['127.0.1.1:2375']);
    t.equal(lines.length, 1, 'one warning');
    t.match(lines[0], { msg: /skipping store entries that name no host:port/, keys: ['not-an-engine'], count: 1 });
    await store.put('127.0.1.2:2375', '127.0.1.2:2375');
    t.same((await it.next()).value, ['127.0.1.1:2375', '127.0.1.2:2375']);
    t.equal(lines.length, 1, 'not warned again for the same junk');
  },
);
