/** agents/common/status.ts over real HTTP: /healthz 200/503 with the health JSON, /metrics from the registry, 404, 405. */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { Counter, Registry } from 'prom-client';
import { startStatusServer } from '../../agents/common/status.js';

t.test('healthz follows the health function, metrics serve the given registry, the rest is 404', async (t) => {
  const registry = new Registry();
  const c = new Counter({ name: 'shoal_test_things_total', help: 'things', registers: [registry] });
  c.inc(3);
  let health = { ok: true, detail: 'fine' };
  const s = await startStatusServer('127.0.0.1:0', () => health, registry);
  t.teardown(() => s.close());
  t.match(s.address, /^127\.0\.0\.1:\d+$/, 'reports the bound address');
  const base = `http://${s.address}`;

  let r = await fetch(`${base}/healthz`);
  t.equal(r.status, 200, 'ok -> 200');
  t.match(r.headers.get('content-type'), /application\/json/);
  t.same(await r.json(), { ok: true, detail: 'fine' }, 'the health JSON as given');

  health = { ok: false, detail: 'store down' };
  r = await fetch(`${base}/healthz?x=1`);
  t.equal(r.status, 503, 'not ok -> 503');
  t.same(await r.json(), { ok: false, detail: 'store down' });

  r = await fetch(`${base}/metrics`);
  t.equal(r.status, 200);
  t.match(r.headers.get('content-type'), /text\/plain/);
  t.match(await r.text(), /^shoal_test_things_total 3$/m, 'the registry sample');

  r = await fetch(`${base}/`);
  t.equal(r.status, 404, 'anything else 404');
  await r.arrayBuffer();
  r = await fetch(`${base}/healthz`, { method: 'POST' });
  t.equal(r.status, 405, 'only GET/HEAD');
  await r.arrayBuffer();
});

t.test('a throwing health function answers 503, a taken port rejects', async (t) => {
  const registry = new Registry();
  const s = await startStatusServer(
    '127.0.0.1:0',
    () => {
      throw new Error('boom');
    },
    registry,
  );
  t.teardown(() => s.close());
  const r = await fetch(`http://${s.address}/healthz`);
  t.equal(r.status, 503);
  t.match(await r.json(), { ok: false, error: /boom/ });
  await t.rejects(
    startStatusServer(s.address, () => ({ ok: true }), registry),
    { code: 'EADDRINUSE' },
    'port in use',
  );
});

t.test('close() ends open client connections instead of waiting for them', async (t) => {
  const s = await startStatusServer('127.0.0.1:0', () => ({ ok: true }), new Registry());
  const [host, port] = [s.address.slice(0, s.address.lastIndexOf(':')), Number(s.address.split(':').pop())];
  // one connection idle after an answer (keep-alive), one in the middle of a request that never ends: the
  // server would wait for the second for minutes (its headers timeout) unless close() ends it
  const idle = net.connect(port, host).on('error', () => {}); // a reset is how the server may end it
  const answered = new Promise<void>((r) => idle.once('data', () => r()));
  idle.write(`GET /healthz HTTP/1.1\r\nHost: ${s.address}\r\nConnection: keep-alive\r\n\r\n`);
  await answered;
  const busy = net.connect(port, host).on('error', () => {});
  await once(busy, 'connect');
  busy.write(`GET /healthz HTTP/1.1\r\nHost: ${s.address}\r\n`); // headers never finished
  const ended = Promise.all([idle, busy].map((c) => new Promise((r) => c.once('close', r))));
  const closed = s.close();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all([closed, ended]),
    new Promise(
      (_, reject) => (timer = setTimeout(() => reject(new Error('close() still waits for a client')), 30_000)),
    ),
  ]).finally(() => clearTimeout(timer));
  t.ok(idle.destroyed && busy.destroyed, 'both client connections were ended by the server, and close() returned');
});
