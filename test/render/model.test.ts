import t from 'tap';
import { parseAddress, parseEntries, parseServiceKey } from '../../agents/render/model.js';

t.test('service keys', async (t) => {
  t.same(parseServiceKey('web-80/h1:web1:8080'), {
    ok: true,
    value: { name: 'web', port: 80, host: 'h1', container: 'web1', containerPort: 8080, protocol: 'tcp' },
  });
  t.same(parseServiceKey('my-api-v2-443/dockerhost01:api_1:443:udp'), {
    ok: true,
    value: {
      name: 'my-api-v2',
      port: 443,
      host: 'dockerhost01',
      container: 'api_1',
      containerPort: 443,
      protocol: 'udp',
    },
  });
  const bad: [string, RegExp][] = [
    ['web-80', /not <name>-<port>\/</],
    ['web-80/h1:web1:80/x', /not <name>-<port>\/</],
    ['web/h1:web1:80', /not <name>-<port>$/],
    ['web-0/h1:web1:80', /service port out of range/],
    ['web-65536/h1:web1:80', /service port out of range/],
    ['web-80/h1:web1:70000', /container port out of range/],
    ['web-80/h1:web1', /instance segment/],
    ['web-80/h1:web1:80:sctp', /protocol/],
    ['we b-80/h1:web1:80', /service name/],
    ['web;-80/h1:web1:80', /service name/],
    ['web{-80/h1:web1:80', /service name/],
    ['..-80/h1:web1:80', /service name/],
    ['web-80/h 1:web1:80', /host/],
    ['web-80/h1:web}1:80', /container/],
  ];
  for (const [k, re] of bad) {
    const r = parseServiceKey(k);
    t.equal(r.ok, false, k);
    if (!r.ok) t.match(r.reason, re, k);
  }
});

t.test('values', async (t) => {
  t.same(parseAddress('10.0.0.5:32768'), {
    ok: true,
    value: { ip: '10.0.0.5', port: 32768, address: '10.0.0.5:32768' },
  });
  t.same(parseAddress('[fd00::1]:80'), { ok: true, value: { ip: 'fd00::1', port: 80, address: '[fd00::1]:80' } });
  for (const v of [
    '10.0.0.5',
    '10.0.0.5:0',
    '10.0.0.5:65536',
    '300.1.1.1:80',
    'fd00::1:80',
    'example.com:80',
    '10.0.0.5:80\nbind *:1',
    '[fd00::1]:x',
    '',
  ]) {
    t.equal(parseAddress(v).ok, false, JSON.stringify(v));
  }
});

t.test('entries -> services sorted, backends sorted, bad entries skipped once each', async (t) => {
  const m = parseEntries([
    { key: 'web-80/h2:b:80', value: '10.0.0.2:1002' },
    { key: 'web-80/h1:z:80', value: '10.0.0.1:1001' },
    { key: 'web-80/h1:a:80', value: '10.0.0.1:1000' },
    { key: 'api-9000/h1:api:9000', value: '10.0.0.1:2000' },
    { key: 'web-8080/h1:a:8080', value: '10.0.0.1:3000' },
    { key: 'dns-53/h1:dns:53:udp', value: '10.0.0.1:53' },
    { key: 'web-80/h3:c:80', value: 'nonsense' },
    { key: 'evil\nbind-80/h1:x:80', value: '10.0.0.1:1' },
  ]);
  t.same(
    m.services.map((s) => [s.id, s.protocol, s.primary]),
    [
      ['api-9000', 'tcp', true],
      ['dns-53', 'udp', false],
      ['web-80', 'tcp', true],
      ['web-8080', 'tcp', false],
    ],
  );
  t.same(
    m.services[2]?.backends.map((b) => `${b.host}/${b.container}=${b.address}`),
    ['h1/a=10.0.0.1:1000', 'h1/z=10.0.0.1:1001', 'h2/b=10.0.0.2:1002'],
  );
  t.same(
    m.skipped.map((s) => s.key),
    ['web-80/h3:c:80', 'evil\nbind-80/h1:x:80'],
  );
});
