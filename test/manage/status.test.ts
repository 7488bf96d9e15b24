/**
 * shoal manage --status-addr over engine 1: /healthz 200 with JSON once the node is healthy, /metrics counts
 * nodes by health, created containers, placement failures and API requests by route/status; the start line
 * names the version. A manager whose only engine address has nothing listening answers /healthz 503.
 */
import t from 'tap';
import { busyboxImage, engine } from '../harness/engines.js';
import { freePort } from '../harness/proxies.js';
import { captureLog, sample, until } from '../helpers/capture-log.js';
import { startManager } from '../../agents/manage/manager.js';
import { IMAGE, cleanup, dockerCli, managerConfig, suffix, waitUntil } from './helpers.js';

t.test('healthy: healthz 200, metrics count creates, placement failures and requests', async (t) => {
  const e = await engine(1);
  await busyboxImage(e);
  const s = suffix();
  const prefix = `shoal-mstatus-${s}`;
  t.teardown(() => cleanup([e], prefix));
  const port = await freePort();
  const cap = captureLog();
  const manager = await startManager(managerConfig(`nodes://${e.tcp}`, { statusAddr: `127.0.0.1:${port}` }), cap.log);
  t.teardown(() => manager.stop());
  t.equal(manager.statusAddress, `127.0.0.1:${port}`);
  await waitUntil(() => manager.cluster.list().some((n) => n.health === 'healthy'), 20_000, 'engine 1 healthy');
  const base = `http://127.0.0.1:${port}`;
  const h = await fetch(`${base}/healthz`);
  t.equal(h.status, 200);
  t.match(
    await h.json(),
    { ok: true, listening: true, nodes: { healthy: 1, unhealthy: 0, pending: 0 } },
    'health JSON',
  );

  const host = manager.addresses[0] as string;
  await dockerCli(host, ['create', '--name', `${prefix}-a`, IMAGE, 'sleep', '60']);
  const bad = await dockerCli(
    host,
    ['create', '--name', `${prefix}-b`, '-e', 'constraint:zone==nowhere', IMAGE, 'sleep', '60'],
    { reject: false },
  );
  t.not(bad.exitCode, 0, 'an impossible constraint is refused');
  const m = await (await fetch(`${base}/metrics`)).text();
  t.equal(sample(m, 'shoal_manage_containers_created_total'), 1, 'one container created');
  t.equal(sample(m, 'shoal_manage_placement_failures_total'), 1, 'one placement failure');
  t.equal(sample(m, 'shoal_manage_nodes{health="healthy"}'), 1);
  t.equal(sample(m, 'shoal_manage_nodes{health="unhealthy"}'), 0);
  t.equal(sample(m, 'shoal_manage_listening'), 1);
  t.equal(
    sample(m, 'shoal_manage_api_requests_total{route="POST /containers/create",status="201"}'),
    1,
    'requests by route and status (201)',
  );
  t.equal(
    sample(m, 'shoal_manage_api_requests_total{route="POST /containers/create",status="500"}'),
    1,
    'requests by route and status (500)',
  );
  t.match(
    m,
    /shoal_manage_api_requests_total\{route="(?:GET|HEAD) \/_ping",status="200"\} \d+/,
    'the CLI ping counted',
  );
  t.match(
    cap.find('manager listening'),
    {
      version: /^\d+\.\d+\.\d+/,
      addresses: Array,
      discovery: `nodes://${e.tcp}`,
      strategy: 'spread',
      statusAddr: `127.0.0.1:${port}`,
    },
    'one start line with version, discovery and key flags',
  );
});

t.test('no healthy node: the only engine address has nothing listening -> healthz 503', async (t) => {
  const port = await freePort();
  const dead = await freePort();
  const manager = await startManager(
    managerConfig(`nodes://127.0.0.1:${dead}`, { statusAddr: `127.0.0.1:${port}`, failureRetry: 1 }),
    captureLog().log,
  );
  t.teardown(() => manager.stop());
  // never reached: it stays pending (as classic Swarm), its failures counted
  await waitUntil(() => manager.cluster.list().some((n) => n.failures > 0), 20_000, 'a failed refresh');
  const h = await fetch(`http://127.0.0.1:${port}/healthz`);
  t.equal(h.status, 503);
  t.match(await h.json(), { ok: false, listening: true, nodes: { healthy: 0, pending: 1 } });
  const m = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  t.equal(sample(m, 'shoal_manage_nodes{health="pending"}'), 1);
  await manager.stop();
  await t.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'status server closed with the manager');
});
