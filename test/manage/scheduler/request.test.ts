import t from 'tap';
import { prepareCreate, LABEL } from '../../../agents/manage/scheduler/request.js';

t.test('moves placement expressions from Env into labels and strips them from the engine env', async (t) => {
  const { request, body } = prepareCreate(
    {
      Image: 'nginx',
      Env: [
        'constraint:zone==external',
        'A=1',
        'affinity:image=redis',
        'reschedule:on-node-failure',
        'whitelist:node==h1',
        'constraint:disk==~ssd',
      ],
    },
    'web',
    'SWARMID',
  );
  t.same(body.Env, ['A=1']);
  t.same(
    request.constraints.map((e) => e.key),
    ['zone', 'disk'],
  );
  t.equal(request.constraints[1]?.soft, true);
  t.same(request.affinities, [{ key: 'image', op: '==', value: 'redis', soft: false }]);
  t.same(
    request.whitelists.map((e) => e.value),
    ['h1'],
  );
  t.same(request.reschedule, ['on-node-failure']);
  const labels = body.Labels as Record<string, string>;
  t.same(JSON.parse(labels[LABEL.constraints] as string), ['zone==external', 'disk==~ssd']);
  t.same(JSON.parse(labels[LABEL.affinities] as string), ['image==redis']);
  t.same(JSON.parse(labels[LABEL.reschedule] as string), ['on-node-failure']);
  t.equal(labels[LABEL.id], 'SWARMID');
  t.equal(request.name, 'web');
});

t.test('reads expressions from the com.docker.swarm.* labels too', async (t) => {
  const { request } = prepareCreate(
    { Image: 'x', Labels: { [LABEL.constraints]: '["status==master"]', [LABEL.affinities]: '["container!=db"]' } },
    undefined,
    'i',
  );
  t.same(
    request.constraints.map((e) => `${e.key}${e.op}${e.value}`),
    ['status==master'],
  );
  t.same(
    request.affinities.map((e) => `${e.key}${e.op}${e.value}`),
    ['container!=db'],
  );
});

t.test('global placement by constraint or label; the constraint itself is not a node label', async (t) => {
  const a = prepareCreate(
    { Image: 'x', Env: ['constraint:global==true', 'constraint:zone==external'] },
    undefined,
    'i',
  );
  t.equal(a.request.global, true);
  t.same(
    a.request.constraints.map((e) => e.key),
    ['zone'],
  );
  t.equal((a.body.Labels as Record<string, string>)[LABEL.global], 'true');
  t.equal(prepareCreate({ Image: 'x', Labels: { 'shoal.global': 'true' } }, undefined, 'i').request.global, true);
  t.equal(prepareCreate({ Image: 'x' }, undefined, 'i').request.global, false);
});

t.test('ports, host network, dependencies and resources', async (t) => {
  const bridge = prepareCreate(
    {
      Image: 'x',
      HostConfig: {
        PortBindings: {
          '80/tcp': [{ HostIp: '', HostPort: '8080' }],
          '53/udp': [{ HostIp: '127.0.0.1', HostPort: '53' }],
          '9000/tcp': [{ HostPort: '' }],
        },
        VolumesFrom: ['data:ro'],
        Links: ['/db:database'],
        CpuShares: 1,
        Memory: 512,
      },
    },
    undefined,
    'i',
  ).request;
  t.same(bridge.ports, [
    { hostIp: '', hostPort: 8080, proto: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 53, proto: 'udp' },
  ]);
  t.same(bridge.dependencies, ['data', 'db']);
  t.equal(bridge.cpus, 1);
  t.equal(bridge.memory, 512);
  const host = prepareCreate(
    { Image: 'x', ExposedPorts: { '80/tcp': {} }, HostConfig: { NetworkMode: 'host' } },
    undefined,
    'i',
  ).request;
  t.equal(host.hostNetwork, true);
  t.same(host.ports, [{ hostIp: '', hostPort: 80, proto: 'tcp' }]);
  const net = prepareCreate({ Image: 'x', HostConfig: { NetworkMode: 'container:web' } }, undefined, 'i').request;
  t.same(net.dependencies, ['web']);
  t.equal(prepareCreate({ Image: 'x', HostConfig: { NanoCpus: 1.5e9 } }, undefined, 'i').request.cpus, 1.5);
});

t.test('malformed bodies are typed errors', async (t) => {
  for (const bad of [
    null,
    [],
    'x',
    {},
    { Image: '' },
    { Image: 'x', Env: 'A=1' },
    { Image: 'x', Env: ['constraint:zone'] },
    { Image: 'x', Labels: { [LABEL.constraints]: 'not json' } },
    { Image: 'x', Env: ['reschedule:sometimes'] },
  ]) {
    t.throws(() => prepareCreate(bad, undefined, 'i'), { code: 'SHOAL_MANAGE_BAD_CREATE' }, JSON.stringify(bad));
  }
});
