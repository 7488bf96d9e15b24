import t from 'tap';
import { SpecError } from '../../../agents/manage/services/errors.js';
import { parseServiceSpec } from '../../../agents/manage/services/spec.js';

const plain = {
  Name: 'nginx',
  Labels: {},
  TaskTemplate: {
    ContainerSpec: { Image: 'nginx:latest', Init: false, DNSConfig: {} },
    Resources: { Limits: {}, Reservations: {} },
    Placement: {},
    ForceUpdate: 0,
  },
  Mode: { Replicated: {} },
  EndpointSpec: { Mode: 'vip' },
};

const kitchenSink = {
  Name: 'ks',
  Labels: { sl: '2' },
  TaskTemplate: {
    ContainerSpec: {
      Image: 'busybox:latest',
      Labels: { cl: '1' },
      Command: ['sh'],
      Args: ['-c', 'sleep 100000'],
      Hostname: 'ks-host',
      Env: ['A=1', 'B=2'],
      Dir: '/tmp',
      User: 'root',
      Init: true,
      StopSignal: 'SIGINT',
      Mounts: [{ Type: 'tmpfs', Target: '/scratch' }],
      StopGracePeriod: 3000000000,
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5000000000 },
      DNSConfig: {},
      Isolation: 'default',
    },
    Resources: {
      Limits: { NanoCPUs: 500000000, MemoryBytes: 67108864 },
      Reservations: { NanoCPUs: 100000000, MemoryBytes: 16777216 },
    },
    RestartPolicy: { Condition: 'on-failure', Delay: 3000000000, MaxAttempts: 3, Window: 10000000000 },
    Placement: {
      Constraints: ['node.role==manager'],
      Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
    },
    ForceUpdate: 0,
    Runtime: 'container',
  },
  Mode: { Replicated: { Replicas: 2 } },
  UpdateConfig: {
    Parallelism: 2,
    Delay: 1000000000,
    FailureAction: 'rollback',
    Monitor: 2000000000,
    MaxFailureRatio: 0.1,
    Order: 'start-first',
  },
  RollbackConfig: {
    Parallelism: 1,
    Delay: 1000000000,
    FailureAction: 'continue',
    Monitor: 3000000000,
    MaxFailureRatio: 0,
    Order: 'stop-first',
  },
  EndpointSpec: {
    Mode: 'vip',
    Ports: [
      { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8088, PublishMode: 'host' },
      { Protocol: 'udp', TargetPort: 81, PublishedPort: 8089, PublishMode: 'ingress' },
    ],
  },
};

t.test('the plain CLI body: Docker defaults filled in, one replica', async (t) => {
  const s = parseServiceSpec(plain);
  t.equal(s.Name, 'nginx');
  t.same(s.Mode, { kind: 'replicated', replicas: 1 });
  t.same(s.TaskTemplate.RestartPolicy, { Condition: 'any', Delay: 5e9, MaxAttempts: 0, Window: 0 });
  t.same(s.UpdateConfig, {
    Parallelism: 1,
    Delay: 0,
    FailureAction: 'pause',
    Monitor: 5e9,
    MaxFailureRatio: 0,
    Order: 'stop-first',
  });
  t.same(s.TaskTemplate.Resources, {
    Limits: { NanoCPUs: 0, MemoryBytes: 0 },
    Reservations: { NanoCPUs: 0, MemoryBytes: 0 },
  });
  t.same(s.EndpointSpec, { Mode: 'vip', Ports: [] });
  t.equal(s.TaskTemplate.ContainerSpec.Init, false);
});

t.test('the kitchen-sink body: every field read', async (t) => {
  const s = parseServiceSpec(kitchenSink);
  const c = s.TaskTemplate.ContainerSpec;
  t.same([c.Command, c.Args, c.Env, c.Labels], [['sh'], ['-c', 'sleep 100000'], ['A=1', 'B=2'], { cl: '1' }]);
  t.same(
    [c.Hostname, c.Dir, c.User, c.Init, c.StopSignal, c.StopGracePeriod],
    ['ks-host', '/tmp', 'root', true, 'SIGINT', 3e9],
  );
  t.same(c.Mounts, [{ Type: 'tmpfs', Target: '/scratch' }]);
  t.same(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9 });
  t.same(s.TaskTemplate.Resources.Reservations, { NanoCPUs: 1e8, MemoryBytes: 16777216 });
  t.same(s.TaskTemplate.RestartPolicy, { Condition: 'on-failure', Delay: 3e9, MaxAttempts: 3, Window: 10e9 });
  t.same(s.TaskTemplate.Placement.Constraints, [{ key: 'node.role', op: '==', value: 'manager' }]);
  t.same(s.TaskTemplate.Placement.Preferences, [{ SpreadDescriptor: 'node.labels.zone' }]);
  t.same(s.Mode, { kind: 'replicated', replicas: 2 });
  t.match(s.UpdateConfig, { Parallelism: 2, FailureAction: 'rollback', MaxFailureRatio: 0.1, Order: 'start-first' });
  t.match(s.RollbackConfig, { Parallelism: 1, FailureAction: 'continue', Monitor: 3e9 });
  t.same(
    s.EndpointSpec.Ports.map((p) => [p.PublishedPort, p.Protocol, p.PublishMode]),
    [
      [8088, 'tcp', 'host'],
      [8089, 'udp', 'ingress'],
    ],
  );
  t.same(s.Labels, { sl: '2' });
});

t.test('global mode, constraints of every kind, and a spec as the server echoes it back', async (t) => {
  const s = parseServiceSpec({
    ...plain,
    Mode: { Global: {} },
    TaskTemplate: {
      ...plain.TaskTemplate,
      Placement: {
        Constraints: [
          'node.id==abc',
          'node.hostname != dockerhost01',
          'node.role==worker',
          'node.labels.zone==external',
          'engine.labels.storage!=ssd',
          'node.platform.os==linux',
          'node.platform.arch==x86_64',
        ],
      },
    },
  });
  t.same(s.Mode, { kind: 'global' });
  t.same(s.TaskTemplate.Placement.Constraints[1], { key: 'node.hostname', op: '!=', value: 'dockerhost01' });
  t.equal(s.TaskTemplate.Placement.Constraints.length, 7);
});

t.test('a missing name: an error, or the generated default', async (t) => {
  t.throws(() => parseServiceSpec({ ...plain, Name: '' }), {
    field: 'Name',
    message: 'invalid spec: Name: name must be provided',
  });
  t.equal(parseServiceSpec({ ...plain, Name: undefined }, { defaultName: () => 'eager_turing' }).Name, 'eager_turing');
});

const tt = plain.TaskTemplate;
const cs = tt.ContainerSpec;
const bad: [string, unknown, string][] = [
  ['not an object', 'x', ''],
  ['array body', [], ''],
  ['name with a dot', { ...plain, Name: 'a.b' }, 'Name'],
  ['name with a space', { ...plain, Name: 'a b' }, 'Name'],
  ['name starting with -', { ...plain, Name: '-web' }, 'Name'],
  ['name ending with _', { ...plain, Name: 'web_' }, 'Name'],
  ['name of 64 chars', { ...plain, Name: 'a'.repeat(64) }, 'Name'],
  ['name as a number', { ...plain, Name: 5 }, 'Name'],
  ['name with a newline', { ...plain, Name: 'web\n' }, 'Name'],
  ['no task template', { Name: 'x' }, 'TaskTemplate'],
  [
    'no image',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { Init: false } } },
    'TaskTemplate.ContainerSpec.Image',
  ],
  [
    'image with a space',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { Image: 'nginx latest' } } },
    'TaskTemplate.ContainerSpec.Image',
  ],
  [
    'image as an option',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { Image: '--privileged' } } },
    'TaskTemplate.ContainerSpec.Image',
  ],
  [
    'args not strings',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Args: ['a', 1] } } },
    'TaskTemplate.ContainerSpec.Args[1]',
  ],
  [
    'env without name',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Env: ['A=1', '=x'] } } },
    'TaskTemplate.ContainerSpec.Env[1]',
  ],
  [
    'env as a string',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Env: 'A=1' } } },
    'TaskTemplate.ContainerSpec.Env',
  ],
  ['label value NUL', { ...plain, Labels: { a: 'x\u0000' } }, 'Labels.a'],
  ['label value number', { ...plain, Labels: { a: 1 } }, 'Labels.a'],
  ['label key control char', { ...plain, Labels: { 'a\nb': 'x' } }, 'Labels'],
  [
    'empty label key',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Labels: { '': 'x' } } } },
    'TaskTemplate.ContainerSpec.Labels',
  ],
  ['labels as an array', { ...plain, Labels: ['a'] }, 'Labels'],
  [
    'mount without target',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Mounts: [{ Type: 'volume' }] } } },
    'TaskTemplate.ContainerSpec.Mounts[0].Target',
  ],
  [
    'mount relative target',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Mounts: [{ Type: 'volume', Target: 'data' }] } } },
    'TaskTemplate.ContainerSpec.Mounts[0].Target',
  ],
  [
    'bind without source',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Mounts: [{ Type: 'bind', Target: '/d' }] } } },
    'TaskTemplate.ContainerSpec.Mounts[0].Source',
  ],
  [
    'unknown mount type',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Mounts: [{ Type: 'nfs', Target: '/d' }] } } },
    'TaskTemplate.ContainerSpec.Mounts[0].Type',
  ],
  [
    'init as a string',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Init: 'yes' } } },
    'TaskTemplate.ContainerSpec.Init',
  ],
  [
    'healthcheck kind',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Healthcheck: { Test: ['RUN', 'x'] } } } },
    'TaskTemplate.ContainerSpec.Healthcheck.Test[0]',
  ],
  [
    'healthcheck without command',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Healthcheck: { Test: ['CMD'] } } } },
    'TaskTemplate.ContainerSpec.Healthcheck.Test',
  ],
  [
    'healthcheck negative interval',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Healthcheck: { Test: ['NONE'], Interval: -1 } } } },
    'TaskTemplate.ContainerSpec.Healthcheck.Interval',
  ],
  [
    'stop signal',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, StopSignal: 'KILL ME' } } },
    'TaskTemplate.ContainerSpec.StopSignal',
  ],
  [
    'grace as a float',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, StopGracePeriod: 1.5 } } },
    'TaskTemplate.ContainerSpec.StopGracePeriod',
  ],
  [
    'constraint without operator',
    { ...plain, TaskTemplate: { ...tt, Placement: { Constraints: ['node.role'] } } },
    'TaskTemplate.Placement.Constraints[0]',
  ],
  [
    'constraint unknown key',
    { ...plain, TaskTemplate: { ...tt, Placement: { Constraints: ['node.id==a', 'zone==x'] } } },
    'TaskTemplate.Placement.Constraints[1]',
  ],
  [
    'constraint empty value',
    { ...plain, TaskTemplate: { ...tt, Placement: { Constraints: ['node.labels.a=='] } } },
    'TaskTemplate.Placement.Constraints[0]',
  ],
  [
    'constraint bad role',
    { ...plain, TaskTemplate: { ...tt, Placement: { Constraints: ['node.role==boss'] } } },
    'TaskTemplate.Placement.Constraints[0]',
  ],
  [
    'constraint with quotes',
    { ...plain, TaskTemplate: { ...tt, Placement: { Constraints: ['node.labels.a=="x"'] } } },
    'TaskTemplate.Placement.Constraints[0]',
  ],
  [
    'constraint labels without name',
    { ...plain, TaskTemplate: { ...tt, Placement: { Constraints: ['node.labels.==x'] } } },
    'TaskTemplate.Placement.Constraints[0]',
  ],
  [
    'constraint <=',
    { ...plain, TaskTemplate: { ...tt, Placement: { Constraints: ['node.labels.a<=x'] } } },
    'TaskTemplate.Placement.Constraints[0]',
  ],
  [
    'spread on node.id',
    { ...plain, TaskTemplate: { ...tt, Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.id' } }] } } },
    'TaskTemplate.Placement.Preferences[0].Spread.SpreadDescriptor',
  ],
  ['negative replicas', { ...plain, Mode: { Replicated: { Replicas: -1 } } }, 'Mode.Replicated.Replicas'],
  ['replicas as a string', { ...plain, Mode: { Replicated: { Replicas: '3' } } }, 'Mode.Replicated.Replicas'],
  ['huge replicas', { ...plain, Mode: { Replicated: { Replicas: 1e12 } } }, 'Mode.Replicated.Replicas'],
  ['two modes', { ...plain, Mode: { Replicated: {}, Global: {} } }, 'Mode'],
  ['jobs', { ...plain, Mode: { ReplicatedJob: {} } }, 'Mode.ReplicatedJob'],
  [
    'restart condition',
    { ...plain, TaskTemplate: { ...tt, RestartPolicy: { Condition: 'always' } } },
    'TaskTemplate.RestartPolicy.Condition',
  ],
  [
    'negative delay',
    { ...plain, TaskTemplate: { ...tt, RestartPolicy: { Delay: -5 } } },
    'TaskTemplate.RestartPolicy.Delay',
  ],
  [
    'delay as a string',
    { ...plain, TaskTemplate: { ...tt, RestartPolicy: { Delay: '5s' } } },
    'TaskTemplate.RestartPolicy.Delay',
  ],
  [
    'infinite window',
    { ...plain, TaskTemplate: { ...tt, RestartPolicy: { Window: Infinity } } },
    'TaskTemplate.RestartPolicy.Window',
  ],
  [
    'negative cpu',
    { ...plain, TaskTemplate: { ...tt, Resources: { Limits: { NanoCPUs: -1 } } } },
    'TaskTemplate.Resources.Limits.NanoCPUs',
  ],
  [
    'memory limit too small',
    { ...plain, TaskTemplate: { ...tt, Resources: { Limits: { MemoryBytes: 1024 } } } },
    'TaskTemplate.Resources.Limits.MemoryBytes',
  ],
  [
    'reservation over limit',
    { ...plain, TaskTemplate: { ...tt, Resources: { Limits: { NanoCPUs: 1e9 }, Reservations: { NanoCPUs: 2e9 } } } },
    'TaskTemplate.Resources.Reservations.NanoCPUs',
  ],
  ['update order', { ...plain, UpdateConfig: { Order: 'random' } }, 'UpdateConfig.Order'],
  ['update failure action', { ...plain, UpdateConfig: { FailureAction: 'explode' } }, 'UpdateConfig.FailureAction'],
  [
    'rollback of a rollback',
    { ...plain, RollbackConfig: { FailureAction: 'rollback' } },
    'RollbackConfig.FailureAction',
  ],
  ['failure ratio over 1', { ...plain, UpdateConfig: { MaxFailureRatio: 2 } }, 'UpdateConfig.MaxFailureRatio'],
  ['negative parallelism', { ...plain, UpdateConfig: { Parallelism: -1 } }, 'UpdateConfig.Parallelism'],
  [
    'port mode',
    { ...plain, EndpointSpec: { Ports: [{ TargetPort: 80, PublishMode: 'public' }] } },
    'EndpointSpec.Ports[0].PublishMode',
  ],
  ['port 0 target', { ...plain, EndpointSpec: { Ports: [{ TargetPort: 0 }] } }, 'EndpointSpec.Ports[0].TargetPort'],
  [
    'port too big',
    { ...plain, EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 70000 }] } },
    'EndpointSpec.Ports[0].PublishedPort',
  ],
  [
    'port protocol',
    { ...plain, EndpointSpec: { Ports: [{ TargetPort: 80, Protocol: 'icmp' }] } },
    'EndpointSpec.Ports[0].Protocol',
  ],
  [
    'port published twice',
    {
      ...plain,
      EndpointSpec: {
        Ports: [
          { TargetPort: 80, PublishedPort: 8080 },
          { TargetPort: 81, PublishedPort: 8080 },
        ],
      },
    },
    'EndpointSpec.Ports[1].PublishedPort',
  ],
  [
    'dnsrr with ingress',
    { ...plain, EndpointSpec: { Mode: 'dnsrr', Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } },
    'EndpointSpec.Ports[0].PublishMode',
  ],
  ['endpoint mode', { ...plain, EndpointSpec: { Mode: 'lb' } }, 'EndpointSpec.Mode'],
  ['force update negative', { ...plain, TaskTemplate: { ...tt, ForceUpdate: -1 } }, 'TaskTemplate.ForceUpdate'],
  ['plugin spec', { ...plain, TaskTemplate: { ...tt, PluginSpec: {} } }, 'TaskTemplate.PluginSpec'],
  [
    'huge string',
    { ...plain, TaskTemplate: { ...tt, ContainerSpec: { ...cs, Args: ['x'.repeat(70_000)] } } },
    'TaskTemplate.ContainerSpec.Args[0]',
  ],
  [
    'too many constraints',
    { ...plain, TaskTemplate: { ...tt, Placement: { Constraints: Array(300).fill('node.role==worker') } } },
    'TaskTemplate.Placement.Constraints',
  ],
];

t.test('bad input: a SpecError (HTTP 400) naming the field', async (t) => {
  for (const [what, body, field] of bad) {
    try {
      parseServiceSpec(body);
      t.fail(`${what}: accepted`);
    } catch (err) {
      t.ok(err instanceof SpecError, `${what}: a SpecError`);
      const e = err as SpecError;
      t.equal(e.field, field, `${what}: names ${field}`);
      t.equal(e.status, 400);
      t.ok(e.message.startsWith(field === '' ? 'invalid spec: ' : `invalid spec: ${field}: `), `${what}: ${e.message}`);
    }
  }
});

t.test('hostile label keys stay plain data', async (t) => {
  const s = parseServiceSpec(
    JSON.parse(
      '{"Name":"x","Labels":{"__proto__":"p","constructor":"c"},"TaskTemplate":{"ContainerSpec":{"Image":"a"}}}',
    ),
  );
  t.equal(Object.getPrototypeOf(s.Labels), Object.prototype);
  t.same(Object.keys(s.Labels).sort(), ['__proto__', 'constructor']);
  t.equal(({} as Record<string, unknown>).p, undefined);
});

t.test('the error message shape the API answers', async (t) => {
  t.throws(() => parseServiceSpec({ ...plain, TaskTemplate: { ...tt, Placement: { Constraints: ['zone==x'] } } }), {
    message: /^invalid spec: TaskTemplate\.Placement\.Constraints\[0\]: "zone": constraint key must be /,
    code: 'SHOAL_SERVICE_SPEC',
  });
});
