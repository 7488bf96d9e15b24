/**
 * shoal join --status-addr against the shared Consul and engine 1: /healthz 200 with JSON while it
 * advertises, /metrics counts beats and the advertisement, the start line names the version; pointed at a
 * Docker socket that does not exist (--check-engine), /healthz is 503 and the address is not advertised.
 */
import t from 'tap';
import { engine } from '../harness/engines.js';
import { service } from '../harness/services.js';
import { freePort } from '../harness/proxies.js';
import { captureLog, sample, until } from '../helpers/capture-log.js';
import { rand, readerFor, startJoin, waitEntries } from '../registrator/helpers.js';

t.test('healthy: healthz 200, metrics count beats and the advertisement, start line has the version', async (t) => {
  const e = await engine(1);
  const consul = await service('consul');
  const s = rand();
  const uri = `consul://${consul.address}/shoaltest-jstatus-${s}`;
  const store = await readerFor(uri);
  t.teardown(async () => {
    await store.deleteTree('').catch(() => undefined);
    await store.close();
  });
  const port = await freePort();
  const cap = captureLog();
  const run = startJoin(
    uri,
    { addr: e.tcp, heartbeat: '500ms', ttl: '3s', dockerHost: e.dockerHost, statusAddr: `127.0.0.1:${port}` },
    cap.log,
  );
  t.teardown(() => run.stop());
  await waitEntries(store, (kvs) => kvs.some((kv) => kv.key === e.tcp));
  const base = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${base}/healthz`)).status === 200, 10_000, 'healthz 200');
  const h = await fetch(`${base}/healthz`);
  t.equal(h.status, 200);
  t.match(await h.json(), { ok: true, addr: e.tcp, lastBeatOk: true, engineUp: true, errors: 0 }, 'health JSON');
  await until(
    async () => (sample(await (await fetch(`${base}/metrics`)).text(), 'shoal_join_beats_total') ?? 0) >= 2,
    10_000,
    'two beats',
  );
  const m = await (await fetch(`${base}/metrics`)).text();
  t.ok((sample(m, 'shoal_join_beats_total') ?? 0) >= 2, `beats_total ${sample(m, 'shoal_join_beats_total')} >= 2`);
  t.equal(sample(m, 'shoal_join_advertised_total'), 1, 'advertised once');
  t.equal(sample(m, 'shoal_join_refresh_stopped_total'), 0, 'refresh never stopped');
  t.equal(sample(m, 'shoal_join_expired_total'), 0, 'never expired');
  t.equal(sample(m, 'shoal_join_lapsing'), 0, 'not lapsing');
  t.equal(sample(m, 'shoal_join_errors_total'), 0);
  t.equal(sample(m, 'shoal_join_last_beat_ok'), 1);
  t.equal(sample(m, 'shoal_join_engine_up'), 1);
  t.match(
    cap.find('join started'),
    {
      version: /^\d+\.\d+\.\d+/,
      discovery: String,
      addr: e.tcp,
      docker: e.dockerHost,
      checkEngine: true,
      heartbeatMs: 500,
      statusAddr: `127.0.0.1:${port}`,
    },
    'one start line with version, store, engine, key flags',
  );
});

t.test('unhealthy: a Docker socket that does not exist -> healthz 503, not advertised', async (t) => {
  const consul = await service('consul');
  const s = rand();
  const uri = `consul://${consul.address}/shoaltest-jstatus-${s}`;
  const store = await readerFor(uri);
  t.teardown(async () => {
    await store.deleteTree('').catch(() => undefined);
    await store.close();
  });
  const port = await freePort();
  const run = startJoin(uri, {
    addr: '127.0.1.1:2375',
    heartbeat: '500ms',
    ttl: '3s',
    dockerHost: `unix:///run/shoal-test/nothing-${s}.sock`,
    statusAddr: `127.0.0.1:${port}`,
  });
  t.teardown(() => run.stop());
  const base = `http://127.0.0.1:${port}`;
  await until(
    async () => (sample(await (await fetch(`${base}/metrics`)).text(), 'shoal_join_beats_total') ?? 0) >= 1,
    10_000,
    'a beat',
  );
  const h = await fetch(`${base}/healthz`);
  t.equal(h.status, 503);
  t.match(await h.json(), { ok: false, lastBeatOk: true, engineUp: false });
  const m = await (await fetch(`${base}/metrics`)).text();
  t.equal(sample(m, 'shoal_join_engine_up'), 0);
  t.equal(sample(m, 'shoal_join_advertised_total'), 0);
  t.same(await store.list(''), [], 'nothing advertised');
});

t.test('unhealthy: nothing listens at the store address -> healthz 503 before any beat', async (t) => {
  const e = await engine(1);
  const port = await freePort();
  const dead = await freePort();
  const cap = captureLog('warn');
  const run = startJoin(
    `consul://127.0.0.1:${dead}/shoaltest-jstatus-${rand()}`,
    { addr: e.tcp, heartbeat: '500ms', ttl: '3s', dockerHost: e.dockerHost, statusAddr: `127.0.0.1:${port}` },
    cap.log,
  );
  t.teardown(() => run.stop());
  // join has tried the store and failed twice (and keeps trying): it has had its chance to beat
  const failures = () => cap.lines.filter((l) => /failed; retrying$|^heartbeat failed$/.test(String(l.msg))).length;
  await until(() => failures() >= 2, 30_000, 'two failed attempts to reach the store');
  const h = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.equal(h.status, 503);
  t.match(await h.json(), { ok: false });
});
