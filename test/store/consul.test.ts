/**
 * The Consul backend against the harness Consul agents: the Store contract, plus what only Consul has:
 * the blocking-query index rules, the stored key layout, sessions lost behind the lease's back, the ACL
 * token (a throwaway ACL-enabled agent on other loopback ports), and typed errors when nothing answers.
 */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { service } from '../harness/services.js';
import { makeCerts } from './certs.js';
import { killedLeaseGone, storeContract } from './contract.js';
import { openStore } from '../../agents/store/open.js';
import { nextConsulIndex, sessionTtlBounds } from '../../agents/store/consul.js';
import { consistentRead, consulWatchStep } from '../../agents/store/consul-index.js';
import { captureLog, until as waitFor } from '../helpers/capture-log.js';
import { parseDuration } from '../../agents/common/duration.js';
import { freePort } from '../harness/proxies.js';
import { ACL_HCL, throwawayConsul } from '../helpers/throwaway-consul.js';

const main = await service('consul');
const chaos = await service('consul', 'chaos');

storeContract(t, {
  scheme: 'consul',
  address: main.address,
  chaos: { address: chaos.address, stop: () => chaos.stop(), start: () => chaos.start() },
  ttlMs: 4000,
});

const prefix = `consul-test-${randomUUID().slice(0, 8)}`;
const http = (p: string) => `http://${main.address}/v1/${p}`;
const store = await openStore(`consul://${main.address}/${prefix}`, { timeoutMs: 3000 });
t.teardown(async () => {
  await store.deleteTree('').catch(() => {});
  await store.close();
});

/** The raw Consul entry of a stored key (path already escaped as Consul holds it). */
async function raw(key: string): Promise<{ Key: string; Session?: string } | undefined> {
  const res = await fetch(http(`kv/${key}`));
  if (res.status === 404) return undefined;
  return ((await res.json()) as { Key: string; Session?: string }[])[0];
}

t.test('blocking-query index rules (pure)', async (t) => {
  const table: [number, number, { index: number; changed: boolean }, string][] = [
    [0, 7, { index: 7, changed: true }, 'first answer'],
    [7, 7, { index: 7, changed: false }, 'same index: the wait ran out, nothing changed'],
    [7, 9, { index: 9, changed: true }, 'index moved on'],
    [9, 4, { index: 0, changed: true }, 'index went backwards: reset to 0 and re-read'],
    [9, 0, { index: 1, changed: true }, 'index 0 is never blocked on'],
    [9, Number.NaN, { index: 1, changed: true }, 'a missing header is never blocked on'],
  ];
  for (const [last, got, want, why] of table) t.same(nextConsulIndex(last, got), want, why);
});

t.test('the watch never emits an answer whose index went back, and re-reads it consistently (pure)', async (t) => {
  t.same(consulWatchStep(0, 7), { index: 7, emit: true }, 'first answer is a snapshot');
  t.same(consulWatchStep(7, 7), { index: 7, emit: false }, 'wait ran out: nothing to emit');
  t.same(consulWatchStep(7, 9), { index: 9, emit: true }, 'a change is a snapshot');
  // a restarted server answers with the index (and KV) of its snapshot before replaying its log
  t.same(consulWatchStep(9, 4), { index: 0, emit: false }, 'index went back: dropped, read again from 0');
  t.ok(consistentRead(0), 'a read from scratch is a consistent read');
  t.notOk(consistentRead(9), 'a blocking read at a known index is not');
});

t.test('keys are stored as PREFIX/key without a leading slash, escaped per segment', async (t) => {
  await store.put('services/web-80/dockerhost01:web_1:80', 'a');
  await store.put('odd/a b/%41/ü?', 'b');
  t.equal(
    (await raw(`${prefix}/services/web-80/dockerhost01:web_1:80`))?.Key,
    `${prefix}/services/web-80/dockerhost01:web_1:80`,
    'registrator keys stay as they are',
  );
  t.equal(
    (await raw(`${prefix}/odd/a%2520b/%252541/%25C3%25BC%253F`))?.Key,
    `${prefix}/odd/a%20b/%2541/%C3%BC%3F`,
    'escaped per segment',
  );
  t.same(await store.list('odd'), [{ key: 'odd/a b/%41/ü?', value: 'b' }], 'read back unchanged');
  await fetch(http(`kv/${prefix}/plain/written:by:others`), { method: 'PUT', body: '10.0.0.1:80' });
  t.same(
    await store.list('plain'),
    [{ key: 'plain/written:by:others', value: '10.0.0.1:80' }],
    'keys written by plain HTTP are read',
  );
});

t.test(
  'a lease whose session is destroyed behind its back emits lost, re-writes its keys, then restored',
  async (t) => {
    const lease = await store.lease(3000);
    t.teardown(() => lease.release());
    await lease.put('lease/re', 'x');
    const before = (await raw(`${prefix}/lease/re`))?.Session;
    t.ok(before, 'the key is held by a session');
    const lost = once(lease, 'lost');
    const restored = once(lease, 'restored');
    await fetch(http(`session/destroy/${before}`), { method: 'PUT' });
    t.equal(await store.get('lease/re'), undefined, 'behavior=delete removed the key');
    await lost;
    await restored;
    t.equal(await store.get('lease/re'), 'x', 'the key is back');
    const after = (await raw(`${prefix}/lease/re`))?.Session;
    t.ok(after && after !== before, 'held by a new session');
  },
);

t.test('a lock whose session is destroyed emits lost; a waiter gives up when its signal aborts', async (t) => {
  const lock = await store.lock('locks/l', 'me', { ttlMs: 3000 });
  t.equal(lock.held, true);
  const ac = new AbortController();
  // abort once the waiter has found the lock held and waits on it
  const onWaiting = () => ac.abort();
  await t.rejects(store.lock('locks/l', 'other', { ttlMs: 3000, signal: ac.signal, onWaiting }), {
    code: 'SHOAL_ABORTED',
  });
  const lost = once(lock, 'lost');
  await fetch(http(`session/destroy/${(await raw(`${prefix}/locks/l`))?.Session}`), { method: 'PUT' });
  await lost;
  t.equal(lock.held, false);
  await lock.release();
  t.equal(await store.get('locks/l'), undefined);
});

t.test(
  'a lease outlives a server outage: renewal retries with backoff and the key is held after the restart',
  async (t) => {
    const { log: logger, lines } = captureLog('warn');
    const c = await openStore(`consul://${chaos.address}/${prefix}`, { timeoutMs: 2000, logger });
    t.teardown(async () => {
      await c.deleteTree('').catch(() => {});
      await c.close();
    });
    const lease = await c.lease(3000);
    await lease.put('outage/k', 'v');
    const renewalFailures = () => lines.filter((l) => l.msg === 'consul session renewal failed; retrying').length;
    await chaos.stop();
    await waitFor(() => renewalFailures() >= 2, 30_000, 'two failed renewals while the agent is down');
    await chaos.start();
    await until('the chaos agent', () => c.list(''));
    // a restart may lose the session: the lease re-creates it and re-writes its key, after its own backoff
    let back: string | undefined;
    await waitFor(
      async () => (back = await c.get('outage/k').catch(() => undefined)) === 'v',
      30_000,
      'the key back after the restart',
    );
    t.equal(back, 'v', 'the key is back after the restart');
    // and it stays: the server's clock says when a lease that stopped renewing is gone: a control lease, made
    // now and killed
    const control = `outage/control-${randomUUID().slice(0, 6)}`;
    t.equal(
      await killedLeaseGone(c, `consul://${chaos.address}/${prefix}`, control, lease.ttlMs),
      null,
      'control gone',
    );
    // a session the restarted agent invalidated late is re-created by the lease, which re-writes the key; a
    // lease that stopped renewing would have lost it for good by now (the control is gone)
    await waitFor(async () => (await c.get('outage/k')) === 'v', 30_000, 'the key held a lease TTL later');
    t.equal(await c.get('outage/k'), 'v', 'the key is held a lease TTL later');
    await lease.release();
    t.equal(await c.get('outage/k'), undefined);
  },
);

t.test('nothing listening: typed recoverable errors', async (t) => {
  const dead = await openStore(`consul://127.0.0.1:${await freePort()}/x`, { timeoutMs: 1000 });
  await t.rejects(dead.get('k'), { code: 'SHOAL_STORE_UNAVAILABLE', recoverable: true });
  await t.rejects(dead.put('k', 'v'), { code: 'SHOAL_STORE_UNAVAILABLE', recoverable: true });
  await t.rejects(dead.ping(), { code: 'SHOAL_STORE_UNAVAILABLE' });
  await t.rejects(dead.lease(3000), { code: 'SHOAL_STORE_UNAVAILABLE' });
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
  const hung = await openStore(`consul://127.0.0.1:${(srv.address() as net.AddressInfo).port}/x`, { timeoutMs: 500 });
  // the call gives up on the deadline it was given (never answered, it would otherwise hang for ever)
  await t.rejects(hung.get('k'), { code: 'SHOAL_STORE_TIMEOUT', recoverable: true, message: /\(500 ?ms\)/ });
  await hung.close();
});

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
    await new Promise((r) => setTimeout(r, 200));
  }
}

t.test('ACL token: sent on every request; a bogus one is a non-recoverable auth error', async (t) => {
  const port = await throwawayConsul(t, false, ACL_HCL);
  const good = await openStore(`consul://127.0.0.1:${port}/acl`, { timeoutMs: 2000, token: 'shoal-root-token' });
  await until('the ACL agent', () => good.put('k', 'v'));
  t.equal(await good.get('k'), 'v', 'the right token reads and writes');
  const bogus = await openStore(`consul://127.0.0.1:${port}/acl`, { timeoutMs: 2000, token: 'bogus-token' });
  await t.rejects(bogus.put('k', 'x'), { code: 'SHOAL_STORE_AUTH', recoverable: false }, 'a bogus token is refused');
  await t.rejects(bogus.ping(), { code: 'SHOAL_STORE_AUTH' }, 'ping already refuses a bogus token');
  await good.ping();
  const none = await openStore(`consul://127.0.0.1:${port}/acl`, { timeoutMs: 2000 });
  await t.rejects(none.put('k', 'x'), { code: 'SHOAL_STORE_AUTH', recoverable: false }, 'no token is refused');
  t.notMatch(none.description + bogus.description, /token/, 'the description carries no token');
  await Promise.all([good.close(), bogus.close(), none.close()]);
});

t.test('HTTPS with CA, client certificate and key', async (t) => {
  const certs = makeCerts();
  t.teardown(() => certs.remove());
  const { ca, cert, key } = certs.files;
  const port = await throwawayConsul(
    t,
    true,
    `ca_file = "${ca}"\ncert_file = "${cert}"\nkey_file = "${key}"\nverify_incoming_https = true`,
  );
  const good = await openStore(`consul://127.0.0.1:${port}/tls`, { timeoutMs: 2000, tls: certs.pem });
  await until('the TLS agent', () => good.put('k', 'v'));
  t.equal(await good.get('k'), 'v', 'CA + client certificate: reads and writes');
  t.match(good.description, /^consul\+https:/, 'the description says HTTPS');
  const noCa = await openStore(`consul://127.0.0.1:${port}/tls`, {
    timeoutMs: 2000,
    tls: { cert: certs.pem.cert, key: certs.pem.key },
  });
  await t.rejects(
    noCa.get('k'),
    { code: 'SHOAL_STORE_AUTH', recoverable: false },
    'an unknown server CA is a TLS (auth) error',
  );
  const noClientCert = await openStore(`consul://127.0.0.1:${port}/tls`, {
    timeoutMs: 2000,
    tls: { ca: certs.pem.ca },
  });
  await t.rejects(noClientCert.get('k'), 'without a client certificate the server refuses');
  const insecure = await openStore(`consul://127.0.0.1:${port}/tls`, {
    timeoutMs: 2000,
    tls: { cert: certs.pem.cert, key: certs.pem.key, insecure: true },
  });
  t.equal(await insecure.get('k'), 'v', 'insecure skips server verification');
  await Promise.all([good.close(), noCa.close(), noClientCert.close(), insecure.close()]);
});

t.test(
  'a Consul with the default session_ttl_min (10 s): leases and locks use that minimum, with a warning',
  async (t) => {
    t.same(sessionTtlBounds("Invalid Session TTL '7500000000', must be between [10s=24h0m0s]"), {
      minMs: 10_000,
      maxMs: 86_400_000,
    });
    t.equal(sessionTtlBounds('Unexpected response code: 500'), undefined);
    const port = await throwawayConsul(t, false, '');
    const { log: logger, lines } = captureLog('warn');
    const s = await openStore(`consul://127.0.0.1:${port}/ttlmin`, { timeoutMs: 2000, logger });
    await until('the default agent', () => s.put('ready', '1'));
    const lease = await s.lease(3000);
    await lease.put('held', 'v');
    t.equal(await s.get('held'), 'v', 'a lease with --ttl 3s works on a default Consul');
    const sessions = (await (await fetch(`http://127.0.0.1:${port}/v1/session/list`)).json()) as { TTL: string }[];
    t.same(
      sessions.map((x) => parseDuration(x.TTL)),
      [10_000],
      'the session took the server minimum',
    );
    t.equal(
      lines.filter((l) => String(l.msg).includes('session_ttl_min')).length,
      1,
      'one warning, naming session_ttl_min',
    );
    const lock = await s.lock('lk', 'me', { ttlMs: 3000 });
    t.equal(await s.get('lk'), 'me', 'a lock too, without another refusal');
    await lock.release();
    t.equal(lines.filter((l) => String(l.msg).includes('session_ttl_min')).length, 1, 'the minimum is remembered');
    await lease.release();
    t.equal(await s.get('held'), undefined);
    await s.close();
  },
);

t.test('several hosts: an unreachable one hands each call to the next, which stays current', async (t) => {
  const dead = await freePort();
  const { log: logger, lines } = captureLog('warn');
  const p = `multi-${randomUUID().slice(0, 8)}`;
  const s = await openStore(`consul://127.0.0.1:${dead},${main.address}/${p}`, { timeoutMs: 2000, logger });
  t.teardown(async () => {
    await s.deleteTree('').catch(() => {});
    await s.close();
  });
  await s.put('k', 'v');
  t.equal(await s.get('k'), 'v', 'reads and writes through the second host');
  t.equal(await (await fetch(`http://${main.address}/v1/kv/${p}/k?raw`)).text(), 'v', 'the key is in that Consul');
  t.equal(
    lines.filter((l) => String(l.msg).includes('trying the next one')).length,
    1,
    'one hand-over, then the second host stays current',
  );
  const lease = await s.lease(3000);
  await lease.put('leased', 'x');
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const first = await s.watch('', { signal: ac.signal })[Symbol.asyncIterator]().next();
  t.same(
    (first.value as { entries: { key: string }[] }).entries.map((e) => e.key),
    ['k', 'leased'],
    'watch and lease through it too',
  );
  await lease.release();
  const none = await openStore(`consul://127.0.0.1:${dead},127.0.0.1:${await freePort()}/${p}`, { timeoutMs: 1000 });
  await t.rejects(
    none.get('k'),
    { code: 'SHOAL_STORE_UNAVAILABLE', recoverable: true },
    'every host down: unavailable, recoverable',
  );
  await none.close();
});
