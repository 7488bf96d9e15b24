import t from 'tap';
import { toContainerInfo, parsePortKey } from '../../agents/docker/container.js';
import { Readable } from 'node:stream';
import { jsonLines, parseEvent } from '../../agents/docker/events.js';
import { addressEndpoint, dockerEndpoint, endpointHostIp, hostHeader } from '../../agents/docker/endpoint.js';

t.test('inspect answer -> ContainerInfo', async (t) => {
  const raw = {
    Id: 'abc',
    Name: '/web1',
    Image: 'sha256:ff',
    Config: {
      Image: 'nginx:1.25',
      Env: ['A=1', 'B=x=y', 'BAD'],
      Labels: { l: 'v' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9000/tcp': {} },
    },
    State: { Status: 'running', Running: true, Paused: false, ExitCode: 0, Health: { Status: 'healthy' } },
    HostConfig: { NetworkMode: 'mynet' },
    NetworkSettings: {
      Ports: {
        '80/tcp': [
          { HostIp: '0.0.0.0', HostPort: '8080' },
          { HostIp: '::', HostPort: '8080' },
        ],
        '53/udp': [{ HostIp: '127.0.1.4', HostPort: '5353' }],
        '9000/tcp': null,
      },
      Networks: { mynet: { IPAddress: '172.31.4.5', GlobalIPv6Address: 'fd00::5' } },
    },
  };
  t.same(toContainerInfo(raw), {
    id: 'abc',
    name: 'web1',
    image: 'nginx:1.25',
    env: { A: '1', B: 'x=y' },
    labels: { l: 'v' },
    ports: [
      { port: 53, protocol: 'udp', bindings: [{ hostIp: '127.0.1.4', hostPort: 5353 }] },
      {
        port: 80,
        protocol: 'tcp',
        bindings: [
          { hostIp: '0.0.0.0', hostPort: 8080 },
          { hostIp: '::', hostPort: 8080 },
        ],
      },
      { port: 9000, protocol: 'tcp', bindings: [] },
    ],
    networks: [{ name: 'mynet', ip: '172.31.4.5', ipv6: 'fd00::5' }],
    networkMode: 'mynet',
    state: 'running',
    running: true,
    paused: false,
    health: 'healthy',
    exitCode: 0,
  });
  const empty = toContainerInfo({});
  t.equal(empty.health, 'none');
  t.same(empty.ports, []);
  t.equal(parsePortKey('70000/tcp'), undefined);
  t.same(parsePortKey('8080'), { port: 8080, protocol: 'tcp' });
});

t.test('events', async (t) => {
  t.same(
    parseEvent({
      Type: 'container',
      Action: 'health_status: healthy',
      Actor: { ID: 'x', Attributes: { name: 'n' } },
      timeNano: 5,
    }),
    { type: 'container', action: 'health_status', detail: 'healthy', id: 'x', attributes: { name: 'n' }, timeNano: 5 },
  );
  t.equal(parseEvent({}), undefined);
});

t.test('endpoint from DOCKER_HOST-style URL', async (t) => {
  t.same(dockerEndpoint('unix:///run/d.sock', {}), { url: 'unix:///run/d.sock', socketPath: '/run/d.sock' });
  t.same(dockerEndpoint('tcp://127.0.1.4:2375', {}), { url: 'tcp://127.0.1.4:2375', host: '127.0.1.4', port: 2375 });
  const files: Record<string, string> = { '/c/ca.pem': 'CA', '/c/cert.pem': 'CERT', '/c/key.pem': 'KEY' };
  t.same(
    dockerEndpoint('tcp://h:2376', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' }, (p) => files[p] ?? ''),
    { url: 'tcp://h:2376', host: 'h', port: 2376, tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } },
  );
  t.throws(() => dockerEndpoint('http://x', {}), { code: 'SHOAL_CONFIG_INVALID' });
  t.equal(endpointHostIp(dockerEndpoint('tcp://127.0.1.4:2375', {})), '127.0.1.4');
  t.equal(endpointHostIp(dockerEndpoint('unix:///x', {})), undefined);
});

t.test('endpoint from a discovered HOST:PORT, and the Host header', async (t) => {
  const tls = { ca: 'CA', cert: 'CERT', key: 'KEY' };
  t.same(addressEndpoint('10.0.0.7:2375'), { url: '10.0.0.7:2375', host: '10.0.0.7', port: 2375 });
  t.same(addressEndpoint('[::1]:2376', tls), { url: '[::1]:2376', host: '::1', port: 2376, tls });
  t.equal(hostHeader(addressEndpoint('[::1]:2376')), '[::1]:2376');
  t.equal(hostHeader(addressEndpoint('h:2375')), 'h:2375');
  t.equal(hostHeader(dockerEndpoint('unix:///run/d.sock', {})), 'docker');
});

t.test('event lines: split across chunks, blank and torn lines skipped', async (t) => {
  const chunks = [
    '{"Action":"start","id":"a"}\n{"Act',
    'ion":"die","id":"b"}\n\n{"Type":"contai\n',
    '{"Action":"x"}\n',
  ];
  const out: unknown[] = [];
  for await (const v of jsonLines(Readable.from(chunks))) out.push(v);
  t.same(out, [{ Action: 'start', id: 'a' }, { Action: 'die', id: 'b' }, { Action: 'x' }]);
});
