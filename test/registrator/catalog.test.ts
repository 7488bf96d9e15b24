/**
 * shoal registrator consul-catalog:// on a real engine (6) and the shared Consul agent: services appear in the
 * catalog with address/port/tags/meta, an HTTP check on busybox httpd goes passing, stop/rm deregister,
 * this host's stale services go at start while another host's stay, hostile names and refused script checks
 * are skipped. Every test uses its own --hostname (Meta shoal-host) and removes what it registered.
 */
import t from 'tap';
import { holdForProcess } from '../harness/proc.js';
import { busyboxImage, engine } from '../harness/engines.js';
import { service } from '../harness/services.js';
import { rand, startRegistrator } from './helpers.js';
import { agentApi, capturingLogger, deregisterHosts, servicesOf, until, type Json } from './catalog-helpers.js';

const E = 6;
// every container on engine 6 is registered by this file's registrators: the engine is this file's alone
await holdForProcess('engine-6');
const HTTPD = ['sh', '-c', 'echo ok > /tmp/index.html && exec httpd -f -p 80 -h /tmp'];

t.test('consul-catalog registrator', async (t) => {
  const e = await engine(E);
  const image = await busyboxImage(e);
  const addr = (await service('consul')).address;
  const s = rand();
  const host = `dh6-${s}`;
  const other = `other-${s}`;
  const names: string[] = [];
  const run = async (name: string, args: string[], cmd: string[] = HTTPD) => {
    names.push(name);
    await e.cli(['run', '-d', '--name', name, ...args, image, ...cmd]);
  };
  t.teardown(async () => {
    if (names.length) await e.cli(['rm', '-f', ...names], { reject: false });
    await deregisterHosts(addr, [host, other]);
  });
  const catalog = async (name: string) => (await agentApi(addr, 'GET', `/v1/catalog/service/${name}`)) as Json[];

  // before start: a stale service of this host (its container is gone) and one of another host
  const ghostId = `${host}:ghost-${s}:80`;
  const foreignId = `${other}:web-${s}:80`;
  await agentApi(addr, 'PUT', '/v1/agent/service/register', {
    ID: ghostId,
    Name: `ghost-${s}`,
    Address: '127.0.1.6',
    Port: 1,
    Meta: { 'shoal-host': host },
  });
  await agentApi(addr, 'PUT', '/v1/agent/service/register', {
    ID: foreignId,
    Name: `web-${s}`,
    Address: '127.0.1.9',
    Port: 9,
    Meta: { 'shoal-host': other },
  });

  const web = `web-${s}`;
  await run(web, [
    '-p',
    '80',
    '-e',
    `SERVICE_NAME=web-${s}`,
    '-e',
    'SERVICE_TAGS=blue,v\\,2',
    '-e',
    'SERVICE_VERSION=1.2',
    '-e',
    'SERVICE_CHECK_HTTP=/index.html',
    '-e',
    'SERVICE_CHECK_INTERVAL=1s',
    '-e',
    'SERVICE_WEIRD.KEY=x',
  ]);
  const multi = `multi-${s}`;
  await run(multi, [
    '-p',
    '80',
    '-p',
    '81',
    '-e',
    `SERVICE_NAME=multi-${s}`,
    '-e',
    'SERVICE_81_NAME=admin-' + s,
    '-e',
    'SERVICE_81_CHECK_TCP=true',
    '-e',
    'SERVICE_CHECK_INTERVAL=1s',
  ]);
  const hostile = `hostile-${s}`;
  await run(hostile, ['-p', '80', '-e', `SERVICE_NAME=evil ${s};rm`]);
  const scripted = `script-${s}`;
  await run(scripted, ['-p', '80', '-e', `SERVICE_NAME=script-${s}`, '-e', 'SERVICE_CHECK_SCRIPT=true']);
  const port = async (name: string, p: string) =>
    Number((await e.cli(['port', name, p])).stdout.split('\n')[0]?.split(':').pop());

  const { log, lines } = capturingLogger();
  const reg = startRegistrator(
    'consul-catalog://' + addr,
    { dockerHost: e.dockerHost, hostname: host, tags: 'shoal' },
    log,
  );
  t.teardown(() => reg.stop());

  const entry = await until(
    'web in the catalog with our id',
    async () => (await catalog(web)).find((x) => x.ServiceID === `${host}:${web}:80`),
    40_000,
  );
  t.equal(entry.ServiceAddress, '127.0.1.6', 'address from the published binding');
  t.equal(entry.ServicePort, await port(web, '80/tcp'), 'published host port');
  t.same(entry.ServiceTags, ['shoal', 'blue', 'v,2'], '--tags then SERVICE_TAGS, escapes kept');
  const meta = entry.ServiceMeta as Record<string, string>;
  t.equal(meta.version, '1.2', 'SERVICE_VERSION as Meta');
  t.equal(meta['shoal-host'], host, 'host marker');
  t.equal(meta['weird.key'], undefined, 'invalid meta key skipped');
  t.ok(
    lines.some((l) => /weird\.key/.test(String(l.msg))),
    'skipped meta key logged',
  );

  // the foreign service with the same name stays; the ghost of this host is gone
  await until('ghost removed', async () =>
    (await servicesOf(addr, [host])).some((x) => x.ID === ghostId) ? undefined : true,
  );
  t.ok(
    (await catalog(web)).some((x) => x.ServiceID === foreignId),
    "another host's service untouched",
  );

  // HTTP check on busybox httpd goes passing
  const checks = await until(
    'http check passing',
    async () => {
      const cs = (await agentApi(addr, 'GET', `/v1/health/checks/${web}`)) as Json[];
      const c = cs.find((x) => x.ServiceID === `${host}:${web}:80`);
      return c?.Status === 'passing' ? c : undefined;
    },
    30_000,
  );
  t.equal(checks.Type, 'http');

  // multiple ports: per-port name as given; the other port gets -<port> (name-suffix multi, the catalog default)
  const mine = async () => Object.fromEntries((await servicesOf(addr, [host])).map((x) => [x.ID as string, x]));
  const all = await until('multi registered', async () => {
    const m = await mine();
    return m[`${host}:${multi}:80`] && m[`${host}:${multi}:81`] ? m : undefined;
  });
  t.equal(all[`${host}:${multi}:80`]?.Service, `multi-${s}-80`);
  t.equal(all[`${host}:${multi}:81`]?.Service, `admin-${s}`);
  const tcp = await until('tcp check passing on 81? (nothing listens: critical)', async () => {
    const cs = (await agentApi(addr, 'GET', `/v1/health/checks/admin-${s}`)) as Json[];
    return cs.find((x) => x.ServiceID === `${host}:${multi}:81`);
  });
  t.equal(tcp.Type, 'tcp', 'SERVICE_81_CHECK_TCP gives a TCP check on that port only');
  const httpOn80 = (await agentApi(addr, 'GET', `/v1/health/checks/multi-${s}-80`)) as Json[];
  t.same(
    httpOn80.filter((x) => x.ServiceID === `${host}:${multi}:80`),
    [],
    'port 80 has no check',
  );

  // hostile name skipped; script check refused by Consul (scripts disabled), reported, service skipped
  t.notOk(
    Object.values(all).some((x) => String(x.Service).includes('evil')),
    'hostile name never registered',
  );
  t.notOk(all[`${host}:${scripted}:80`], 'service with a refused script check not registered');
  const refused = await until('refusal logged', async () =>
    lines.find(
      (l) =>
        l.msg === 'consul refused the service registration; skipped' &&
        String(l.consul).includes('Scripts are disabled'),
    ),
  );
  t.equal(refused.service, `script-${s}`);
  t.same(
    Object.keys(all).sort(),
    [`${host}:${multi}:80`, `${host}:${multi}:81`, `${host}:${web}:80`].sort(),
    'exactly web, multi:80, multi:81 of this host',
  );

  // stop deregisters; rm deregisters
  await e.cli(['stop', '-t', '1', web]);
  await until('web gone', async () =>
    (await catalog(web)).some((x) => x.ServiceID === `${host}:${web}:80`) ? undefined : true,
  );
  await e.cli(['rm', '-f', multi]);
  await until('multi gone', async () => (Object.keys(await mine()).length === 0 ? true : undefined));
  t.ok(
    (await catalog(web)).some((x) => x.ServiceID === foreignId),
    "another host's service still there",
  );
  t.equal(await reg.stop(), 0);
});

t.test(
  'consul-catalog --internal: udp, SERVICE_ID, SERVICE_IGNORE; a restarted registrator re-registers nothing',
  async (t) => {
    const e = await engine(E);
    const image = await busyboxImage(e);
    const addr = (await service('consul')).address;
    const s = rand();
    const host = `dh6i-${s}`;
    const names = [`u-${s}`, `id-${s}`, `ign-${s}`];
    t.teardown(async () => {
      await e.cli(['rm', '-f', ...names], { reject: false });
      await deregisterHosts(addr, [host]);
    });
    await e.cli([
      'run',
      '-d',
      '--name',
      names[0]!,
      '-p',
      '5353/udp',
      '-e',
      `SERVICE_NAME=dns-${s}`,
      '-e',
      'SERVICE_CHECK_TCP=true',
      image,
      'sleep',
      '600',
    ]);
    await e.cli([
      'run',
      '-d',
      '--name',
      names[1]!,
      '-p',
      '80',
      '-e',
      `SERVICE_ID=custom-${s}`,
      '-e',
      `SERVICE_NAME=idsvc-${s}`,
      image,
      ...HTTPD,
    ]);
    await e.cli([
      'run',
      '-d',
      '--name',
      names[2]!,
      '-p',
      '80',
      '-e',
      'SERVICE_IGNORE=1',
      '-e',
      `SERVICE_NAME=ign-${s}`,
      image,
      ...HTTPD,
    ]);
    const ipOf = async (n: string) =>
      (await e.cli(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', n])).stdout.trim();
    const first = capturingLogger();
    let reg = startRegistrator(
      'consul-catalog://' + addr,
      { dockerHost: e.dockerHost, hostname: host, internal: true },
      first.log,
    );
    t.teardown(() => reg.stop());
    const byId = async () => Object.fromEntries((await servicesOf(addr, [host])).map((x) => [x.ID as string, x]));
    const got = await until('two services', async () => {
      const m = await byId();
      return Object.keys(m).length === 2 ? m : undefined;
    });
    const udp = got[`${host}:${names[0]}:5353:udp`];
    t.ok(udp, 'udp service id ends in :udp');
    t.equal(udp?.Service, `dns-${s}`);
    t.equal(udp?.Address, await ipOf(names[0]!), '--internal: container IP');
    t.equal(udp?.Port, 5353, '--internal: exposed port');
    t.same(udp?.Tags, ['udp']);
    t.ok(
      first.lines.some((l) => l.msg === 'SERVICE_CHECK_TCP ignored on a udp port'),
      'tcp check on udp refused with a warning',
    );
    const custom = got[`${host}:custom-${s}`];
    t.equal(custom?.Service, `idsvc-${s}`, 'SERVICE_ID (prefixed with the host)');
    t.equal(custom?.Address, await ipOf(names[1]!));
    t.equal(custom?.Port, 80);
    t.notOk(
      Object.values(got).some((x) => x.Service === `ign-${s}`),
      'SERVICE_IGNORE',
    );
    t.equal(await reg.stop(), 0);

    const second = capturingLogger();
    reg = startRegistrator(
      'consul-catalog://' + addr,
      { dockerHost: e.dockerHost, hostname: host, internal: true },
      second.log,
    );
    const done = await until('first resync of the second run', async () =>
      second.lines.find((l) => l.msg === 'full resync done'),
    );
    t.equal(done.put, 0, 'nothing re-registered: the views in the agent match');
    t.equal(done.delete, 0, 'nothing deregistered');
    t.equal(Object.keys(await byId()).length, 2);
    t.equal(await reg.stop(), 0);
  },
);
