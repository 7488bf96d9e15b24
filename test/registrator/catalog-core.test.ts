/** Catalog mode mapping (Service -> Consul agent registration): literal fixtures. */
import t from 'tap';
import {
  catalogKey,
  catalogView,
  checksFor,
  encodeView,
  registrationFor,
  viewOfAgentService,
} from '../../agents/registrator/catalog.js';
import type { Service } from '../../agents/registrator/service.js';

const svc: Service = {
  id: 'dh6:web1:80',
  name: 'web',
  ip: '127.0.1.6',
  port: 32768,
  containerPort: 80,
  protocol: 'tcp',
  tags: ['prod', 'edge'],
  attrs: { version: '1.2', check_http: '/health', check_interval: '5s' },
  containerId: 'c1',
  containerName: 'web1',
  dockerHost: 'dh6',
};

t.test('view: ID, Name, Address, Port, Tags, Meta with host marker and checks hash', async (t) => {
  const { view, warnings } = catalogView(svc, { ttlMs: 0 });
  t.same(warnings, []);
  t.equal(view.ID, 'dh6:web1:80');
  t.equal(view.Name, 'web');
  t.equal(view.Address, '127.0.1.6');
  t.equal(view.Port, 32768);
  t.same(view.Tags, ['prod', 'edge']);
  t.same(Object.keys(view.Meta), ['check_http', 'check_interval', 'shoal-checks', 'shoal-host', 'version']);
  t.equal(view.Meta['shoal-host'], 'dh6');
  t.match(view.Meta['shoal-checks'], /^[0-9a-f]{16}$/);
  t.equal(catalogKey(view), 'web/dh6:web1:80');
});

t.test('registration body: HTTP check on the service address with interval and timeout', async (t) => {
  const { view } = catalogView(
    { ...svc, attrs: { check_http: 'health', check_interval: '5s', check_timeout: '2s' } },
    { ttlMs: 0 },
  );
  const body = registrationFor(view, { ttlMs: 0 });
  t.same(body.Checks, [{ Name: 'HTTP /health', HTTP: 'http://127.0.1.6:32768/health', Interval: '5s', Timeout: '2s' }]);
  t.equal(body.ID, view.ID);
});

t.test('checks: tcp, ttl, script, default interval 10s, IPv6, udp skips http/tcp', async (t) => {
  const v = (meta: Record<string, string>, extra: Partial<{ Address: string; ID: string; Tags: string[] }> = {}) => ({
    ID: 'h:c:80',
    Name: 'n',
    Address: '10.0.0.1',
    Port: 80,
    Tags: [],
    Meta: meta,
    ...extra,
  });
  t.same(checksFor(v({ check_tcp: 'true' }), { ttlMs: 0 }).checks, [
    { Name: 'TCP 10.0.0.1:80', TCP: '10.0.0.1:80', Interval: '10s' },
  ]);
  t.same(checksFor(v({ check_tcp: 'false' }), { ttlMs: 0 }).checks, []);
  t.same(checksFor(v({ check_ttl: '30s' }), { ttlMs: 0 }).checks, [{ Name: 'TTL 30s', TTL: '30s' }]);
  t.same(checksFor(v({ check_script: 'nc -z $SERVICE_IP $SERVICE_PORT' }), { ttlMs: 0 }).checks, [
    { Name: 'script', Args: ['/bin/sh', '-c', 'nc -z 10.0.0.1 80'], Interval: '10s' },
  ]);
  t.same(checksFor(v({ check_http: '/' }, { Address: 'fd00::5' }), { ttlMs: 0 }).checks, [
    { Name: 'HTTP /', HTTP: 'http://[fd00::5]:80/', Interval: '10s' },
  ]);
  const udp = checksFor(v({ check_http: '/', check_tcp: '1' }, { ID: 'h:c:53:udp', Tags: ['udp'] }), { ttlMs: 0 });
  t.same(udp.checks, []);
  t.equal(udp.warnings.length, 2);
  const bad = checksFor(v({ check_tcp: '1', check_interval: 'soon' }), { ttlMs: 0 });
  t.same(bad.checks, [{ Name: 'TCP 10.0.0.1:80', TCP: '10.0.0.1:80', Interval: '10s' }]);
  t.match(bad.warnings[0], /SERVICE_CHECK_INTERVAL "soon"/);
});

t.test("--ttl adds a passing TTL check with deregister-after (at least Consul's 1m minimum)", async (t) => {
  const { view } = catalogView({ ...svc, attrs: {} }, { ttlMs: 3000 });
  t.same(registrationFor(view, { ttlMs: 3000 }).Checks, [
    {
      CheckID: 'shoal-ttl:dh6:web1:80',
      Name: 'shoal registrator alive',
      TTL: '3s',
      Status: 'passing',
      DeregisterCriticalServiceAfter: '1m',
    },
  ]);
  t.equal(registrationFor(view, { ttlMs: 120_000 }).Checks[0]?.DeregisterCriticalServiceAfter, '2m');
  // the checks hash makes a --ttl change visible as a changed view
  t.not(catalogView({ ...svc, attrs: {} }, { ttlMs: 0 }).view.Meta['shoal-checks'], view.Meta['shoal-checks']);
});

t.test('meta keys Consul refuses are skipped with a warning', async (t) => {
  const attrs: Record<string, string> = {
    'a.b': 'x',
    ok_key: 'y',
    'consul-x': 'z',
    'shoal-host': 'evil',
    long: 'v'.repeat(513),
    ['k'.repeat(129)]: 'w',
  };
  const { view, warnings } = catalogView({ ...svc, attrs }, { ttlMs: 0 });
  t.same(Object.keys(view.Meta).sort(), ['ok_key', 'shoal-checks', 'shoal-host']);
  t.equal(view.Meta['shoal-host'], 'dh6');
  t.equal(warnings.length, 5);
  const many: Record<string, string> = {};
  for (let i = 0; i < 80; i++) many[`k${String(i).padStart(2, '0')}`] = 'v';
  const big = catalogView({ ...svc, attrs: many }, { ttlMs: 0 });
  t.equal(Object.keys(big.view.Meta).length, 64);
  t.equal(big.warnings.length, 18);
});

t.test("the agent's answer encodes to the same text as the view we registered; other hosts are not ours", async (t) => {
  const { view } = catalogView(svc, { ttlMs: 0 });
  const fromAgent = {
    ID: view.ID,
    Service: 'web',
    Tags: ['prod', 'edge'],
    Meta: { ...view.Meta },
    Port: 32768,
    Address: '127.0.1.6',
    Weights: { Passing: 1, Warning: 1 },
    EnableTagOverride: false,
  };
  const back = viewOfAgentService(fromAgent, 'dh6');
  t.ok(back);
  t.equal(encodeView(back!), encodeView(view));
  t.not(encodeView(viewOfAgentService({ ...fromAgent, Port: 1 }, 'dh6')!), encodeView(view));
  t.equal(viewOfAgentService(fromAgent, 'other'), undefined);
  t.equal(viewOfAgentService({ ...fromAgent, Meta: {} }, 'dh6'), undefined);
  t.same(viewOfAgentService({ ...fromAgent, Tags: null }, 'dh6')?.Tags, []);
});
