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
import { nextPass, rand, startRegistrator } from './helpers.js';
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

  const core = await reg.core();
  mark = Date.now();
  await chaos.stop();
  t.comment(`chaos agent stopped in ${Date.now() - mark} ms`);
  const failed = nextPass(core, (p) => !p.ok);
  await e.cli(['rm', '-f', b]);
  await run(c);
  await failed; // the changes met the outage: a write to the agent failed
  t.ok(core.stats.errors >= 1, 'a sync pass failed during the outage');
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
    // a TTL check of the same TTL that nobody refreshes, registered after ours was last written
    const canary = await canaryCheck(addr, `shoal-canary-${s}`);
    t.teardown(() => canary.remove());
    await until('canary critical', async () => ((await canary.status()) === 'critical' ? true : undefined), 30_000);
    t.equal((await check())?.Status, 'passing', 'still passing after a TTL that expired the canary (refreshed)');
    t.equal(await reg.stop(), 0);
    // ours was last refreshed before the stop returned: it goes critical no later than a canary registered now
    const after = await canaryCheck(addr, `shoal-canary2-${s}`);
    t.teardown(() => after.remove());
    await until('canary critical', async () => ((await after.status()) === 'critical' ? true : undefined), 30_000);
    t.equal((await check())?.Status, 'critical', 'critical within the TTL after the last refresh (TTL 3 s)');
    // Consul: DeregisterCriticalServiceAfter's 1m minimum + its 30 s reaper; generous, not a measure
    await until(
      'service removed by consul',
      async () => ((await servicesOf(addr, [host])).length === 0 ? true : undefined),
      150_000,
    );
    t.pass('removed by the agent');
  },
);

/** A passing TTL check of 3 s on the agent, never refreshed. */
async function canaryCheck(addr: string, id: string) {
  await agentApi(addr, 'PUT', '/v1/agent/check/register', { ID: id, Name: id, TTL: '3s', Status: 'passing' });
  return {
    status: async () => ((await agentApi(addr, 'GET', '/v1/agent/checks')) as Record<string, Json>)[id]?.Status,
    remove: () => agentApi(addr, 'PUT', `/v1/agent/check/deregister/${id}`).catch(() => undefined),
  };
}
