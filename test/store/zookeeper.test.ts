/**
 * The ZooKeeper backend against the harness zk (tickTime 500, sessions 1-60 s): the Store contract, plus what
 * only ZooKeeper has: escaped znode names, parents created and pruned, sessions expiring under leases and
 * locks, and typed errors when nothing listens.
 */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import zookeeper from 'node-zookeeper-client';
import { service } from '../harness/services.js';
import { storeContract, within } from './contract.js';
import { until as waitFor } from '../helpers/capture-log.js';
import { openStore } from '../../agents/store/open.js';
import { escapeZkSegment } from '../../agents/store/zookeeper.js';
import { ZkConn } from '../../agents/store/zookeeper-conn.js';

const main = await service('zk');
const chaos = await service('zk', 'chaos');

storeContract(t, {
  scheme: 'zk',
  address: main.address,
  chaos: { address: chaos.address, stop: () => chaos.stop(), start: () => chaos.start() },
  ttlMs: 3000,
});

const prefix = `zk-test-${randomUUID().slice(0, 8)}`;
const store = await openStore(`zk://${main.address}/${prefix}`, { timeoutMs: 3000 });

/** A plain client to look at the raw znodes. */
const raw = zookeeper.createClient(main.address, { sessionTimeout: 10_000 });
raw.connect();
await once(raw, 'connected');
const rawChildren = (path: string) =>
  new Promise<string[] | undefined>((resolve, reject) =>
    raw.getChildren(path, (e, c) =>
      e ? (e.message.includes('NO_NODE') ? resolve(undefined) : reject(e)) : resolve(c),
    ),
  );
const rawRemove = (path: string) => new Promise<void>((resolve) => raw.remove(path, -1, () => resolve()));

t.teardown(async () => {
  await store.deleteTree('').catch(() => {});
  await store.close();
  raw.close();
});

t.test('escaping: pure segment mapping', async (t) => {
  t.equal(escapeZkSegment('dockerhost01:web_1:80'), 'dockerhost01:web_1:80');
  t.equal(escapeZkSegment('a b%c?d#e'), 'a%20b%25c%3Fd%23e');
  t.equal(escapeZkSegment('ü\u00a0'), '%C3%BC%C2%A0');
});

t.test('hostile key segments round-trip and are stored as escaped znode names', async (t) => {
  const keys = [
    'h/_u',
    'h/a b/%41',
    'h/q?x#y&z=1',
    'h/ünï/✓',
    'h/.dot/...',
    'h/zookeeper',
    'h/back\\slash',
    'h/\u00a0\ufff0',
  ];
  for (const [i, k] of keys.entries()) await store.put(k, `v${i}`);
  for (const [i, k] of keys.entries()) t.equal(await store.get(k), `v${i}`, JSON.stringify(k));
  t.same(
    (await store.list('h')).map((e) => e.key),
    [...keys].sort(),
    'list returns the logical keys',
  );
  t.same(await rawChildren(`/${prefix}/h/a%20b`), ['%2541'], 'one escaped znode per segment; "%" itself is escaped');
});

t.test('parents are created as needed and pruned when their last key goes', async (t) => {
  await store.put('deep/a/b/c', '1');
  await store.put('deep/a/x', '2');
  t.same(
    await store.list('deep'),
    [
      { key: 'deep/a/b/c', value: '1' },
      { key: 'deep/a/x', value: '2' },
    ],
    'empty parents are not keys',
  );
  await store.delete('deep/a/b/c');
  t.same(await rawChildren(`/${prefix}/deep/a`), ['x'], 'the emptied parent b is removed');
  await store.delete('deep/a/x');
  t.equal(await rawChildren(`/${prefix}/deep`), undefined, 'pruned up to the prefix');
  t.ok(await rawChildren(`/${prefix}`), 'the prefix node stays');
  await store.put('both', 'parent value');
  await store.put('both/child', 'c');
  await store.delete('both');
  t.same(
    await store.list('both'),
    [{ key: 'both/child', value: 'c' }],
    'a key that is also a parent keeps its children',
  );
  t.equal(await store.get('both'), undefined);
});

/** Drop everything a lease's or lock's client writes from now on, as a stalled network would. */
function stall(holder: object): void {
  const cm = (holder as { conn: { client: { connectionManager: { socket: { write(): boolean } } } } }).conn.client
    .connectionManager;
  cm.socket.write = () => true;
}

t.test('a lease whose session expired emits lost, re-creates its nodes, then restored', async (t) => {
  const lease = await store.lease(1500);
  t.teardown(() => lease.release());
  await lease.put('lease/re', 'x');
  const lost = once(lease, 'lost');
  const restored = once(lease, 'restored');
  stall(lease); // the server hears nothing for longer than the TTL and expires the session
  await lost;
  await restored;
  t.equal(await store.get('lease/re'), 'x', 'the node is back, on the new session');
});

t.test('a lock whose node is deleted behind its back is not re-taken by us; a waiter then acquires', async (t) => {
  const a = await store.lock('locks/l', 'a', { ttlMs: 2000 });
  t.equal(a.held, true);
  const ac = new AbortController();
  let waiting!: () => void;
  const found = new Promise<void>((r) => (waiting = r));
  let acquired = false;
  const b = store.lock('locks/l', 'b', { ttlMs: 2000, signal: ac.signal, onWaiting: () => waiting() });
  void b.then(() => (acquired = true));
  await within(found, 15_000, 'the waiter never found the lock held');
  t.equal(acquired, false, 'the waiter waits while the node is there');
  await rawRemove(`/${prefix}/locks/l`);
  const lockB = await b;
  t.equal(await store.get('locks/l'), 'b', 'the waiter took it as soon as the node was deleted');
  await lockB.release();
  await a.release();
});

t.test('a lock whose session expired emits lost', async (t) => {
  const lock = await store.lock('locks/expire', 'me', { ttlMs: 1500 });
  const lost = once(lock, 'lost');
  stall(lock);
  await lost;
  t.equal(lock.held, false);
  await lock.release();
});

t.test('a lock waiter gives up when its signal aborts', async (t) => {
  const lock = await store.lock('locks/abort', 'a', { ttlMs: 3000 });
  const ac = new AbortController();
  // abort once the waiter has found the lock held and waits on it
  const onWaiting = () => ac.abort();
  await t.rejects(store.lock('locks/abort', 'b', { ttlMs: 3000, signal: ac.signal, onWaiting }), {
    code: 'SHOAL_ABORTED',
  });
  await lock.release();
  t.equal(await store.get('locks/abort'), undefined);
});

t.test('nothing listening: a typed recoverable error within the timeout', async (t) => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  const dead = await openStore(`zk://127.0.0.1:${port}/x`, { timeoutMs: 800 });
  // the client reconnects for ever; the call gives up on the deadline it was given
  await t.rejects(dead.get('k'), { code: 'SHOAL_STORE_UNAVAILABLE', recoverable: true, message: /within 800 ms/ });
  await t.rejects(dead.ping(), { code: 'SHOAL_STORE_UNAVAILABLE' });
  await dead.close();
});

t.test('several hosts: the ones that answer are used', async (t) => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  const multi = await openStore(`zk://127.0.0.1:${port},${main.address}/${prefix}`, { timeoutMs: 5000 });
  await multi.put('multi/k', 'v');
  t.equal(await store.get('multi/k'), 'v');
  await multi.close();
});

t.test('a lock disconnected for longer than its TTL emits lost (the leader must stop at once)', async (t) => {
  const outage = await openStore(`zk://${chaos.address}/${prefix}`, { timeoutMs: 1000 });
  t.teardown(() => outage.close());
  const lock = await outage.lock('outage/lock', 'me', { ttlMs: 1500 });
  const lost = once(lock, 'lost');
  await chaos.stop();
  t.teardown(() => chaos.start());
  const [err] = (await lost) as [Error];
  // on the lock's own timer of one TTL from the disconnect, not on the store's session (30 s)
  t.match(err.message, /disconnected for 1500 ms/, 'lost after being disconnected for its TTL');
  t.equal(lock.held, false);
  await chaos.start();
  await lock.release();
});

/**
 * A TCP proxy to the main server that can turn into a black hole: connections are cut, and new ones are
 * accepted but never answered (a server that restarted and does not yet serve, a half-open path).
 */
async function blackHoleProxy(target: number) {
  let hole = false;
  let swallowed = 0;
  const sockets = new Set<net.Socket>();
  const drained: (() => void)[] = [];
  const server = net.createServer((c) => {
    sockets.add(c);
    c.on('close', () => {
      sockets.delete(c);
      if (sockets.size === 0) for (const r of drained.splice(0)) r();
    }).on('error', () => {});
    if (hole) return void (swallowed++, c.resume()); // read and drop, never answer
    const up = net.connect(target, '127.0.0.1');
    sockets.add(up);
    up.on('close', () => sockets.delete(up)).on('error', () => {});
    c.pipe(up).pipe(c);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    open: () => sockets.size,
    /** Connections accepted into the hole so far. */
    swallowed: () => swallowed,
    /** Resolves once no connection is open. */
    drained: () => (sockets.size === 0 ? Promise.resolve() : new Promise<void>((r) => drained.push(r))),
    /** New connections get through again; those already in the hole stay there, unanswered. */
    letThrough() {
      hole = false;
    },
    cut() {
      hole = true;
      for (const s of sockets) s.destroy();
    },
    heal() {
      hole = false;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

t.test(
  'a connect request never answered: after the session timeout the lease opens a new session and restores',
  async (t) => {
    const proxy = await blackHoleProxy(main.port);
    t.teardown(() => proxy.close());
    const via = await openStore(`zk://127.0.0.1:${proxy.port}/${prefix}`, { timeoutMs: 1000 });
    t.teardown(() => via.close());
    const lease = await via.lease(1500);
    await lease.put('hole/k', 'v');
    t.equal(await store.get('hole/k'), 'v');
    const lost = once(lease, 'lost');
    const restored = once(lease, 'restored');
    proxy.cut(); // the session's socket dies; every reconnect is accepted and never answered
    await lost;
    t.pass('lost once cut off for longer than the session timeout');
    // the new session's connect attempts are swallowed too before the way is opened again
    const before = proxy.swallowed();
    await waitFor(() => proxy.swallowed() > before, 15_000, 'a connect attempt of the new session in the hole');
    proxy.heal();
    await Promise.race([
      restored,
      new Promise((_, reject) => setTimeout(() => reject(new Error('not restored within 15 s')), 15_000)),
    ]);
    t.equal(await store.get('hole/k'), 'v', 'the key is back, on a new session');
    await lease.release();
  },
);

t.test(
  'closing a session stuck waiting for a connect answer drops its socket (nothing holds the process open)',
  async (t) => {
    const proxy = await blackHoleProxy(main.port);
    t.teardown(() => proxy.close());
    proxy.cut();
    const conn = new ZkConn(`127.0.0.1:${proxy.port}`, 5000, 1000);
    const until = Date.now() + 5000;
    while (proxy.open() === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    t.equal(proxy.open(), 1, 'connected at TCP level, never answered');
    conn.close();
    await within(proxy.drained(), 10_000, 'the socket is still open after close()');
    t.equal(proxy.open(), 0, 'the socket is gone after close()');
  },
);

t.test(
  'a connect request left unanswered by a server that came back is sent again on a new socket, same session',
  async (t) => {
    const proxy = await blackHoleProxy(main.port);
    t.teardown(() => proxy.close());
    // a long session (as the store's own): waiting for it to be given up would take 31 s
    const conn = new ZkConn(`127.0.0.1:${proxy.port}`, 30_000, 1000);
    t.teardown(() => conn.close());
    await conn.ready();
    const session = conn.sessionId().toString('hex');
    proxy.cut(); // the socket dies; the reconnect is accepted and never answered
    await waitFor(() => proxy.swallowed() > 0, 15_000, 'a reconnect in the hole');
    proxy.letThrough(); // the server is back, but the connection already accepted stays unanswered
    const [how] = await Promise.race([
      once(conn, 'connected').then(() => ['connected']),
      once(conn, 'expired').then(() => ['expired']),
    ]);
    t.equal(how, 'connected', 'connected again before the session was given up');
    t.equal(conn.sessionId().toString('hex'), session, 'on the same session');
  },
);
