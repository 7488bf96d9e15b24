/**
 * Fenced task writes, on every store backend's real server: two orchestrator store shells on one store (a
 * deposed leader still finishing a pass, and the new leader) both read, the new one commits, and the stale
 * one's commit is refused with StaleWriteError: the task keeps the new leader's state, and a task the stale
 * pass meant to create is never written. A read-modify-write of one task (a rejection) loses no update.
 */
import t from 'tap';
import { openStore } from '../../../agents/store/open.js';
import { ServiceStore, StaleWriteError, taskKey } from '../../../agents/manage/orchestrator/store.js';
import { CLUSTER_KEY } from '../../../agents/manage/swarm/layout.js';
import type { TaskRecord } from '../../../agents/manage/services/model.js';
import { silentLogger } from '../../../agents/common/log.js';
import { service } from '../../harness/services.js';
import { suffix } from '../helpers.js';

const log = silentLogger();

function task(id: string, over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id,
    serviceId: 'svc1',
    serviceName: 'web',
    slot: 1,
    specVersion: 1,
    specKey: 'k1',
    desiredState: 'running',
    state: 'assigned',
    message: 'assigned',
    createdAt: 1,
    updatedAt: 1,
    restarts: [],
    ...over,
  };
}

for (const kind of ['consul', 'etcd', 'etcd2', 'zk'] as const) {
  t.test(`a stale orchestrator's writes lose on ${kind}`, async (t) => {
    const server = await service(kind === 'etcd2' ? 'etcd' : kind, 'main');
    const store = await openStore(`${kind}://${server.address}/fence${kind}${suffix()}`, { timeoutMs: 5000 });
    t.teardown(async () => {
      await store.deleteTree('').catch(() => {});
      await store.close();
    });
    await store.put(CLUSTER_KEY, JSON.stringify({ id: 'c1' }));
    const stale = new ServiceStore(store, log);
    const leader = new ServiceStore(store, log);
    await stale.commit(await stale.read(), [task('t1')], []);

    const before = await stale.read();
    const now = await leader.read();
    t.equal(before.tasks.length, 1, 'both read the task');
    await leader.commit(now, [task('t1', { desiredState: 'shutdown', message: 'new leader' })], []);

    const err = await stale
      .commit(before, [task('t1', { state: 'running', message: 'stale' }), task('t2', { slot: 2 })], ['t1'])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    t.type(err, StaleWriteError, 'the stale commit is refused');
    t.equal((err as StaleWriteError).code, 'SHOAL_STALE_TASK_WRITE');
    const after = await leader.read();
    t.same(
      after.tasks.map((x) => [x.id, x.desiredState, x.message]),
      [['t1', 'shutdown', 'new leader']],
      "the new leader's state stands; the stale pass created and deleted nothing",
    );

    t.test('the fence passed, a task changed behind the pass: that task is refused', async (t) => {
      const st = await stale.read();
      await store.put(taskKey('t1'), JSON.stringify(task('t1', { message: 'written behind' })));
      const e = await stale.commit(st, [task('t1', { message: 'stale copy' })], []).catch((x: unknown) => x);
      t.type(e, StaleWriteError);
      t.match((e as Error).message, /task t1/);
      t.equal(JSON.parse((await store.get(taskKey('t1')))!).message, 'written behind');
    });

    t.test('a read-modify-write of one task applies to its current value', async (t) => {
      t.ok(await stale.updateTask('t1', (x) => ({ ...x, err: 'refused by the engine' })));
      const got = JSON.parse((await store.get(taskKey('t1')))!) as TaskRecord;
      t.same([got.message, got.err], ['written behind', 'refused by the engine']);
      t.notOk(await stale.updateTask('gone', (x) => x), 'a task that is gone is not re-created');
      t.equal(await store.get(taskKey('gone')), undefined);
    });
  });
}
