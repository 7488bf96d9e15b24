/**
 * The services shell's pure parts: service and task views (the fields the CLI depends on), the /services and
 * /tasks filters (prefixes, `_up-to-date`, labels of the service), and task containers read off a listing.
 */
import t from 'tap';
import { observedTask } from '../../../agents/manage/orchestrator/observed.js';
import {
  filterServices,
  filterTasks,
  parseServiceRecord,
  serviceView,
  taskView,
  unknownFilter,
  type Service,
} from '../../../agents/manage/orchestrator/records.js';
import type { TaskRecord } from '../../../agents/manage/services/model.js';
import { taskLabels } from '../../../agents/manage/services/names.js';

const ID = 'a'.repeat(25);

function svc(id: string, body: Record<string, unknown>, extra: Record<string, unknown> = {}): Service {
  const rec = { id, version: 3, createdAt: 'c', updatedAt: 'u', spec: body, ...extra };
  const s = parseServiceRecord(JSON.stringify(rec));
  if (!s) throw new Error('unreadable');
  return s;
}

const web = svc(ID, {
  Name: 'web',
  Labels: { tier: 'front' },
  TaskTemplate: { ContainerSpec: { Image: 'shoal/busybox:latest', Isolation: 'default' }, Runtime: 'container' },
  Mode: { Replicated: {} },
});

function task(over: Partial<TaskRecord>): TaskRecord {
  return {
    id: 't'.repeat(25),
    serviceId: ID,
    serviceName: 'web',
    slot: 1,
    nodeId: 'n1',
    specVersion: 3,
    specKey: web.key,
    desiredState: 'running',
    state: 'running',
    message: 'started',
    createdAt: 1000,
    updatedAt: 2000,
    restarts: [],
    ...over,
  };
}

t.test(
  'service view: the body echoes back, Replicas always filled in, ServiceStatus counts running tasks on up nodes',
  async (t) => {
    const tasks = [
      task({}),
      task({ id: 'x'.repeat(25), slot: 2, nodeId: 'down' }),
      task({ id: 'y'.repeat(25), slot: 3, state: 'starting' }),
    ];
    const v = serviceView(web, { tasks, upNodes: new Set(['n1']), nodeCount: 1 }) as any;
    t.equal(v.Version.Index, 3);
    t.same(v.Spec.Mode, { Replicated: { Replicas: 1 } });
    t.equal(v.Spec.TaskTemplate.Runtime, 'container', 'ignored fields echo back');
    t.equal(v.Spec.TaskTemplate.ContainerSpec.Isolation, 'default');
    t.same(v.ServiceStatus, { RunningTasks: 1, DesiredTasks: 1, CompletedTasks: 0 });
    t.notOk('UpdateStatus' in v, 'no UpdateStatus for a plain create');
    t.notOk('ServiceStatus' in (serviceView(web) as object));
  },
);

t.test('task view: ContainerSpec always present, no NodeID while pending, epoch ms as RFC 3339', async (t) => {
  const v = taskView(task({ containerId: 'c1' }), web) as any;
  t.equal(v.Spec.ContainerSpec.Image, 'shoal/busybox:latest');
  t.equal(v.NodeID, 'n1');
  t.equal(v.Status.Timestamp, new Date(2000).toISOString());
  t.same(v.Status.ContainerStatus, { ContainerID: 'c1', PID: 1, ExitCode: 0 });
  const pending = taskView(
    task({ nodeId: undefined, state: 'pending', message: 'pending task scheduling' }),
    web,
  ) as any;
  t.notOk('NodeID' in pending);
  t.notOk('ContainerStatus' in pending.Status);
  t.same((taskView(task({}), undefined) as any).Spec.ContainerSpec, { Image: '' }, 'a removed service still prints');
});

t.test('service filters: id and name are prefixes, label key or key=value, mode', async (t) => {
  const other = svc('b'.repeat(25), {
    Name: 'webapp',
    TaskTemplate: { ContainerSpec: { Image: 'x' } },
    Mode: { Global: {} },
  });
  const all = [web, other];
  const names = (f: Record<string, string[]>) => filterServices(all, f).map((s) => s.spec.Name);
  t.same(names({ id: ['aaa'] }), ['web']);
  t.same(names({ name: ['web'] }), ['web', 'webapp']);
  t.same(names({ label: ['tier'] }), ['web']);
  t.same(names({ label: ['tier=back'] }), []);
  t.same(names({ mode: ['global'] }), ['webapp']);
  t.equal(unknownFilter({ nope: ['1'] }, 'services'), 'nope');
  t.equal(unknownFilter({ '_up-to-date': ['true'] }, 'tasks'), undefined);
});

t.test('task filters: service by ID, name or prefix; _up-to-date keeps only tasks of the current spec', async (t) => {
  const byId = new Map([[ID, web]]);
  const old = task({ id: 'o'.repeat(25), specKey: 'older', desiredState: 'shutdown', state: 'shutdown' });
  const tasks = [task({}), old];
  const ids = (f: Record<string, string[]>) => filterTasks(tasks, byId, f).map((x) => x.id[0]);
  t.same(ids({ service: ['web'] }), ['t', 'o']);
  t.same(ids({ service: [ID] }), ['t', 'o']);
  t.same(ids({ service: ['aaaa'] }), ['t', 'o']);
  t.same(ids({ service: ['nope'] }), []);
  t.same(ids({ '_up-to-date': ['true'], service: [ID] }), ['t']);
  t.same(ids({ 'desired-state': ['shutdown'] }), ['o']);
  t.same(ids({ node: ['n2'] }), []);
  t.same(ids({ name: ['web.1'] }), ['t', 'o']);
  t.same(ids({ label: ['tier=front'] }), ['t', 'o'], 'labels of the service');
});

t.test('observed task containers: identity from the labels, exit code and health from the status', async (t) => {
  const labels = taskLabels(
    { serviceId: ID, serviceName: 'web', taskId: 't'.repeat(25), slot: 2, nodeId: 'n1', specKey: 'k' },
    {},
  );
  const o = observedTask({ Id: 'c1', Labels: labels, State: 'exited', Status: 'Exited (3) 2 seconds ago' }, 'n9');
  t.match(o, { containerId: 'c1', nodeId: 'n9', slot: 2, state: 'exited', exitCode: 3, health: 'none', specKey: 'k' });
  const h = observedTask(
    { Id: 'c2', Labels: labels, State: 'running', Status: 'Up 3 seconds (health: starting)' },
    'n1',
  );
  t.equal(h?.health, 'starting');
  t.equal(observedTask({ Id: 'c3', Labels: { a: 'b' }, State: 'running' }, 'n1'), undefined, 'not a task container');
});
