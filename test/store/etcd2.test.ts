/**
 * The etcd v2 backend against the harness etcd (v2 API enabled): the Store contract, plus what only v2 has:
 * per-segment escaping as v2 stores it, keys written by plain v2 PUTs (old registrator), TTL-refresh leases
 * and locks losing their key, and typed errors when nothing (or nothing useful) listens.
 */
import t, { type Test } from 'tap';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { service } from '../harness/services.js';
import { tcpOpen } from '../harness/proc.js';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { storeContract, within } from './contract.js';
import { openStore } from '../../agents/store/open.js';
import { escapeEtcd2Segment } from '../../agents/store/etcd2.js';

const main = await service('etcd');
const chaos = await service('etcd', 'chaos');

storeContract(t, {
  scheme: 'etcd2',
  address: main.address,
  chaos: { address: chaos.address, stop: () => chaos.stop(), start: () => chaos.start() },
  ttlMs: 3000,
});

const prefix = `etcd2-test-${randomUUID().slice(0, 8)}`;
type V2Body = { node?: { value?: string; ttl?: number } };
const raw = async (path: string): Promise<V2Body> => (await (await fetch(v2(path))).json()) as V2Body;
const v2 = (path: string) => `http://${main.address}/v2/keys/${prefix}/${path}`;
const store = await openStore(`etcd2://${main.address}/${prefix}`, { timeoutMs: 3000 });
t.teardown(async () => {
  await store.deleteTree('').catch(() => {});
  await store.close();
});

t.test('escaping: pure segment mapping', async (t) => {
  t.equal(
    escapeEtcd2Segment('dockerhost01:web_1:80'),
    'dockerhost01:web_1:80',
    'registrator keys are stored as they are',
  );
  t.equal(escapeEtcd2Segment('_hidden'), '%5Fhidden', 'a leading _ would hide the key from v2 listings');
  t.equal(escapeEtcd2Segment('a b%c?d#e'), 'a%20b%25c%3Fd%23e');
  t.equal(escapeEtcd2Segment('ü'), '%C3%BC');
});

t.test('hostile key segments round-trip and are stored escaped per segment', async (t) => {
  const keys = ['h/_hidden', 'h/a b/%41', 'h/q?x#y&z=1', 'h/ünï/✓', 'h/.dot/...', 'h/back\\slash', 'h/~tilde+plus'];
  for (const [i, k] of keys.entries()) await store.put(k, `v${i}`);
  for (const [i, k] of keys.entries()) t.equal(await store.get(k), `v${i}`, k);
  t.same(
    (await store.list('h')).map((e) => e.key),
    [...keys].sort(),
    'list returns the logical keys',
  );
  const hidden = await raw('h/%255Fhidden');
  t.equal(hidden.node?.value, 'v0', 'the raw v2 key is the escaped segment');
  const spaced = await raw('h/a%2520b/%252541');
  t.equal(spaced.node?.value, 'v1', '"%" itself is escaped, so "%41" stays "%41"');
});

t.test('a key written by a plain v2 PUT (as old registrator did) is read by get and list', async (t) => {
  const res = await fetch(v2('services/web-80/dockerhost01:web_1:80'), {
    method: 'PUT',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'value=10.0.0.1%3A32768',
  });
  t.equal(res.status, 201);
  t.same(await store.list('services'), [{ key: 'services/web-80/dockerhost01:web_1:80', value: '10.0.0.1:32768' }]);
  t.equal(await store.get('services/web-80/dockerhost01:web_1:80'), '10.0.0.1:32768');
});

t.test('a lease whose key vanished emits lost, re-writes the key, then restored', async (t) => {
  const lease = await store.lease(1500);
  t.teardown(() => lease.release());
  await lease.put('lease/re', 'x');
  const lost = once(lease, 'lost');
  const restored = once(lease, 'restored');
  await fetch(v2('lease/re'), { method: 'DELETE' }); // as if it had expired during an outage
  await lost;
  await restored;
  t.equal(await store.get('lease/re'), 'x', 'the key is back');
  const ttl = (await raw('lease/re')).node?.ttl ?? 0;
  t.ok(ttl > 0 && ttl <= 2, `re-written with a TTL (${ttl} s)`);
});

t.test('a lock whose key is deleted behind its back emits lost', async (t) => {
  const lock = await store.lock('locks/l', 'me', { ttlMs: 1500 });
  t.equal(lock.held, true);
  const lost = once(lock, 'lost');
  await fetch(v2('locks/l'), { method: 'DELETE' });
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

t.test('nothing listening: a typed recoverable error', async (t) => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  const dead = await openStore(`etcd2://127.0.0.1:${port}/x`, { timeoutMs: 1000 });
  await t.rejects(dead.get('k'), { code: 'SHOAL_STORE_UNAVAILABLE', recoverable: true });
  await t.rejects(dead.ping(), { code: 'SHOAL_STORE_UNAVAILABLE' });
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
  const port = (srv.address() as net.AddressInfo).port;
  const hung = await openStore(`etcd2://127.0.0.1:${port}/x`, { timeoutMs: 500 });
  // the call gives up on the deadline it was given (never answered, it would otherwise hang for ever)
  await t.rejects(hung.put('k', 'v'), { code: 'SHOAL_STORE_TIMEOUT', recoverable: true, message: /within 500 ms/ });
  await hung.close();
});

t.test('a second host is used when the first refuses', async (t) => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  const multi = await openStore(`etcd2://127.0.0.1:${port},${main.address}/${prefix}`, { timeoutMs: 2000 });
  await multi.put('multi/k', 'v');
  t.equal(await store.get('multi/k'), 'v');
  await multi.close();
});

/** A private etcd on free loopback ports, for the one case that changes server-wide settings (auth). */
async function privateEtcd(t: Test, tls?: { dir: string }): Promise<string> {
  const free = async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    return port;
  };
  const [client, peer] = [await free(), await free()];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-etcd2-auth-'));
  const scheme = tls ? 'https' : 'http';
  const tlsArgs = tls
    ? [
        '--cert-file',
        `${tls.dir}/server.crt`,
        '--key-file',
        `${tls.dir}/server.key`,
        '--client-cert-auth',
        '--trusted-ca-file',
        `${tls.dir}/ca.crt`,
      ]
    : [];
  const child = spawn(
    'etcd',
    [
      ...tlsArgs,
      '--name',
      'private',
      '--data-dir',
      dir,
      '--listen-client-urls',
      `${scheme}://127.0.0.1:${client}`,
      '--advertise-client-urls',
      `${scheme}://127.0.0.1:${client}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `private=http://127.0.0.1:${peer}`,
      '--enable-v2=true',
      '--log-level',
      'error',
      '--logger',
      'zap',
    ],
    { stdio: 'ignore' },
  );
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 100; i++) {
    const ok = tls
      ? await tcpOpen('127.0.0.1', client)
      : await fetch(`http://127.0.0.1:${client}/health`).then(
          (r) => r.ok,
          () => false,
        );
    if (ok) return `127.0.0.1:${client}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('private etcd did not start');
}

t.test('basic auth: the right password works, a wrong one is a typed, non-recoverable auth error', async (t) => {
  const address = await privateEtcd(t);
  const put = (p: string, body: unknown, auth?: string) =>
    fetch(`http://${address}${p}`, {
      method: 'PUT',
      body: JSON.stringify(body),
      headers: auth ? { authorization: auth } : {},
    });
  t.equal((await put('/v2/auth/users/root', { user: 'root', password: 'pw-root' })).status, 201);
  t.equal((await put('/v2/auth/enable', {})).status, 200);
  const rootAuth = `Basic ${Buffer.from('root:pw-root').toString('base64')}`;
  // take the guest role's rights away, so that only authenticated users may read and write
  t.equal(
    (await put('/v2/auth/roles/guest', { role: 'guest', revoke: { kv: { read: ['/*'], write: ['/*'] } } }, rootAuth))
      .status,
    200,
  );

  const good = await openStore(`etcd2://${address}/auth`, { timeoutMs: 3000, username: 'root', password: 'pw-root' });
  await good.put('k', 'v');
  t.equal(await good.get('k'), 'v', 'authenticated round trip');
  t.notMatch(good.description, /pw-root/, 'the password is not in the description');
  await good.close();

  const bad = await openStore(`etcd2://${address}/auth`, { timeoutMs: 3000, username: 'root', password: 'wrong' });
  await t.rejects(bad.get('k'), { code: 'SHOAL_STORE_AUTH', recoverable: false }, 'wrong password');
  await bad.close();
  const anon = await openStore(`etcd2://${address}/auth`, { timeoutMs: 3000 });
  await t.rejects(anon.put('k', 'x'), { code: 'SHOAL_STORE_AUTH', recoverable: false }, 'no credentials');
  await anon.close();
});

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCerts(t: Test): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-etcd2-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=shoal test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    execFileSync('sh', ['-c', `printf '${ext}\n' > ${name}.ext`], { cwd: dir });
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  }
  return dir;
}

t.test('TLS: CA, client certificate and key from the options; an untrusted server is a typed auth error', async (t) => {
  const dir = makeCerts(t);
  const address = await privateEtcd(t, { dir });
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  const client = { cert: read('client.crt'), key: read('client.key') };
  const good = await openStore(`etcd2://${address}/tls`, { timeoutMs: 3000, tls: { ca: read('ca.crt'), ...client } });
  await good.put('k', 'over tls');
  t.equal(await good.get('k'), 'over tls', 'round trip over TLS with a client certificate');
  await good.close();
  const untrusted = await openStore(`etcd2://${address}/tls`, { timeoutMs: 3000, tls: client });
  await t.rejects(
    untrusted.get('k'),
    { code: 'SHOAL_STORE_AUTH', recoverable: false },
    'server certificate not signed by a trusted CA',
  );
  await untrusted.close();
  const insecure = await openStore(`etcd2://${address}/tls`, { timeoutMs: 3000, tls: { ...client, insecure: true } });
  t.equal(await insecure.get('k'), 'over tls', 'insecure skips verification when asked to');
  await insecure.close();
});

t.test('a lease outlived by a server outage emits lost, then re-writes its keys and emits restored', async (t) => {
  const outage = await openStore(`etcd2://${chaos.address}/${prefix}`, { timeoutMs: 1000 });
  t.teardown(() => outage.close());
  const lease = await outage.lease(1500);
  await lease.put('outage/k', 'v');
  const events: string[] = [];
  lease.on('lost', () => events.push('lost'));
  lease.on('restored', () => events.push('restored'));
  const lost = once(lease, 'lost');
  const restored = once(lease, 'restored');
  await chaos.stop();
  await within(lost, 30_000, 'the lease did not report lost after a whole TTL without an answer');
  await chaos.start();
  await within(restored, 30_000, 'the lease was not restored after the restart');
  t.same(events, ['lost', 'restored']);
  t.equal(await outage.get('outage/k'), 'v', 'the key is there again after the outage');
  await lease.release();
});

t.test('a watch whose waitIndex fell out of the 1000-event history re-lists quietly (EventIndexCleared)', async (t) => {
  const s = (await openStore(`etcd2://${main.address}/${prefix}`, {
    timeoutMs: 3000,
  })) as import('../../agents/store/etcd2.js').Etcd2Store;
  t.teardown(() => s.close());
  await s.put('cleared/a', '1');
  // hold the watch's first long poll back until the event history has moved on by more than 1000 events
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const request = s.http.request.bind(s.http);
  let held = false;
  s.http.request = async (method, path, ro = {}) => {
    if (ro.query?.wait === true && !held) {
      held = true;
      await gate;
    }
    return request(method, path, ro);
  };
  const states: string[] = [];
  s.on('state', (st) => states.push(st));
  const ac = new AbortController();
  const seen: string[][] = [];
  const done = (async () => {
    for await (const snap of s.watch('cleared', { signal: ac.signal, coalesceMs: 0 }))
      seen.push(snap.entries.map((e) => `${e.key}=${e.value}`));
  })();
  while (!held) await new Promise((r) => setTimeout(r, 20));
  await s.put('cleared/b', '2');
  for (let i = 0; i < 1100; i++) await store.put('churn/k', String(i));
  release();
  for (let i = 0; i < 50 && !seen.some((e) => e.includes('cleared/b=2')); i++)
    await new Promise((r) => setTimeout(r, 100));
  ac.abort();
  await done;
  t.same(seen[0], ['cleared/a=1'], 'first snapshot');
  t.ok(
    seen.some((e) => e.join() === 'cleared/a=1,cleared/b=2'),
    'the change hidden behind the cleared index is delivered',
  );
  t.same(states, ['connected'], 'a cleared index is not an outage: connected, and no lost');
});
