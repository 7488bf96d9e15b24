import t from 'tap';
import { constraintMatches, parseConstraint } from '../../../agents/manage/services/constraints.js';
import { Pool, placeCtx } from '../../../agents/manage/services/placement.js';
import { parseServiceSpec } from '../../../agents/manage/services/spec.js';
import { node, nodes, replicated, service, Sim } from './sim.js';

const n = node('abc', {
  hostname: 'dockerhost01',
  role: 'manager',
  labels: { zone: 'External' },
  engineLabels: { storage: 'ssd' },
});

t.test('constraints: each key, == and !=, case-insensitive values, a missing label never equals', async (t) => {
  const cases: [string, boolean][] = [
    ['node.id==abc', true],
    ['node.id!=abc', false],
    ['node.hostname==DOCKERHOST01', true],
    ['node.role==manager', true],
    ['node.role!=worker', true],
    ['node.labels.zone==external', true],
    ['node.labels.zone!=external', false],
    ['node.labels.rack==1', false],
    ['node.labels.rack!=1', true],
    ['engine.labels.storage==ssd', true],
    ['engine.labels.zone==external', false],
    ['node.labels.storage==ssd', false],
    ['node.platform.os==linux', true],
    ['node.platform.arch!=x86_64', false],
  ];
  for (const [text, want] of cases) t.equal(constraintMatches(parseConstraint(text, 'c'), n), want, text);
});

t.test('reservations are counted against node capacity, with what other containers reserve', async (t) => {
  const spec = parseServiceSpec({
    Name: 'r',
    TaskTemplate: { ContainerSpec: { Image: 'a' }, Resources: { Reservations: { NanoCPUs: 1e9, MemoryBytes: 1024 } } },
  });
  const ctx = placeCtx('s', spec);
  const pool = new Pool([
    node('n1', { resources: { NanoCPUs: 3e9, MemoryBytes: 1e9 }, reservedByOthers: { NanoCPUs: 1e9, MemoryBytes: 0 } }),
  ]);
  for (let i = 0; i < 2; i++) {
    const c = pool.choose(ctx);
    t.ok('node' in c);
    pool.account(ctx, 'n1', 1);
  }
  t.same(pool.choose(ctx), { reason: 'no suitable node (insufficient resources on 1 node)' });
  pool.account(ctx, 'n1', -1);
  t.ok('node' in pool.choose(ctx), 'released room is usable again');
});

t.test('host-mode ports: two tasks never share a node port', async (t) => {
  const hostPort = { EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] } };
  const sim = new Sim(
    [replicated('s', 'web', 3, hostPort)],
    [...nodes(2), node('n3', { portsByOthers: ['8080/tcp'] })],
  );
  sim.settle();
  t.same(sim.spread('s'), { n1: 1, n2: 1 });
  t.match(
    sim.live('s').find((x) => x.state === 'pending'),
    {
      err: 'no suitable node (host-mode port already in use on 3 nodes)',
    },
  );
});

t.test('MaxReplicas per node', async (t) => {
  const sim = new Sim([replicated('s', 'web', 3, { TaskTemplate: { Placement: { MaxReplicas: 1 } } })], nodes(2));
  sim.settle();
  t.same(sim.spread('s'), { n1: 1, n2: 1 });
  t.match(
    sim.live('s').find((x) => x.state === 'pending'),
    { err: /max replicas per node/ },
  );
});

t.test('spread preference: even over label values first, nodes without the label as their own group', async (t) => {
  const list = [
    node('n1', { labels: { zone: 'a' } }),
    node('n2', { labels: { zone: 'a' } }),
    node('n3', { labels: { zone: 'a' } }),
    node('n4', { labels: { zone: 'b' } }),
  ];
  const pref = { TaskTemplate: { Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] } } };
  const sim = new Sim([replicated('s', 'web', 4, pref)], list);
  sim.settle();
  t.same(sim.spread('s'), { n1: 1, n2: 1, n4: 2 }, 'two per zone, not one per node');
  const plain = new Sim([replicated('s', 'web', 4)], list);
  plain.settle();
  t.same(plain.spread('s'), { n1: 1, n2: 1, n3: 1, n4: 1 });
  const missing = new Sim([replicated('s', 'web', 3, pref)], [...list.slice(0, 2), node('n5')]);
  missing.settle();
  t.same(missing.spread('s'), { n1: 1, n2: 1, n5: 1 });
});

t.test('constraints that no node satisfies: pending with the reason', async (t) => {
  const sim = new Sim(
    [replicated('s', 'web', 1, { TaskTemplate: { Placement: { Constraints: ['node.role==manager'] } } })],
    nodes(2),
  );
  sim.settle();
  t.match(sim.live('s'), [
    { state: 'pending', err: 'no suitable node (scheduling constraints not satisfied on any node)' },
  ]);
  sim.nodes[1] = { ...sim.nodes[1]!, role: 'manager' };
  sim.settle();
  t.same(sim.spread('s'), { n2: 1 });
});

t.test('platforms from the image digest restrict placement', async (t) => {
  const spec = { TaskTemplate: { Placement: { Platforms: [{ OS: 'linux', Architecture: 'aarch64' }] } } };
  const sim = new Sim(
    [replicated('s', 'web', 2, spec)],
    [node('n1'), node('n2', { platform: { os: 'linux', arch: 'aarch64' } })],
  );
  sim.settle();
  t.same(sim.spread('s'), { n2: 2 });
});

t.test('a global task whose node has no room stays pending there, with the reason', async (t) => {
  const hostPort = { EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }] } };
  const g = service('g', 'edge', { Mode: { Global: {} }, ...hostPort });
  const sim = new Sim([g], [node('n1'), node('n2', { portsByOthers: ['8080/tcp'] })]);
  sim.settle();
  t.same(sim.spread('g'), { n1: 1 });
  t.match(
    sim.live('g').find((x) => x.nodeId === 'n2'),
    {
      state: 'pending',
      err: 'no suitable node (host-mode port already in use on 1 node)',
    },
  );
  sim.nodes[1] = node('n2');
  sim.settle();
  t.same(sim.spread('g'), { n1: 1, n2: 1 }, 'placed once the port is free (a pending task holds nothing)');
});
