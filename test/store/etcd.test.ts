/**
 * The etcd v3 backend against the harness etcd: the Store contract, plus what only etcd v3 has: the stored
 * key layout, leases revoked behind the lease's back, locks losing their lease, re-listing after compaction,
 * and typed errors when nothing (or nothing useful) answers.
 */
import t, { type Test as TapTest } from 'tap';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { service } from '../harness/services.js';
import { makeCerts } from './certs.js';
import { killedLeaseGone, storeContract, within } from './contract.js';
import { openStore } from '../../agents/store/open.js';
import { etcdLeaseSeconds } from '../../agents/store/etcd.js';
import { freePort } from '../harness/proxies.js';

const main = await service('etcd');
const chaos = await service('etcd', 'chaos');

storeContract(t, {
  scheme: 'etcd',
  address: main.address,
  chaos: { address: chaos.address, stop: () => chaos.stop(), start: () => chaos.start() },
  ttlMs: 4000,
});

const prefix = `etcd-test-${randomUUID().slice(0, 8)}`;
const store = await openStore(`etcd://${main.address}/${prefix}`, { timeoutMs: 3000 });
const rawClient = new Etcd3({ hosts: `http://${main.address}` });
t.teardown(async () => {
  await store.deleteTree('').catch(() => {});
  await store.close();
  rawClient.close();
});

t.test('lease TTL in whole seconds never exceeds the asked TTL (pure)', async (t) => {
  t.equal(etcdLeaseSeconds(4000), 4);
  t.equal(etcdLeaseSeconds(4999), 4);
  t.equal(etcdLeaseSeconds(1500), 1);
  t.equal(etcdLeaseSeconds(200), 1, 'etcd minimum');
});

t.test('keys are stored as /PREFIX/key; only "%" is escaped', async (t) => {
  await store.put('services/web-80/dockerhost01:web_1:80', 'a');
  await store.put('odd/a b/%41/ü?', 'b');
  t.equal(
    await rawClient.get(`/${prefix}/services/web-80/dockerhost01:web_1:80`).string(),
    'a',
    'leading slash, key as it is',
  );
  t.equal(await rawClient.get(`/${prefix}/odd/a b/%2541/ü?`).string(), 'b', '"%" is escaped so "%41" stays "%41"');
  await rawClient.put(`/${prefix}/plain/written:by:others`).value('10.0.0.1:80');
  t.same(
    await store.list('plain'),
    [{ key: 'plain/written:by:others', value: '10.0.0.1:80' }],
    'keys written by others are read',
  );
  t.same(await store.list('odd'), [{ key: 'odd/a b/%41/ü?', value: 'b' }], 'read back unchanged');
});

t.test('a lease revoked behind its back emits lost, re-puts its keys on a new lease, then restored', async (t) => {
  const lease = await store.lease(3000);
  t.teardown(() => lease.release());
  await lease.put('lease/re', 'x');
  const before = (await rawClient.get(`/${prefix}/lease/re`).exec()).kvs[0]?.lease;
  t.ok(before && before !== '0', `the key is on lease ${before}`);
  const lost = once(lease, 'lost');
  const restored = once(lease, 'restored');
  await rawClient.leaseClient.leaseRevoke({ ID: before! });
  t.equal(await store.get('lease/re'), undefined, 'revoking removed the key');
  await lost;
  await restored;
  t.equal(await store.get('lease/re'), 'x', 'the key is back');
  const after = (await rawClient.get(`/${prefix}/lease/re`).exec()).kvs[0]?.lease;
  t.ok(after && after !== before, 'on a new lease');
});

t.test('a lock whose lease is revoked emits lost; a waiter gives up when its signal aborts', async (t) => {
  const lock = await store.lock('locks/l', 'me', { ttlMs: 3000 });
  t.equal(lock.held, true);
  const ac = new AbortController();
  // abort once the waiter has found the lock held and waits on it
  const onWaiting = () => ac.abort();
  await t.rejects(store.lock('locks/l', 'other', { ttlMs: 3000, signal: ac.signal, onWaiting }), {
    code: 'SHOAL_ABORTED',
  });
  const lost = once(lock, 'lost');
  const leaseId = (await rawClient.get(`/${prefix}/locks/l`).exec()).kvs[0]?.lease;
  await rawClient.leaseClient.leaseRevoke({ ID: leaseId! });
  await lost;
  t.equal(lock.held, false);
  await lock.release();
  t.equal(await store.get('locks/l'), undefined);
});

t.test('a lease lost in a server outage is re-granted and its keys re-put after the restart', async (t) => {
  const c = await openStore(`etcd://${chaos.address}/${prefix}`, { timeoutMs: 2000 });
  t.teardown(async () => {
    await c.deleteTree('').catch(() => {});
    await c.close();
  });
  const lease = await c.lease(2000);
  await lease.put('outage/k', 'v');
  const events: string[] = [];
  lease.on('lost', () => events.push('lost'));
  lease.on('restored', () => events.push('restored'));
  const lost = once(lease, 'lost');
  const restored = once(lease, 'restored');
  await chaos.stop();
  await within(lost, 30_000, 'the client did not give the lease up while the server was down');
  await chaos.start();
  await within(restored, 30_000, 'the lease was not restored after the restart');
  t.same(events, ['lost', 'restored'], 'lost, then restored');
  // the server's clock says when a lease that stopped renewing is gone: a control lease, made now and killed
  const control = `outage/control-${randomUUID().slice(0, 6)}`;
  t.equal(await killedLeaseGone(c, `etcd://${chaos.address}/${prefix}`, control, lease.ttlMs), null, 'control gone');
  t.equal(await c.get('outage/k'), 'v', 'the key is held on the new lease');
  await lease.release();
  t.equal(await c.get('outage/k'), undefined);
});

/** A TCP proxy to the main etcd that can cut every connection and refuse new ones for a while. */
async function faultProxy(target: number) {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    const up = net.connect(target, '127.0.0.1');
    for (const s of [c, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s)).on('error', () => {});
    }
    c.pipe(up).pipe(c);
  });
  const listen = () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  await listen();
  return {
    port,
    async down() {
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
    },
    up: listen,
  };
}

t.test('a watch that resumes from a compacted revision re-lists and yields the current state', async (t) => {
  const proxy = await faultProxy(main.port);
  const viaProxy = await openStore(`etcd://127.0.0.1:${proxy.port}/${prefix}`, { timeoutMs: 2000 });
  const states: string[] = [];
  viaProxy.on('state', (s) => states.push(s));
  await store.put('compact/a', '1');
  const ac = new AbortController();
  const seen: string[][] = [];
  const done = (async () => {
    for await (const s of viaProxy.watch('compact', { signal: ac.signal, coalesceMs: 10 }))
      seen.push(s.entries.map((e) => `${e.key}=${e.value}`));
  })();
  const until = async (pred: (e: string[]) => boolean, ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20)))
      if (seen.some(pred)) return true;
    return false;
  };
  t.ok(await until((e) => e.includes('compact/a=1'), 5000), 'initial snapshot');
  await proxy.down();
  await store.put('compact/b', '2');
  await store.delete('compact/a');
  const { header } = await rawClient.put(`/${prefix}/compact/c`).value('3').exec();
  await rawClient.kv.compact({ revision: header.revision, physical: true });
  await proxy.up();
  t.ok(
    await until((e) => e.join() === 'compact/b=2,compact/c=3', 20_000),
    `state after compaction delivered (${JSON.stringify(seen.at(-1))})`,
  );
  t.ok(
    seen.every((e) => e.length > 0),
    'no empty snapshot from the outage',
  );
  t.ok(states.includes('lost') && states.includes('restored'), `state events: ${states.join(',')}`);
  ac.abort();
  await done;
  await viaProxy.close();
  await proxy.down();
});

/** A throwaway etcd on free loopback ports; returns its client URL. */
async function throwawayEtcd(t: TapTest, https: boolean, extra: string[]): Promise<string> {
  const [port, peer] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-etcd-'));
  const client = `${https ? 'https' : 'http'}://127.0.0.1:${port}`;
  const etcd = spawn(
    'etcd',
    [
      '--name',
      'throwaway',
      '--data-dir',
      path.join(dir, 'data'),
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `throwaway=http://127.0.0.1:${peer}`,
      '--log-level',
      'error',
      '--logger',
      'zap',
      ...extra,
    ],
    { stdio: 'ignore' },
  );
  t.teardown(async () => {
    const exited = once(etcd, 'exit');
    etcd.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  return `127.0.0.1:${port}`;
}

async function until(what: string, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; ; i++) {
    if (
      await fn().then(
        () => true,
        () => false,
      )
    )
      return;
    if (i > 100) throw new Error(`${what} did not come up`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

t.test('user/password auth: the right credentials work, wrong ones are a non-recoverable auth error', async (t) => {
  const address = await throwawayEtcd(t, false, []);
  const admin = new Etcd3({ hosts: `http://${address}` });
  await until('the auth etcd', () => admin.get('x').string());
  await admin.role('root').create();
  await admin.user('root').create('s3cret');
  await admin.user('root').addRole('root');
  await admin.auth.authEnable({});
  admin.close();
  const good = await openStore(`etcd://${address}/auth`, { timeoutMs: 2000, username: 'root', password: 's3cret' });
  await good.put('k', 'v');
  t.equal(await good.get('k'), 'v', 'the right password reads and writes');
  const bad = await openStore(`etcd://${address}/auth`, { timeoutMs: 2000, username: 'root', password: 'wrong' });
  await t.rejects(bad.put('k', 'x'), { code: 'SHOAL_STORE_AUTH', recoverable: false }, 'a wrong password is refused');
  const none = await openStore(`etcd://${address}/auth`, { timeoutMs: 2000 });
  await t.rejects(none.put('k', 'x'), { code: 'SHOAL_STORE_AUTH', recoverable: false }, 'no credentials are refused');
  t.notMatch(good.description, /s3cret|root/, 'the description carries no credentials');
  await Promise.all([good.close(), bad.close(), none.close()]);
});

t.test('TLS with CA, client certificate and key', async (t) => {
  const certs = makeCerts();
  t.teardown(() => certs.remove());
  const { ca, cert, key } = certs.files;
  const address = await throwawayEtcd(t, true, [
    '--cert-file',
    cert,
    '--key-file',
    key,
    '--trusted-ca-file',
    ca,
    '--client-cert-auth',
  ]);
  const good = await openStore(`etcd://${address}/tls`, { timeoutMs: 2000, tls: certs.pem });
  await until('the TLS etcd', () => good.put('k', 'v'));
  t.equal(await good.get('k'), 'v', 'CA + client certificate: reads and writes');
  const noClientCert = await openStore(`etcd://${address}/tls`, { timeoutMs: 2000, tls: { ca: certs.pem.ca } });
  await t.rejects(noClientCert.get('k'), 'without a client certificate the server refuses');
  const noCa = await openStore(`etcd://${address}/tls`, {
    timeoutMs: 2000,
    tls: { cert: certs.pem.cert, key: certs.pem.key },
  });
  await t.rejects(noCa.get('k'), 'an unknown server CA is refused');
  const plain = await openStore(`etcd://${address}/tls`, { timeoutMs: 2000 });
  await t.rejects(plain.get('k'), 'plain gRPC to a TLS port fails');
  await Promise.all([good.close(), noClientCert.close(), noCa.close(), plain.close()]);
});

t.test('nothing listening: typed recoverable errors', async (t) => {
  const dead = await openStore(`etcd://127.0.0.1:${await freePort()}/x`, { timeoutMs: 1000 });
  await t.rejects(dead.get('k'), { code: 'SHOAL_STORE_UNAVAILABLE', recoverable: true });
  await t.rejects(dead.put('k', 'v'), { code: 'SHOAL_STORE_UNAVAILABLE', recoverable: true });
  await t.rejects(dead.ping(), { code: 'SHOAL_STORE_UNAVAILABLE', recoverable: true });
  await t.rejects(dead.lease(3000), { code: 'SHOAL_STORE_UNAVAILABLE', recoverable: true });
  await dead.close();
});

t.test('a server that accepts but never answers: a typed timeout within timeoutMs', async (t) => {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    srv.close();
  });
  const hung = await openStore(`etcd://127.0.0.1:${(srv.address() as net.AddressInfo).port}/x`, { timeoutMs: 500 });
  // the call gives up on the deadline it was given (never answered, it would otherwise hang for ever)
  await t.rejects(hung.get('k'), {
    code: 'SHOAL_STORE_TIMEOUT',
    recoverable: true,
    message: /no answer within 500 ms/,
  });
  await hung.close();
});

t.test('several hosts: the one that answers is used', async (t) => {
  const multi = await openStore(`etcd://127.0.0.1:${await freePort()},${main.address}/${prefix}`, { timeoutMs: 2000 });
  for (let i = 0; i < 4; i++) await multi.put('multi/k', 'v'); // whichever host a call starts on
  t.equal(await store.get('multi/k'), 'v');
  await multi.close();
});
