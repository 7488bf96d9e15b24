import t from 'tap';
import { containerCreate } from '../../../agents/manage/services/container.js';
import {
  identityFromLabels,
  randomId,
  sequentialIds,
  taskLabels,
  taskName,
  validateServiceName,
} from '../../../agents/manage/services/names.js';
import { parseServiceSpec } from '../../../agents/manage/services/spec.js';
import { specKey } from '../../../agents/manage/services/speckey.js';
import { node } from './sim.js';

t.test('service names: a DNS label of at most 63 characters', async (t) => {
  for (const ok of ['nginx', 'web-1', 'a_b', 'A1', 'x'.repeat(63), 'a--b']) t.equal(validateServiceName(ok), ok);
  for (const bad of ['', '-a', 'a-', 'a.b', 'a b', 'ä', 'x'.repeat(64), 'a/b', '_a'])
    t.throws(
      () => validateServiceName(bad),
      { code: 'SHOAL_SERVICE_SPEC', message: /^invalid spec: Name: / },
      JSON.stringify(bad),
    );
});

t.test('IDs: 25 lowercase base-36 characters; sequential ones for tests', async (t) => {
  for (let i = 0; i < 50; i++) t.match(randomId(), /^[0-9a-z]{25}$/);
  const ids = sequentialIds('t');
  t.same([ids(), ids()], ['t000000000000000000000001', 't000000000000000000000002']);
});

t.test('task names as swarm makes them', async (t) => {
  t.equal(taskName('nginx', 1, 'n1', '7ucjvfusny4n4rgnnkg6bshbh'), 'nginx.1.7ucjvfusny4n4rgnnkg6bshbh');
  t.equal(taskName('agent', 0, 'b96t4553w817sko5kd3x69cl6', 'tid'), 'agent.b96t4553w817sko5kd3x69cl6.tid');
});

t.test('task labels: swarm set over the container labels, read back to the identity', async (t) => {
  const id = { serviceId: 'jg6ip', serviceName: 'nginx', taskId: '7ucj', slot: 1, nodeId: 'b96t', specKey: 'k1' };
  const labels = taskLabels(id, {
    'com.docker.stack.namespace': 'demo',
    cl: '1',
    'com.docker.swarm.task.id': 'forged',
  });
  t.same(labels, {
    'com.docker.stack.namespace': 'demo',
    cl: '1',
    'com.docker.swarm.node.id': 'b96t',
    'com.docker.swarm.service.id': 'jg6ip',
    'com.docker.swarm.service.name': 'nginx',
    'com.docker.swarm.task': '',
    'com.docker.swarm.task.id': '7ucj',
    'com.docker.swarm.task.name': 'nginx.1.7ucj',
    'shoal.task.spec': 'k1',
  });
  t.same(identityFromLabels(labels), id);
  t.same(identityFromLabels(taskLabels({ ...id, slot: 0 }, {})), { ...id, slot: 0 });
  t.equal(identityFromLabels({}), undefined, 'a plain container');
  t.equal(
    identityFromLabels({ ...labels, 'com.docker.swarm.task.name': 'other.1.7ucj' }),
    undefined,
    'name contradicts',
  );
  t.equal(
    identityFromLabels({ ...labels, 'com.docker.swarm.task.name': 'nginx.x.7ucj' }),
    undefined,
    'neither slot nor node',
  );
  const { 'com.docker.swarm.task': _marker, ...noMarker } = labels;
  t.equal(identityFromLabels(noMarker), undefined, 'no task marker');
});

t.test('the container-create body (kitchen-sink service)', async (t) => {
  const spec = parseServiceSpec({
    Name: 'ks',
    TaskTemplate: {
      ContainerSpec: {
        Image: 'busybox:latest',
        Labels: { cl: '1' },
        Command: ['sh'],
        Args: ['-c', 'sleep 100000'],
        Hostname: '{{.Node.Hostname}}-{{.Task.Slot}}',
        Env: ['A=1', 'WHO={{.Service.Name}}'],
        Dir: '/tmp',
        User: 'root',
        Init: true,
        StopSignal: 'SIGINT',
        Mounts: [
          { Type: 'tmpfs', Target: '/scratch' },
          { Type: 'volume', Source: 'data-{{.Task.Slot}}', Target: '/d' },
        ],
        Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5e9 },
      },
      Resources: {
        Limits: { NanoCPUs: 5e8, MemoryBytes: 67108864 },
        Reservations: { NanoCPUs: 1e8, MemoryBytes: 16777216 },
      },
      RestartPolicy: { Condition: 'on-failure' },
    },
    EndpointSpec: {
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8088, PublishMode: 'host' },
        { Protocol: 'udp', TargetPort: 81, PublishedPort: 8089, PublishMode: 'ingress' },
      ],
    },
  });
  const key = specKey(spec);
  const { name, body } = containerCreate(
    { id: 'tid', serviceId: 'sid', slot: 2, nodeId: 'n1', specKey: key },
    spec,
    node('n1'),
  );
  t.equal(name, 'ks.2.tid');
  t.same(body, {
    Image: 'busybox:latest',
    Env: ['A=1', 'WHO=ks'],
    Labels: {
      cl: '1',
      'com.docker.swarm.node.id': 'n1',
      'com.docker.swarm.service.id': 'sid',
      'com.docker.swarm.service.name': 'ks',
      'com.docker.swarm.task': '',
      'com.docker.swarm.task.id': 'tid',
      'com.docker.swarm.task.name': 'ks.2.tid',
      'shoal.task.spec': key,
    },
    HostConfig: {
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      Mounts: [
        { Type: 'tmpfs', Target: '/scratch' },
        { Type: 'volume', Source: 'data-2', Target: '/d' },
      ],
      NanoCpus: 5e8,
      Memory: 67108864,
      Init: true,
      PortBindings: {
        '80/tcp': [{ HostIp: '', HostPort: '8088' }],
        '81/udp': [{ HostIp: '', HostPort: '' }],
      },
    },
    Entrypoint: ['sh'],
    Cmd: ['-c', 'sleep 100000'],
    WorkingDir: '/tmp',
    User: 'root',
    Hostname: 'host-n1-2',
    StopSignal: 'SIGINT',
    Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5e9 },
    ExposedPorts: { '80/tcp': {}, '81/udp': {} },
  });
  const plain = parseServiceSpec({ Name: 'p', TaskTemplate: { ContainerSpec: { Image: 'nginx' } } });
  const p = containerCreate({ id: 't', serviceId: 's', slot: 0, nodeId: 'n9', specKey: 'k' }, plain, node('n9')).body;
  t.same(Object.keys(p).sort(), ['Env', 'HostConfig', 'Image', 'Labels'], 'no Cmd/Entrypoint: the image decides');
  t.equal((p.Labels as Record<string, string>)['com.docker.swarm.task.name'], 'p.n9.t');
  t.notOk(
    'Memory' in (p.HostConfig as object) || 'NanoCpus' in (p.HostConfig as object),
    'reservations are never applied',
  );
});

t.test('the spec key: same containers, same key; scale and service labels do not change it', async (t) => {
  const base = { Name: 'k', TaskTemplate: { ContainerSpec: { Image: 'a', Labels: { x: '1', y: '2' } } } };
  const k = specKey(parseServiceSpec(base));
  t.equal(specKey(parseServiceSpec({ ...base, Mode: { Replicated: { Replicas: 9 } }, Labels: { s: '1' } })), k);
  t.equal(
    specKey(parseServiceSpec({ ...base, TaskTemplate: { ContainerSpec: { Image: 'a', Labels: { y: '2', x: '1' } } } })),
    k,
    'key order',
  );
  t.not(specKey(parseServiceSpec({ ...base, TaskTemplate: { ContainerSpec: { Image: 'b' } } })), k);
  t.not(specKey(parseServiceSpec({ ...base, TaskTemplate: { ...base.TaskTemplate, ForceUpdate: 1 } })), k, '--force');
  t.not(
    specKey(
      parseServiceSpec({
        ...base,
        EndpointSpec: { Ports: [{ TargetPort: 80, PublishMode: 'host', PublishedPort: 80 }] },
      }),
    ),
    k,
  );
});

t.test('ingress ports: the target published on an ephemeral host port (as `docker run -p 80`)', async (t) => {
  const spec = parseServiceSpec({
    Name: 'web',
    TaskTemplate: { ContainerSpec: { Image: 'busybox' } },
    EndpointSpec: {
      Ports: [
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 30080, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 80, PublishedPort: 30081, PublishMode: 'ingress' },
        { Protocol: 'tcp', TargetPort: 443, PublishedPort: 8443, PublishMode: 'host' },
      ],
    },
  });
  const body = containerCreate({ id: 't', serviceId: 's', slot: 1, nodeId: 'n1', specKey: 'k' }, spec, node('n1')).body;
  t.same(body.ExposedPorts, { '80/tcp': {}, '443/tcp': {} });
  t.same((body.HostConfig as Record<string, unknown>).PortBindings, {
    '80/tcp': [{ HostIp: '', HostPort: '' }],
    '443/tcp': [{ HostIp: '', HostPort: '8443' }],
  });
});
