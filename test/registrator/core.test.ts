import t from 'tap';
import type { ContainerInfo } from '../../agents/docker/container.js';
import { servicesFor, type ServiceOptions } from '../../agents/registrator/services-for.js';
import { imageBaseName, unsafeTokenReason } from '../../agents/registrator/names.js';
import { metadataOf, splitTags } from '../../agents/registrator/metadata.js';
import { keyFor, parseKey, valueFor } from '../../agents/registrator/service.js';
import { reconcile } from '../../agents/registrator/reconcile.js';
import { decide } from '../../agents/registrator/decide.js';

const base: ContainerInfo = {
  id: 'c1',
  name: 'web1',
  image: 'registry:5000/team/nginx:1.25',
  env: {},
  labels: {},
  ports: [{ port: 80, protocol: 'tcp', bindings: [{ hostIp: '127.0.1.4', hostPort: 32768 }] }],
  networks: [{ name: 'bridge', ip: '172.31.4.2', ipv6: undefined }],
  networkMode: 'default',
  state: 'running',
  running: true,
  paused: false,
  health: 'none',
  exitCode: 0,
};
const opts: ServiceOptions = {
  dockerHost: 'dh4',
  ip: undefined,
  defaultIp: '10.0.0.9',
  internal: false,
  explicit: false,
  useIpFromLabel: undefined,
  tags: [],
  nameSuffix: 'always',
};
const kv = (c: ContainerInfo, o: Partial<ServiceOptions> = {}) =>
  servicesFor(c, { ...opts, ...o }).services.map((s) => [keyFor(s), valueFor(s)]);

t.test('image base name', async (t) => {
  t.equal(imageBaseName('registry:5000/team/nginx:1.25'), 'nginx');
  t.equal(imageBaseName('nginx'), 'nginx');
  t.equal(imageBaseName('redis@sha256:abcd'), 'redis');
  t.equal(imageBaseName('localhost:5000/a/b/c:tag@sha256:ff'), 'c');
  t.equal(imageBaseName('shoal/busybox:latest'), 'busybox');
});

t.test('unsafe tokens', async (t) => {
  for (const bad of [
    'a/b',
    'a b',
    'a\tb',
    'a\nb',
    'x{y',
    'x}y',
    'a;b',
    "a'b",
    'a"b',
    'a`b',
    'a..b',
    '..',
    '',
    'a\u0001',
    'a\\b',
    'a%2f',
  ])
    t.not(unsafeTokenReason(bad), undefined, JSON.stringify(bad));
  for (const ok of ['web', 'web-80', 'my_svc.v2', 'dh4:web1:80:udp', 'UPPER'])
    t.equal(unsafeTokenReason(ok), undefined, ok);
});

t.test('tags split with escapes', async (t) => {
  t.same(splitTags('a,b\\,c, d ,,'), ['a', 'b,c', 'd']);
  t.same(splitTags(undefined), []);
});

t.test('metadata: label wins over env, per-port keys', async (t) => {
  const md = metadataOf(
    { SERVICE_NAME: 'fromenv', SERVICE_80_TAGS: 'x', SERVICE_FOO: 'e', OTHER: '1' },
    { SERVICE_NAME: 'fromlabel' },
  );
  t.same(md, { general: { name: 'fromlabel', foo: 'e' }, ports: { '80': { tags: 'x' } } });
});

t.test('default: image name, suffix always, binding IP', async (t) => {
  t.same(kv(base), [['nginx-80/dh4:web1:80', '127.0.1.4:32768']]);
});

t.test('naming precedence and suffix rules', async (t) => {
  const two: ContainerInfo = {
    ...base,
    ports: [
      { port: 80, protocol: 'tcp', bindings: [{ hostIp: '0.0.0.0', hostPort: 8080 }] },
      { port: 443, protocol: 'tcp', bindings: [{ hostIp: '0.0.0.0', hostPort: 8443 }] },
    ],
    env: { SERVICE_NAME: 'www', SERVICE_443_NAME: 'secure' },
  };
  t.same(kv(two), [
    ['www-80/dh4:web1:80', '10.0.0.9:8080'],
    ['secure-443/dh4:web1:443', '10.0.0.9:8443'],
  ]);
  t.same(kv(two, { nameSuffix: 'multi' }), [
    ['www-80/dh4:web1:80', '10.0.0.9:8080'],
    ['secure/dh4:web1:443', '10.0.0.9:8443'],
  ]);
  t.same(kv({ ...base, env: { SERVICE_NAME: 'solo' } }, { nameSuffix: 'multi' }), [
    ['solo/dh4:web1:80', '127.0.1.4:32768'],
  ]);
  t.same(kv(two, { ip: '192.0.2.1' }), [
    ['www-80/dh4:web1:80', '192.0.2.1:8080'],
    ['secure-443/dh4:web1:443', '192.0.2.1:8443'],
  ]);
});

t.test('udp, ignore, explicit, SERVICE_ID, tags, attrs', async (t) => {
  const dns: ContainerInfo = {
    ...base,
    image: 'dns',
    ports: [
      { port: 53, protocol: 'tcp', bindings: [{ hostIp: '127.0.1.4', hostPort: 5353 }] },
      { port: 53, protocol: 'udp', bindings: [{ hostIp: '127.0.1.4', hostPort: 5353 }] },
      { port: 9000, protocol: 'tcp', bindings: [] },
    ],
    labels: { SERVICE_TAGS: 'a,b\\,c', SERVICE_REGION: 'eu', SERVICE_53_IGNORE: '', SERVICE_9000_NAME: 'x' },
  };
  const res = servicesFor(dns, { ...opts, tags: ['g'] });
  t.same(
    res.services.map((s) => [keyFor(s), valueFor(s), s.tags, s.attrs]),
    [
      ['dns-53/dh4:web1:53', '127.0.1.4:5353', ['g', 'a', 'b,c'], { region: 'eu' }],
      ['dns-53/dh4:web1:53:udp', '127.0.1.4:5353', ['g', 'a', 'b,c', 'udp'], { region: 'eu' }],
    ],
  );
  t.same(kv({ ...dns, labels: {}, env: { SERVICE_53_IGNORE: 'true' } }), [], 'per-port ignore');
  t.same(kv({ ...dns, env: { SERVICE_53_IGNORE: 'true' } }).length, 2, 'label (empty) wins over env');
  t.same(kv({ ...base, env: { SERVICE_IGNORE: '1' } }), []);
  t.same(kv(base, { explicit: true }), []);
  t.same(kv({ ...base, labels: { SERVICE_NAME: 'e' } }, { explicit: true }), [['e-80/dh4:web1:80', '127.0.1.4:32768']]);
  t.same(kv({ ...base, env: { SERVICE_ID: 'custom1' } }), [['nginx-80/dh4:custom1', '127.0.1.4:32768']]);
});

t.test('internal, net=host, IPv6, ip from label', async (t) => {
  const exposedOnly: ContainerInfo = { ...base, ports: [{ port: 8080, protocol: 'tcp', bindings: [] }] };
  t.same(kv(exposedOnly), [], 'exposed-only ports are not published');
  t.same(kv(exposedOnly, { internal: true }), [['nginx-8080/dh4:web1:8080', '172.31.4.2:8080']]);
  const v6: ContainerInfo = {
    ...exposedOnly,
    networks: [{ name: 'v6net', ip: undefined, ipv6: 'fd00::5' }],
    networkMode: 'v6net',
  };
  t.same(kv(v6, { internal: true }), [['nginx-8080/dh4:web1:8080', '[fd00::5]:8080']]);
  t.same(kv({ ...base, ports: [{ port: 80, protocol: 'tcp', bindings: [{ hostIp: '::1', hostPort: 81 }] }] }), [
    ['nginx-80/dh4:web1:80', '[::1]:81'],
  ]);
  const host: ContainerInfo = { ...exposedOnly, networkMode: 'host', networks: [] };
  t.same(kv(host), [['nginx-8080/dh4:web1:8080', '10.0.0.9:8080']]);
  t.same(kv(host, { ip: '192.0.2.7' }), [['nginx-8080/dh4:web1:8080', '192.0.2.7:8080']]);
  t.same(kv({ ...base, labels: { 'my.ip': '192.0.2.50' } }, { useIpFromLabel: 'my.ip' }), [
    ['nginx-80/dh4:web1:80', '192.0.2.50:32768'],
  ]);
});

t.test('hostile names are rejected, never keyed', async (t) => {
  for (const name of ['../../etc', 'a/b', 'x y', 'x;rm', '{{x}}', "q'", 'new\nline']) {
    const res = servicesFor({ ...base, env: { SERVICE_NAME: name } }, opts);
    t.same(res.services, [], name);
    t.equal(res.rejected.length, 1, name);
  }
  t.same(servicesFor({ ...base, env: { SERVICE_TAGS: 'ok,bad tag' } }, opts).services, []);
  t.same(servicesFor({ ...base, env: { SERVICE_ID: '../x' } }, opts).services, []);
  t.same(servicesFor({ ...base, labels: { ip: 'nope' } }, { ...opts, useIpFromLabel: 'ip' }).services, []);
});

t.test('parseKey', async (t) => {
  t.same(parseKey('web-80/dh4:web1:80:udp'), {
    name: 'web-80',
    id: 'dh4:web1:80:udp',
    dockerHost: 'dh4',
    containerName: 'web1',
  });
  t.same(parseKey('web-80/dh4:custom'), {
    name: 'web-80',
    id: 'dh4:custom',
    dockerHost: 'dh4',
    containerName: undefined,
  });
  t.equal(parseKey('a/b/c'), undefined);
  t.equal(parseKey('web-80'), undefined);
});

t.test('reconcile touches only this host', async (t) => {
  const desired = new Map([
    ['web-80/dh4:w1:80', '1.1.1.1:1'],
    ['web-80/dh4:w2:80', '1.1.1.1:2'],
    ['evil/other:x:1', '9'],
  ]);
  const current = [
    { key: 'web-80/dh4:w1:80', value: '1.1.1.1:1' },
    { key: 'web-80/dh4:w2:80', value: 'old' },
    { key: 'web-80/dh4:gone:80', value: 'x' },
    { key: 'web-80/dh5:w9:80', value: 'y' },
    { key: 'unrelated', value: 'z' },
  ];
  t.same(reconcile(desired, current, 'dh4'), {
    put: [{ key: 'web-80/dh4:w2:80', value: '1.1.1.1:2' }],
    delete: ['web-80/dh4:gone:80'],
  });
  t.same(reconcile(desired, current, 'dh4', { cleanup: false }).delete, []);
  t.same(reconcile(desired, current, 'dh4', { cleanup: false, removable: new Set(['web-80/dh4:gone:80']) }).delete, [
    'web-80/dh4:gone:80',
  ]);
  t.same(reconcile(desired, current, 'dh4', { keep: new Set(['web-80/dh4:gone:80']) }).delete, []);
});

t.test('decide', async (t) => {
  const o = { deregister: 'always' as const, healthAware: true };
  t.equal(decide(base, o), 'register');
  t.equal(decide(undefined, o), 'deregister');
  t.equal(decide({ ...base, paused: true }, o), 'deregister');
  t.equal(decide({ ...base, health: 'starting' }, o), 'deregister');
  t.equal(decide({ ...base, health: 'unhealthy' }, o), 'deregister');
  t.equal(decide({ ...base, health: 'healthy' }, o), 'register');
  t.equal(decide({ ...base, health: 'unhealthy' }, { ...o, healthAware: false }), 'register');
  const exited = { ...base, running: false, state: 'exited', exitCode: 1 };
  t.equal(decide(exited, o), 'deregister');
  t.equal(decide(exited, { ...o, deregister: 'on-success' }), 'keep');
  t.equal(decide({ ...exited, exitCode: 0 }, { ...o, deregister: 'on-success' }), 'deregister');
});

t.test(
  'swarm tasks: named after their service label unless SERVICE_NAME / SERVICE_<port>_NAME say otherwise',
  async (t) => {
    const task: ContainerInfo = {
      ...base,
      name: 'web.1.tid',
      labels: { 'com.docker.swarm.service.name': 'web', 'com.docker.swarm.task.id': 'tid' },
    };
    t.same(kv(task), [['web-80/dh4:web.1.tid:80', '127.0.1.4:32768']]);
    t.same(kv(task, { nameSuffix: 'multi' }), [['web/dh4:web.1.tid:80', '127.0.1.4:32768']]);
    t.same(kv({ ...task, env: { SERVICE_NAME: 'www' } }), [['www-80/dh4:web.1.tid:80', '127.0.1.4:32768']]);
    t.same(kv({ ...task, labels: { ...task.labels, SERVICE_80_NAME: 'front' } }, { nameSuffix: 'multi' }), [
      ['front/dh4:web.1.tid:80', '127.0.1.4:32768'],
    ]);
    t.same(kv({ ...task, labels: { 'com.docker.swarm.service.name': '' } }), [
      ['nginx-80/dh4:web.1.tid:80', '127.0.1.4:32768'],
    ]);
    const bad = servicesFor({ ...task, labels: { 'com.docker.swarm.service.name': 'a/b' } }, opts);
    t.same(bad.services, []);
    t.match(bad.rejected, [{ port: 80, reason: /service name "a\/b-80" contains "\/"/ }]);
  },
);
