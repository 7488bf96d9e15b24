/**
 * shoal registrator --status-addr against the shared Consul and engine 1: /healthz 200 with JSON once the
 * first sync is done, /metrics counts the put of a container's published port, the start line names the
 * version; with nothing listening at the store address, /healthz is 503.
 */
import t from 'tap';
import { engine, busyboxImage } from '../harness/engines.js';
import { service } from '../harness/services.js';
import { freePort } from '../harness/proxies.js';
import { captureLog, sample, until } from '../helpers/capture-log.js';
import { rand, readerFor, startRegistrator, waitEntries } from './helpers.js';

t.test('healthy: healthz 200, metrics count puts, start line has the version', async (t) => {
  const e = await engine(1);
  const image = await busyboxImage(e);
  const consul = await service('consul');
  const s = rand();
  const host = `st-${s}`;
  const name = `shoal-status-${s}`;
  const uri = `consul://${consul.address}/shoaltest-status-${s}`;
  const store = await readerFor(uri);
  t.teardown(async () => {
    await e.cli(['rm', '-f', name], { reject: false });
    await store.deleteTree('').catch(() => undefined);
    await store.close();
  });
  await e.cli(['run', '-d', '--name', name, '-p', '80', image, 'httpd', '-f', '-p', '80']);
  const port = await freePort();
  const cap = captureLog();
  const run = startRegistrator(
    uri,
    { hostname: host, dockerHost: e.dockerHost, statusAddr: `127.0.0.1:${port}` },
    cap.log,
  );
  t.teardown(() => run.stop());
  await waitEntries(store, (kvs) => kvs.some((kv) => kv.key.includes(`${host}:${name}:80`)));
  const base = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${base}/healthz`)).status === 200, 20_000, 'healthz 200');
  const h = await fetch(`${base}/healthz`);
  t.equal(h.status, 200);
  t.match(await h.json(), { ok: true, lastSyncOk: true, storeConnected: true, fullSyncs: Number }, 'health JSON');
  const m = await (await fetch(`${base}/metrics`)).text();
  t.ok(
    (sample(m, 'shoal_registrator_puts_total') ?? 0) >= 1,
    `puts_total ${sample(m, 'shoal_registrator_puts_total')} >= 1`,
  );
  t.ok((sample(m, 'shoal_registrator_full_syncs_total') ?? 0) >= 1, 'full_syncs_total >= 1');
  t.equal(sample(m, 'shoal_registrator_errors_total'), 0, 'no errors');
  t.equal(sample(m, 'shoal_registrator_store_connected'), 1);
  t.equal(sample(m, 'shoal_registrator_last_sync_ok'), 1);
  for (const n of ['container_syncs_total', 'deletes_total', 'docker_events_total', 'event_stream_reconnects_total'])
    t.not(sample(m, `shoal_registrator_${n}`), undefined, `exposes shoal_registrator_${n}`);
  const before = sample(m, 'shoal_registrator_deletes_total') ?? 0;
  await e.cli(['rm', '-f', name]);
  await waitEntries(store, (kvs) => !kvs.some((kv) => kv.key.includes(`${host}:${name}:80`)));
  await until(
    async () =>
      (sample(await (await fetch(`${base}/metrics`)).text(), 'shoal_registrator_deletes_total') ?? 0) > before,
    10_000,
    'deletes_total grows',
  );
  t.pass('deletes_total grew after the container went away');
  const events = sample(await (await fetch(`${base}/metrics`)).text(), 'shoal_registrator_docker_events_total') ?? 0;
  t.ok(events >= 1, `docker_events_total ${events} >= 1`);
  const start = cap.find('registrator started');
  t.match(
    start,
    { version: /^\d+\.\d+\.\d+/, registry: String, dockerHost: host, docker: String, statusAddr: `127.0.0.1:${port}` },
    'one start line with version, store, engine, key flags',
  );
});

t.test('unhealthy: nothing listens at the store address -> healthz 503', async (t) => {
  const e = await engine(1);
  const s = rand();
  const port = await freePort();
  const dead = await freePort();
  const run = startRegistrator(`consul://127.0.0.1:${dead}/shoaltest-status-${s}`, {
    hostname: `st-${s}`,
    dockerHost: e.dockerHost,
    statusAddr: `127.0.0.1:${port}`,
  });
  t.teardown(() => run.stop());
  await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status > 0, 10_000, 'status server up');
  const h = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.equal(h.status, 503);
  t.match(await h.json(), { ok: false, storeConnected: false, lastSyncOk: null });
  const m = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  t.equal(sample(m, 'shoal_registrator_store_connected'), 0);
  t.equal(sample(m, 'shoal_registrator_puts_total'), 0);
});
