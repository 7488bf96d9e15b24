import t from 'tap';
import { isTerminal, rank, type ObservedTask, type TaskRecord } from '../../../agents/manage/services/model.js';
import { adopt, observe } from '../../../agents/manage/services/observe.js';
import { restartDecision } from '../../../agents/manage/services/restart.js';
import { pruneSlot } from '../../../agents/manage/services/history.js';

const rec = (over: Partial<TaskRecord> = {}): TaskRecord => ({
  id: 't1',
  serviceId: 's',
  serviceName: 'web',
  slot: 1,
  nodeId: 'n1',
  specVersion: 1,
  specKey: 'k',
  desiredState: 'running',
  state: 'assigned',
  message: 'scheduler assigned task to node',
  createdAt: 1000,
  updatedAt: 1000,
  restarts: [],
  ...over,
});

const box = (over: Partial<ObservedTask> = {}): ObservedTask => ({
  containerId: 'c1',
  nodeId: 'n1',
  serviceId: 's',
  serviceName: 'web',
  taskId: 't1',
  slot: 1,
  specKey: 'k',
  state: 'running',
  exitCode: 0,
  health: 'none',
  startedAt: 2000,
  ...over,
});

t.test('task states keep swarm rank order; complete and later are terminal', async (t) => {
  t.ok(rank('pending') < rank('assigned') && rank('assigned') < rank('ready') && rank('ready') < rank('running'));
  t.ok(rank('running') < rank('complete') && rank('shutdown') < rank('failed') && rank('failed') < rank('rejected'));
  t.same((['running', 'complete', 'shutdown', 'failed', 'rejected', 'orphaned'] as const).map(isTerminal), [
    false,
    true,
    true,
    true,
    true,
    true,
  ]);
});

t.test('container -> task state', async (t) => {
  const cases: [string, Partial<TaskRecord>, Partial<ObservedTask> | undefined, Partial<TaskRecord>][] = [
    ['not created yet', {}, undefined, { state: 'assigned' }],
    ['created, not started', {}, { state: 'created' }, { state: 'ready', message: 'prepared', containerId: 'c1' }],
    ['running', {}, {}, { state: 'running', message: 'started', startedAt: 2000, updatedAt: 2000 }],
    ['health starting', {}, { health: 'starting' }, { state: 'starting' }],
    ['healthy', { state: 'starting' }, { health: 'healthy' }, { state: 'running' }],
    [
      'unhealthy',
      { state: 'running' },
      { health: 'unhealthy' },
      { state: 'failed', err: 'task: container is unhealthy' },
    ],
    [
      'exit 0',
      { state: 'running' },
      { state: 'exited', exitCode: 0, finishedAt: 3000 },
      { state: 'complete', message: 'finished', exitCode: 0, updatedAt: 3000 },
    ],
    [
      'exit 3',
      { state: 'running' },
      { state: 'exited', exitCode: 3, finishedAt: 3000 },
      { state: 'failed', err: 'task: non-zero exit (3)', exitCode: 3 },
    ],
    ['dead', { state: 'running' }, { state: 'dead', exitCode: 137 }, { state: 'failed', err: 'task: container dead' }],
    [
      'stopped by us',
      { state: 'running', desiredState: 'shutdown' },
      { state: 'exited', exitCode: 143 },
      { state: 'shutdown', message: 'shutdown' },
    ],
    [
      'removed behind our back',
      { state: 'running', containerId: 'c1' },
      undefined,
      { state: 'failed', err: 'task: container removed' },
    ],
    ['never created, then stopped', { desiredState: 'shutdown' }, undefined, { state: 'shutdown' }],
    [
      'pending, then stopped',
      { state: 'pending', nodeId: undefined, desiredState: 'shutdown' },
      undefined,
      { state: 'shutdown' },
    ],
    ['terminal sticks', { state: 'failed', err: 'x' }, {}, { state: 'failed', err: 'x' }],
  ];
  for (const [what, r, c, want] of cases) {
    const got = observe(rec(r), c === undefined ? undefined : box(c), true, 5000);
    t.match(got, want, what);
    if (!('err' in want)) t.notOk('err' in got, `${what}: no err`);
  }
  const r = rec({ state: 'running' });
  t.equal(observe(r, undefined, false, 5000), r, 'a Down node: nothing concluded');
  const running = rec({ state: 'running', containerId: 'c1', startedAt: 2000 });
  t.equal(observe(running, box(), true, 5000), running, 'unchanged: the same object (no write)');
});

t.test('adopting a running container without record', async (t) => {
  t.match(adopt(box({ slot: 2 }), 7, 9000), {
    id: 't1',
    slot: 2,
    nodeId: 'n1',
    specVersion: 7,
    desiredState: 'running',
    state: 'running',
  });
});

t.test('restart decisions', async (t) => {
  const failed = rec({ state: 'failed', updatedAt: 100_000 });
  const any = { Condition: 'any' as const, Delay: 5e9, MaxAttempts: 0, Window: 0 };
  t.same(restartDecision(failed, any, 'k'), { restart: true, notBefore: 105_000, restarts: [] });
  t.match(restartDecision(rec({ state: 'complete' }), { ...any, Condition: 'on-failure' }, 'k'), { restart: false });
  t.match(restartDecision(rec({ state: 'rejected' }), { ...any, Condition: 'on-failure' }, 'k'), { restart: true });
  t.match(restartDecision(failed, { ...any, Condition: 'none' }, 'k'), {
    restart: false,
    why: 'restart condition none',
  });
  const max = { ...any, MaxAttempts: 2, Window: 10e9 };
  t.same(restartDecision({ ...failed, restarts: [95_000] }, max, 'k'), {
    restart: true,
    notBefore: 105_000,
    restarts: [95_000, 100_000],
  });
  t.match(restartDecision({ ...failed, restarts: [95_000, 99_000] }, max, 'k'), { restart: false });
  t.match(
    restartDecision({ ...failed, restarts: [80_000, 99_000] }, max, 'k'),
    { restart: true },
    'outside the window',
  );
  t.match(
    restartDecision({ ...failed, restarts: [95_000, 99_000] }, max, 'other'),
    { restart: true },
    'a new spec resets the count',
  );
  t.match(
    restartDecision({ ...failed, restarts: [1, 2] }, { ...max, Window: 0 }, 'k'),
    { restart: false },
    'window 0: all time',
  );
});

t.test('history: at most 5 per slot, newest kept, live and final tasks never dropped', async (t) => {
  const old = Array.from({ length: 7 }, (_, i) =>
    rec({ id: `h${i}`, createdAt: i, state: 'failed', desiredState: 'shutdown' }),
  );
  const live = rec({ id: 'live', createdAt: 0, state: 'running' });
  const dropped = pruneSlot([...old, live]).map((x) => x.id);
  t.same(dropped.sort(), ['h0', 'h1', 'h2'], 'the live one counts, the oldest history goes');
  t.same(pruneSlot(old.slice(0, 5)), []);
  const fin = rec({ id: 'fin', createdAt: -1, state: 'complete', desiredState: 'shutdown', final: true });
  t.notOk(pruneSlot([...old, fin]).some((x) => x.id === 'fin'));
});
