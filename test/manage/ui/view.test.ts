/**
 * The UI's view model from literal store entries and engine facts: nodes joined with their swarm records, the
 * current tasks on each node (history left out, pending ones unassigned), services with replicas, the edge's
 * routes, alerts for a store or node outage (the last state kept and marked stale, never an empty cluster),
 * and hostile text kept as plain data.
 */
import t from 'tap';
import type { KV } from '../../../agents/store/store.js';
import { buildView, type EngineFacts, type StoreStatus, type ViewInput } from '../../../agents/manage/ui/view.js';
import { modeState, routesModel } from '../../../agents/manage/ui/state.js';
import type { TaskRecord } from '../../../agents/manage/services/model.js';

const HOSTILE = '<img src=x onerror="window.pwned=1">';

function engine(n: number, over: Partial<EngineFacts> = {}): EngineFacts {
  return {
    addr: `10.0.0.${n}:2375`,
    name: `host${n}`,
    health: 'healthy',
    error: '',
    labels: { storagedriver: 'overlay2' },
    cpus: 4,
    memory: 8 * 2 ** 30,
    reservedCpus: 1,
    reservedMemory: 2 ** 30,
    ...over,
  };
}

const doc = { id: 'clu1', version: 1, tokens: { worker: {}, manager: {} } };
const nodeRec = (n: number, labels: Record<string, string> = {}) => ({
  key: `docker/swarm/mode/nodes/10.0.0.${n}:2375`,
  value: JSON.stringify({
    id: `node${n}`,
    cluster: 'clu1',
    addr: `10.0.0.${n}:2375`,
    createdAt: '',
    updatedAt: '',
    version: 1,
    spec: { Labels: labels, Role: n === 1 ? 'manager' : 'worker', Availability: 'active' },
  }),
});
const svc = (id: string, name: string, replicas: number) => ({
  key: `docker/swarm/mode/services/${id}`,
  value: JSON.stringify({
    id,
    version: 2,
    createdAt: '',
    updatedAt: '',
    spec: {
      Name: name,
      TaskTemplate: { ContainerSpec: { Image: 'shoal/busybox:latest' } },
      Mode: { Replicated: { Replicas: replicas } },
    },
  }),
});
function task(id: string, over: Partial<TaskRecord>): KV {
  const rec: TaskRecord = {
    id,
    serviceId: 'svc1',
    serviceName: 'web',
    slot: 1,
    specVersion: 1,
    specKey: 'k',
    desiredState: 'running',
    state: 'running',
    message: 'started',
    createdAt: 0,
    updatedAt: 0,
    restarts: [],
    ...over,
  };
  return { key: `docker/swarm/mode/tasks/${id}`, value: JSON.stringify(rec) };
}

const UP: StoreStatus = { state: 'up', since: 0 };
/** The routes store answering unless a test says otherwise. */
const view = (input: Omit<ViewInput, 'routesStore'> & { routesStore?: StoreStatus }) =>
  buildView({ routesStore: UP, ...input });
const entries: KV[] = [
  { key: 'docker/swarm/mode/cluster', value: JSON.stringify(doc) },
  nodeRec(1, { zone: 'a' }),
  nodeRec(2),
  svc('svc1', 'web', 3),
  task('t1', { nodeId: 'node1', slot: 1 }),
  task('t2', { nodeId: 'node2', slot: 2 }),
  task('t3', { nodeId: 'node2', slot: 3, state: 'starting' }),
  task('old', { nodeId: 'node1', slot: 1, desiredState: 'shutdown', state: 'failed' }),
  task('t4', { slot: 4, state: 'pending' }),
  { key: 'docker/swarm/mode/tasks/bad', value: 'not json' },
];
const routeEntries: KV[] = [
  { key: 'web-80/host1:web.1:80', value: '10.0.0.1:32768' },
  { key: 'web-80/host2:web.2:80', value: '10.0.0.2:32769' },
  { key: 'bad name-80/h:c:80', value: '10.0.0.1:1' },
];

t.test('nodes as columns with their current tasks; services; routes', async (t) => {
  const v = view({
    engines: [engine(2), engine(1)],
    mode: modeState(entries),
    routes: routesModel(routeEntries),
    store: UP,
  });
  t.equal(v.swarm, 'active');
  t.same(v.alerts, []);
  t.equal(v.stale, false);
  t.same(
    v.nodes.map((n) => [n.id, n.name, n.role, n.state, n.labels]),
    [
      ['node1', 'host1', 'manager', 'ready', { zone: 'a' }],
      ['node2', 'host2', 'worker', 'ready', {}],
    ],
  );
  t.same(
    v.nodes[0]!.tasks.map((x) => x.id),
    ['t1'],
    'history (desired shutdown, failed) is left out',
  );
  t.same(
    v.nodes[1]!.tasks.map((x) => [x.id, x.state]),
    [
      ['t2', 'running'],
      ['t3', 'starting'],
    ],
  );
  t.same(
    v.unassigned.map((x) => x.id),
    ['t4'],
  );
  t.match(v.nodes[0], { cpus: 4, reservedCpus: 1, memory: 8 * 2 ** 30, reservedMemory: 2 ** 30 });
  t.same(v.services, [
    { id: 'svc1', name: 'web', mode: 'replicated', desired: 3, running: 2, image: 'shoal/busybox:latest', ports: [] },
  ]);
  t.same(v.routes, [
    { id: 'web-80', name: 'web', port: 80, protocol: 'tcp', backends: ['10.0.0.1:32768', '10.0.0.2:32769'] },
  ]);
});

t.test('before swarm init: the engines alone, no services', async (t) => {
  const v = view({ engines: [engine(1)], mode: modeState([]), routes: routesModel([]), store: UP });
  t.equal(v.swarm, 'inactive');
  t.same(
    v.nodes.map((n) => [n.id, n.addr, n.role]),
    [['10.0.0.1:2375', '10.0.0.1:2375', undefined]],
  );
  t.same(v.services, []);
});

t.test('a store outage keeps the last state, marked stale, with a store alert', async (t) => {
  const lost: StoreStatus = {
    state: 'lost',
    since: Date.UTC(2026, 0, 1, 12, 30, 5),
    error: 'consul://x did not answer',
  };
  const v = view({
    engines: [engine(1), engine(2)],
    mode: modeState(entries),
    routes: routesModel(routeEntries),
    store: lost,
  });
  t.equal(v.stale, true);
  t.equal(v.nodes.length, 2, 'not an empty cluster');
  t.equal(v.nodes[1]!.tasks.length, 2);
  t.same(v.alerts, [
    {
      kind: 'store',
      text: 'store unreachable since 12:30:05 UTC: consul://x did not answer; showing the last state read',
    },
  ]);
  const never = view({
    engines: [engine(1)],
    mode: undefined,
    routes: undefined,
    store: { state: 'unknown', since: 0 },
  });
  t.equal(never.swarm, 'unknown', 'never read: unknown, not inactive');
  t.match(never.alerts, [{ kind: 'store', text: /store not reached yet/ }]);
  const routesOut = view({
    engines: [engine(1), engine(2)],
    mode: modeState(entries),
    routes: routesModel(routeEntries),
    store: UP,
    routesStore: { state: 'lost', since: Date.UTC(2026, 0, 1, 12, 31, 0), error: 'consul://y did not answer' },
  });
  t.equal(routesOut.stale, true);
  t.equal(routesOut.routes.length, 1, 'the last routes kept');
  t.same(routesOut.alerts, [
    {
      kind: 'store',
      text: 'routes store unreachable since 12:31:00 UTC: consul://y did not answer; showing the last state read',
    },
  ]);
  const none = view({
    engines: [engine(1)],
    mode: undefined,
    routes: undefined,
    store: { state: 'none', since: 0 },
    routesStore: { state: 'none', since: 0 },
  });
  t.equal(none.swarm, 'inactive', 'nodes:// discovery: no swarm mode');
  t.same(none.alerts, []);
});

t.test('a node outage: down, with its error, and an alert; a record without an engine is down', async (t) => {
  const v = view({
    engines: [engine(1, { health: 'unhealthy', error: 'connect ECONNREFUSED 10.0.0.1:2375' })],
    mode: modeState(entries),
    routes: undefined,
    store: UP,
  });
  t.same(v.nodes.map((n) => [n.id, n.state, n.error]).sort(), [
    ['node1', 'down', 'connect ECONNREFUSED 10.0.0.1:2375'],
    ['node2', 'down', 'engine not in discovery'],
  ]);
  t.same(
    v.alerts.map((a) => a.kind),
    ['node', 'node'],
  );
  t.ok(
    v.alerts.some((a) => /^node host1 \(10\.0\.0\.1:2375\) is down: connect ECONNREFUSED/.test(a.text)),
    'the alert names the node and why',
  );
  t.match(v.alerts[0]!.text, /^node 10\.0\.0\.2:2375 \(10\.0\.0\.2:2375\) is down: engine not in discovery/);
  const pending = view({
    engines: [engine(3, { health: 'pending' })],
    mode: undefined,
    routes: undefined,
    store: UP,
  });
  t.equal(pending.nodes[0]!.state, 'unknown', 'not answered yet: unknown, no alert');
  t.same(pending.alerts, []);
});

t.test('hostile text stays data: labels, names and errors are passed through unchanged', async (t) => {
  const hostile: KV[] = [
    { key: 'docker/swarm/mode/cluster', value: JSON.stringify(doc) },
    nodeRec(1, { [HOSTILE]: HOSTILE }),
  ];
  const v = view({
    engines: [engine(1, { name: HOSTILE, labels: { x: HOSTILE } })],
    mode: modeState(hostile),
    routes: undefined,
    store: UP,
  });
  t.same(v.nodes[0]!.labels, { [HOSTILE]: HOSTILE });
  t.equal(v.nodes[0]!.name, HOSTILE);
  t.equal(JSON.parse(JSON.stringify(v)).nodes[0].engineLabels.x, HOSTILE);
});

t.test('records of another cluster and keys that do not match their record are skipped', async (t) => {
  const foreign = { ...JSON.parse(nodeRec(3).value), cluster: 'other' };
  const m = modeState([
    { key: 'docker/swarm/mode/cluster', value: JSON.stringify(doc) },
    { key: 'docker/swarm/mode/nodes/10.0.0.3:2375', value: JSON.stringify(foreign) },
    { key: 'docker/swarm/mode/nodes/10.0.0.9:2375', value: nodeRec(1).value },
    { key: 'docker/swarm/mode/services/zzz', value: svc('svc1', 'web', 1).value },
  ]);
  t.same(m.nodes, []);
  t.same(m.services, []);
  t.same(modeState([nodeRec(1)]), { active: false, nodes: [], services: [], tasks: [] }, 'no cluster document');
});
