/**
 * Catalog mode under failure (engine 6): with --ttl a service whose registrator stops refreshing goes critical
 * within the TTL and is then removed by Consul (DeregisterCriticalServiceAfter, Consul's 1m minimum + its 30s
 * reaper); a Consul agent (the chaos instance) restarted mid-run, with containers removed and started during
 * the outage, is caught up with and the daemon never exits; a service removed behind its back comes back.
 */
import t from 'tap';
import { holdForProcess } from '../harness/proc.js';
import { busyboxImage, engine } from '../harness/engines.js';
import { service } from '../harness/services.js';
import { rand, startRegistrator } from './helpers.js';
import { agentApi, deregisterHosts, servicesOf, until, type Json } from './catalog-helpers.js';

const E = 6;
// every container on engine 6 is registered by this file's registrators: the engine is this file's alone
await holdForProcess('engine-6');
const HTTPD = ['httpd', '-f', '-p', '80'];

t.test('consul agent restarted mid-run: services restored, changes made during the outage applied', async (t) => {
  const e = await engine(E);
  const image = await busyboxImage(e);
  const chaos = await service('consul', 'chaos');
  const addr = chaos.address;
  const s = rand();
  let mark = 0;
  const host = `dh6c-${s}`;
  const names: string[] = [];
  const run = async (name: string) => {
    names.push(name);
    await e.cli(['run', '-d', '--name', name, '-p', '80', image, ...HTTPD]);
  };
  t.teardown(async () => {
    if (names.length) await e.cli(['rm', '-f', ...names], { reject: false });
    await chaos.start();
    await deregisterHosts(addr, [host]);
  });
  const ids = async () => (await servicesOf(addr, [host])).map((x) => x.ID as string).sort();
  const a = `a-${s}`;
  const b = `b-${s}`;
  const c = `c-${s}`;
  await run(a);
  await run(b);
  const reg = startRegistrator('consul-catalog://' + addr, { dockerHost: e.dockerHost, hostname: host });
  t.teardown(() => reg.stop());
  const two = [`${host}:${a}:80`, `${host}:${b}:80`].sort();
  await until('a and b registered', async () =>
    JSON.stringify(await ids()) === JSON.stringify(two) ? true : undefined,
  );
  t.pass('a and b registered');

  mark = Date.now();
  await chaos.stop();
  t.comment(`chaos agent stopped in ${Date.now() - mark} ms`);
  await e.cli(['rm', '-f', b]);
  await run(c);
  await new Promise((r) => setTimeout(r, 2000));
  t.notOk(reg.settled(), 'registrator still running during the outage');
  mark = Date.now();
  await chaos.start();
  t.comment(`chaos agent restarted in ${Date.now() - mark} ms`);
  const back = Date.now();
  const want = [`${host}:${a}:80`, `${host}:${c}:80`].sort();
  const got = await until(
    'caught up after the agent restart',
    async () => (JSON.stringify(await ids()) === JSON.stringify(want) ? true : undefined),
    60_000,
  ).catch(async (err) => String(err) + ' ' + JSON.stringify(await ids().catch(() => [])));
  t.equal(got, true, 'exactly a and c after the outage');
  t.comment(`caught up ${Date.now() - back} ms after the agent answered again`);

  // a service of ours removed behind our back, no container change (so no failed write): only the agent
  // watch notices (the chaos agent keeps services across restarts, so a quiet restart would not show it)
  await agentApi(addr, 'PUT', `/v1/agent/service/deregister/${encodeURIComponent(`${host}:${a}:80`)}`);
  const removed = Date.now();
  t.same(await ids(), [`${host}:${c}:80`], 'a removed behind the registrator');
  const got2 = await until(
    'restored by the watch',
    async () => (JSON.stringify(await ids()) === JSON.stringify(want) ? true : undefined),
    30_000,
  ).catch((err) => String(err));
  t.equal(got2, true, 'a restored by the agent watch');
  t.comment(`restored ${Date.now() - removed} ms after it was removed (watch every 10 s)`);
  t.notOk(reg.settled(), 'registrator never exited');
  t.equal(await reg.stop(), 0);
});

t.test(
  '--ttl: refreshed while running; critical within the TTL after the registrator stops; then removed',
  async (t) => {
    const e = await engine(E);
    const image = await busyboxImage(e);
    const addr = (await service('consul')).address;
    const s = rand();
    const host = `dh6t-${s}`;
    const name = `ttl-${s}`;
    t.teardown(async () => {
      await e.cli(['rm', '-f', name], { reject: false });
      await deregisterHosts(addr, [host]);
    });
    await e.cli(['run', '-d', '--name', name, '-p', '80', image, ...HTTPD]);
    const reg = startRegistrator('consul-catalog://' + addr, {
      dockerHost: e.dockerHost,
      hostname: host,
      ttl: '3s',
      ttlRefresh: '1s',
    });
    t.teardown(() => reg.stop());
    const id = `${host}:${name}:80`;
    const check = async () =>
      ((await agentApi(addr, 'GET', '/v1/agent/checks')) as Record<string, Json>)[`shoal-ttl:${id}`];
    const first = await until('ttl check registered', check);
    t.equal(first.Status, 'passing', 'registered passing');
    await new Promise((r) => setTimeout(r, 5000));
    t.equal((await check())?.Status, 'passing', 'still passing after more than one TTL (refreshed)');
    t.equal(await reg.stop(), 0);
    const stopped = Date.now();
    await until('critical', async () => ((await check())?.Status === 'critical' ? true : undefined), 10_000);
    const criticalAfter = Date.now() - stopped;
    t.ok(criticalAfter <= 5000, `critical ${criticalAfter} ms after the last refresh stopped (TTL 3 s)`);
    await until(
      'service removed by consul',
      async () => ((await servicesOf(addr, [host])).length === 0 ? true : undefined),
      110_000,
    );
    const gone = Date.now() - stopped;
    t.comment(`service removed ${gone} ms after the registrator stopped (Consul: 1m minimum + 30s reaper)`);
    t.ok(gone <= 110_000, 'removed by the agent');
  },
);
