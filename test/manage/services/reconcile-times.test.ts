/**
 * The container's own start and end times decide a task's Monitor window, not when the manager happened to see
 * them: a new task that exited 200 ms after it started counts as an update failure even when the exit is
 * observed long after Monitor has passed (a loaded engine, a slow listing).
 */
import t from 'tap';
import type { ContainerSummary } from '../../../agents/docker/wire.js';
import { containerTimes } from '../../../agents/manage/cluster/cached.js';
import type { TaskRecord } from '../../../agents/manage/services/model.js';
import { observedTask } from '../../../agents/manage/orchestrator/observed.js';
import { reconcile } from '../../../agents/manage/services/reconcile.js';
import { taskLabels } from '../../../agents/manage/services/names.js';
import { specKey } from '../../../agents/manage/services/speckey.js';
import { node, replicated, T0 } from './sim.js';

t.test('containerTimes reads State.StartedAt/FinishedAt; the zero time is never', async (t) => {
  t.same(
    containerTimes({ State: { StartedAt: '2026-12-07T12:00:01.5Z', FinishedAt: '0001-01-01T00:00:00Z' } } as never),
    { startedAt: Date.parse('2026-12-07T12:00:01.5Z') },
  );
  t.equal(containerTimes(undefined), undefined);
});

t.test('observedTask carries the times; a running container has no end', async (t) => {
  const labels = taskLabels(
    { serviceId: 's', serviceName: 'web', taskId: 'task1', slot: 1, nodeId: 'n1', specKey: 'k' },
    {},
  );
  const summary = (State: string, Status: string) =>
    ({ Id: 'c1', Names: ['/web.1.task1'], Labels: labels, State, Status }) as unknown as ContainerSummary;
  const times = { startedAt: T0 + 1000, finishedAt: T0 + 1200 };
  const exited = observedTask(summary('exited', 'Exited (1) 3 seconds ago'), 'n1', times);
  t.match(exited, { state: 'exited', exitCode: 1, startedAt: T0 + 1000, finishedAt: T0 + 1200 });
  const running = observedTask(summary('running', 'Up 1 second'), 'n1', times);
  t.match(running, { state: 'running', startedAt: T0 + 1000 });
  t.equal(running?.finishedAt, undefined);
});

t.test('an exit seen after Monitor has passed still fails the update when it came within Monitor', async (t) => {
  const svc = replicated('s', 'web', 1, {
    UpdateConfig: { Parallelism: 1, Monitor: 5e9, FailureAction: 'pause' },
    TaskTemplate: { ContainerSpec: { Image: 'busybox:2' }, RestartPolicy: { Delay: 0 } },
  });
  svc.updateStatus = { State: 'updating', StartedAt: T0, Message: 'update in progress' };
  const task: TaskRecord = {
    id: 'task1',
    serviceId: 's',
    serviceName: 'web',
    slot: 1,
    nodeId: 'n1',
    specVersion: svc.version,
    specKey: specKey(svc.spec),
    desiredState: 'running',
    state: 'running',
    message: 'started',
    createdAt: T0,
    updatedAt: T0 + 1000,
    startedAt: T0 + 1000,
    containerId: 'c1',
    restarts: [],
    rollout: true,
  };
  const r = reconcile({
    services: [svc],
    nodes: [node('n1')],
    tasks: [task],
    observed: [
      {
        containerId: 'c1',
        nodeId: 'n1',
        serviceId: 's',
        serviceName: 'web',
        taskId: 'task1',
        slot: 1,
        specKey: task.specKey,
        state: 'exited',
        exitCode: 1,
        health: 'none',
        startedAt: T0 + 1000,
        finishedAt: T0 + 1200,
      },
    ],
    now: T0 + 20_000,
  });
  t.match(r.updateStatus, [{ serviceId: 's', status: { State: 'paused' } }]);
  t.match(
    r.tasks.find((x) => x.id === 'task1'),
    { state: 'failed', updatedAt: T0 + 1200 },
  );
});
