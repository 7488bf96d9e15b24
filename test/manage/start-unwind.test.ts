/**
 * A start that fails part-way leaves nothing running: every component already started is stopped, last first.
 * Replication runs over a fake store (its lock and close are watched); discovery points at a closed port.
 */
import t from 'tap';
import net from 'node:net';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../agents/common/log.js';
import { startManager, type ManagerConfig } from '../../agents/manage/manager.js';
import type { Lock, LockEvents, LockOptions } from '../../agents/store/store.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { managerConfig } from './helpers.js';

class FakeLock extends EventEmitter<LockEvents> implements Lock {
  held = true;
  constructor(readonly key: string) {
    super();
  }
  async release() {
    this.held = false;
  }
}

/** A store whose locks are granted at once; it counts the calls made after it was closed. */
class LockingStore extends MemoryStore {
  readonly locks: FakeLock[] = [];
  closed = false;
  callsAfterClose = 0;
  override async get(key: string) {
    if (this.closed) this.callsAfterClose += 1;
    return super.get(key);
  }
  // optional parameters: MemoryStore declares lock() without any
  override async lock(key = '', _value = '', opts?: LockOptions): Promise<Lock> {
    if (this.closed) this.callsAfterClose += 1;
    opts?.signal?.throwIfAborted();
    const l = new FakeLock(key);
    this.locks.push(l);
    return l;
  }
  override async close() {
    this.closed = true;
  }
}

async function listening(port = 0): Promise<net.Server> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve());
  });
  return s;
}
const portOf = (s: net.Server) => (s.address() as AddressInfo).port;
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

/** Replication on, discovery at a port nothing listens on (it keeps retrying until stopped). */
async function replicated(over: Partial<ManagerConfig>): Promise<ManagerConfig> {
  const closed = await listening();
  const port = portOf(closed);
  await close(closed);
  const replication = { advertise: '127.0.0.1:1', ttlMs: 3000 };
  return managerConfig(`consul://127.0.0.1:${port}/unwind`, { replication, ...over });
}

t.test('the API port is taken: replication, already elected, releases its lock and its store', async (t) => {
  const taken = await listening();
  t.teardown(() => close(taken));
  const store = new LockingStore();
  const config = await replicated({ hosts: [{ kind: 'tcp', host: '127.0.0.1', port: portOf(taken) }] });
  await t.rejects(startManager(config, silentLogger(), { openStore: async () => store }), { code: 'EADDRINUSE' });
  t.equal(store.locks.length, 1, 'the lock was taken before the API server failed');
  t.equal(store.locks[0]?.held, false, 'and released');
  t.equal(store.closed, true, 'the replication store is closed');
  t.equal(store.callsAfterClose, 0, 'replication stopped before its store closed');
});

t.test('the status port is taken: the API server that listened is closed, replication stopped', async (t) => {
  const taken = await listening();
  t.teardown(() => close(taken));
  const free = await listening();
  const apiPort = portOf(free);
  await close(free);
  const store = new LockingStore();
  const hosts = [{ kind: 'tcp' as const, host: '127.0.0.1', port: apiPort }];
  const config = await replicated({ hosts, statusAddr: `127.0.0.1:${portOf(taken)}` });
  await t.rejects(startManager(config, silentLogger(), { openStore: async () => store }), { code: 'EADDRINUSE' });
  t.equal(store.locks[0]?.held, false, 'the lock is released');
  t.equal(store.closed, true);
  const again = await listening(apiPort);
  t.pass('the API port is free again');
  await close(again);
});

t.test('a manager that started stops the same components through the same list', async (t) => {
  const store = new LockingStore();
  const m = await startManager(await replicated({}), silentLogger(), { openStore: async () => store });
  t.equal(store.locks[0]?.held, true, 'elected while running');
  await m.stop();
  t.equal(store.locks[0]?.held, false);
  t.equal(store.closed, true);
  await m.stop();
  t.pass('a second stop() finds nothing left to stop');
});
