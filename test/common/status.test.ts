/** agents/common/status.ts over real HTTP: /healthz 200/503 with the health JSON, /metrics from the registry, 404, 405. */
import t from 'tap';
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

t.test('close() returns promptly even with a keep-alive client connected', async (t) => {
  const s = await startStatusServer('127.0.0.1:0', () => ({ ok: true }), new Registry());
  const r = await fetch(`http://${s.address}/healthz`);
  await r.json();
  const at = Date.now();
  await s.close();
  t.ok(Date.now() - at < 2000, `closed in ${Date.now() - at} ms`);
});
