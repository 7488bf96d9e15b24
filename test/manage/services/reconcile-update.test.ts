import t from 'tap';
import type { DesiredService } from '../../../agents/manage/services/model.js';
import { parseServiceSpec } from '../../../agents/manage/services/spec.js';
import { nodes, Sim } from './sim.js';

function svc(
  replicas: number,
  image: string,
  update: Record<string, unknown> = {},
  rollback: Record<string, unknown> = {},
): DesiredService {
  return {
    id: 's',
    version: 10,
    updateStatus: null,
    spec: parseServiceSpec({
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: image }, RestartPolicy: { Delay: 0 } },
      Mode: { Replicated: { Replicas: replicas } },
      UpdateConfig: { Parallelism: 1, Delay: 0, Monitor: 5e9, ...update },
      RollbackConfig: { Parallelism: 0, Monitor: 0, ...rollback },
    }),
  };
}

/** The service's spec moves to `image` (as `service update --image`), keeping the old one as PreviousSpec. */
function updateImage(sim: Sim, image: string): void {
  const s = sim.svc('s');
  s.previousSpec = s.spec;
  s.spec = {
    ...s.spec,
    TaskTemplate: { ...s.spec.TaskTemplate, ContainerSpec: { ...s.spec.TaskTemplate.ContainerSpec, Image: image } },
  };
  s.version++;
  s.updateStatus = null;
}

interface Trace {
  /** Per step: the slots whose new-spec container is running or created. */
  maxInFlight: number;
  /** Slot order in which new-spec tasks were created. */
  order: number[];
  /** Steps where a slot had two running containers. */
  overlaps: number;
  steps: number;
  statuses: string[];
}

/**
 * Steps the update one second at a time until UpdateStatus settles (or `limit` steps), crashing every
 * container of `crashKey` right after it starts.
 */
function drive(sim: Sim, limit = 200, crashKey?: string): Trace {
  const tr: Trace = { maxInFlight: 0, order: [], overlaps: 0, steps: 0, statuses: [] };
  const seen = new Set<string>();
  const key = () => sim.live('s').find((x) => x.specVersion === sim.svc('s').version)?.specKey;
  for (let i = 0; i < limit; i++) {
    const r = sim.step();
    tr.steps++;
    const st = sim.svc('s').updateStatus?.State ?? 'null';
    if (tr.statuses.at(-1) !== st) tr.statuses.push(st);
    for (const x of r.tasks)
      if (x.rollout && !seen.has(x.id)) {
        seen.add(x.id);
        tr.order.push(x.slot);
      }
    const bySlot = new Map<string, number>();
    for (const c of sim.observed()) {
      const k = c.slot > 0 ? String(c.slot) : c.nodeId;
      if (c.state === 'running') bySlot.set(k, (bySlot.get(k) ?? 0) + 1);
    }
    if ([...bySlot.values()].some((n) => n > 1)) tr.overlaps++;
    const inFlight = new Set(
      r.tasks
        .filter(
          (x) => x.rollout && x.state !== 'running' && (x.desiredState === 'running' || x.desiredState === 'ready'),
        )
        .map((x) => x.slot),
    );
    tr.maxInFlight = Math.max(tr.maxInFlight, inFlight.size);
    if (crashKey)
      for (const c of sim.containers.values())
        if (c.specKey === crashKey && c.state === 'running') sim.exit(c.taskId, 1);
    if (['completed', 'paused', 'rollback_completed', 'rollback_paused'].includes(st) && r.actions.length === 0) break;
    sim.advance(1000);
  }
  void key;
  return tr;
}

const keyOf = (sim: Sim) => sim.live('s')[0]!.specKey;

t.test('stop-first, parallelism 1: one slot at a time, the old task stopped before the new one starts', async (t) => {
  const sim = new Sim([svc(3, 'busybox:1')], nodes(3));
  sim.settle();
  updateImage(sim, 'busybox:2');
  const r = sim.step();
  t.match(sim.svc('s').updateStatus, { State: 'updating', Message: 'update in progress' });
  t.same(r.actions.map((a) => [a.kind, 'start' in a ? a.start : '']).sort(), [
    ['create', false],
    ['stop', ''],
  ]);
  const first = sim.live('s').find((x) => x.desiredState === 'ready')!;
  t.match(first, { slot: 1, rollout: true, state: 'assigned' });
  t.same(
    sim.step().actions.map((a) => a.kind),
    ['start'],
    'started once the old task has stopped',
  );
  const tr = drive(sim);
  t.same(tr.order, [1, 2, 3]);
  t.equal(tr.overlaps, 0, 'never two running containers in a slot');
  t.equal(tr.maxInFlight, 1);
  t.match(sim.svc('s').updateStatus, { State: 'completed', Message: 'update completed' });
  t.equal(sim.running('s').length, 3);
  t.ok(sim.running('s').every((x) => x.specKey === keyOf(sim) && x.specVersion === 11));
  t.equal(sim.tasks.filter((x) => x.state === 'shutdown').length, 3, 'the old tasks stay as history');
});

t.test('start-first, parallelism 2: new tasks run before the old ones stop, two slots at a time', async (t) => {
  const sim = new Sim([svc(4, 'busybox:1', { Parallelism: 2, Order: 'start-first' })], nodes(2));
  sim.settle();
  updateImage(sim, 'busybox:2');
  const r = sim.step();
  t.same(
    r.actions.map((a) => [a.kind, 'start' in a ? a.start : '']),
    [
      ['create', true],
      ['create', true],
    ],
  );
  t.equal(sim.running('s').length, 4, 'no old task stopped yet');
  const next = sim.step();
  t.same(next.actions.filter((a) => a.kind === 'stop').length, 2, 'old tasks stopped once the new ones run');
  const tr = drive(sim);
  t.ok(tr.maxInFlight <= 2);
  t.match(sim.svc('s').updateStatus, { State: 'completed' });
  t.equal(sim.running('s').length, 4);
});

t.test('Delay spaces the slots; Monitor holds "completed" until the last new task has run that long', async (t) => {
  const sim = new Sim([svc(2, 'busybox:1', { Delay: 10e9, Monitor: 20e9 })], nodes(2));
  sim.settle();
  updateImage(sim, 'busybox:2');
  const start = sim.now;
  const created: Record<number, number> = {};
  for (let i = 0; i < 80 && sim.svc('s').updateStatus?.State !== 'completed'; i++) {
    const r = sim.step();
    for (const a of r.actions) if (a.kind === 'create') created[a.slot] = sim.now - start;
    sim.advance(1000);
  }
  t.equal(created[1], 0);
  t.ok(created[2]! >= 10_000 && created[2]! <= 13_000, `slot 2 after the 10 s delay (${created[2]} ms)`);
  const st = sim.svc('s').updateStatus!;
  t.ok(st.CompletedAt! - start >= created[2]! + 20_000, 'completed only after the 20 s monitor');
});

t.test('a failing update pauses (FailureAction pause): the remaining slots keep the old spec', async (t) => {
  const sim = new Sim([svc(3, 'busybox:1', { FailureAction: 'pause' })], nodes(3));
  sim.settle();
  const oldKey = keyOf(sim);
  updateImage(sim, 'busybox:bad');
  sim.step();
  const badKey = sim.live('s').find((x) => x.rollout)!.specKey;
  const tr = drive(sim, 60, badKey);
  t.match(sim.svc('s').updateStatus, {
    State: 'paused',
    Message: /^update paused due to failure or early termination of task /,
  });
  t.same([...new Set(tr.order)], [1], 'only slot 1 was updated (its task restarted)');
  t.equal(sim.live('s').filter((x) => x.specKey === oldKey && x.state === 'running').length, 2);
  sim.advance(5000);
  t.same(
    sim
      .step()
      .actions.filter(
        (a) =>
          a.kind === 'stop' && a.taskId !== undefined && sim.tasks.find((x) => x.id === a.taskId)?.specKey === oldKey,
      ),
    [],
    'paused: no old task is stopped',
  );
});

t.test(
  'FailureAction rollback: the rollback action, then the previous spec rolls out with RollbackConfig',
  async (t) => {
    const sim = new Sim([svc(3, 'busybox:1', { FailureAction: 'rollback' })], nodes(3));
    sim.settle();
    const oldKey = keyOf(sim);
    updateImage(sim, 'busybox:bad');
    sim.step();
    const badKey = sim.live('s').find((x) => x.rollout)!.specKey;
    let sawRollback = false;
    for (let i = 0; i < 60; i++) {
      const r = sim.step();
      if (r.actions.some((a) => a.kind === 'rollback')) sawRollback = true;
      for (const c of sim.containers.values()) if (c.specKey === badKey && c.state === 'running') sim.exit(c.taskId, 1);
      if (sim.svc('s').updateStatus?.State === 'rollback_completed') break;
      sim.advance(1000);
    }
    t.ok(sawRollback, 'a rollback action was emitted');
    t.match(sim.svc('s').updateStatus, { State: 'rollback_completed', Message: 'rollback completed' });
    t.equal(sim.running('s').length, 3);
    t.ok(sim.running('s').every((x) => x.specKey === oldKey));
    t.equal(sim.svc('s').spec.TaskTemplate.ContainerSpec.Image, 'busybox:1');
  },
);

t.test('FailureAction continue: the update goes on through failures', async (t) => {
  const sim = new Sim([svc(3, 'busybox:1', { FailureAction: 'continue' })], nodes(3));
  sim.settle();
  updateImage(sim, 'busybox:bad');
  sim.step();
  const badKey = sim.live('s').find((x) => x.rollout)!.specKey;
  drive(sim, 30, badKey);
  t.same(new Set(sim.live('s').map((x) => x.slot)), new Set([1, 2, 3]));
  t.ok(
    sim.live('s').every((x) => x.specKey === badKey),
    'every slot moved to the new spec',
  );
  t.equal(sim.svc('s').updateStatus?.State, 'completed', 'completed: every slot was updated');
});

t.test('MaxFailureRatio tolerates that share of failures', async (t) => {
  const sim = new Sim(
    [svc(4, 'busybox:1', { FailureAction: 'pause', MaxFailureRatio: 0.5, Parallelism: 0 })],
    nodes(2),
  );
  sim.settle();
  updateImage(sim, 'busybox:2');
  sim.step();
  const victim = sim.live('s').find((x) => x.rollout)!;
  sim.step();
  sim.exit(victim.id, 1);
  drive(sim, 40);
  t.match(sim.svc('s').updateStatus, { State: 'completed' }, '1 failure of 4 is within 0.5');
});

t.test('a manually requested rollback (status set by the API) rolls back with RollbackConfig', async (t) => {
  const sim = new Sim([svc(3, 'busybox:1', {}, { Parallelism: 0, Order: 'stop-first' })], nodes(3));
  sim.settle();
  updateImage(sim, 'busybox:2');
  drive(sim);
  t.equal(sim.svc('s').updateStatus?.State, 'completed');
  const s = sim.svc('s');
  [s.spec, s.previousSpec] = [s.previousSpec!, s.spec];
  s.version++;
  s.updateStatus = { State: 'rollback_started', StartedAt: sim.now, Message: 'manually requested rollback' };
  const r = sim.step();
  t.equal(r.actions.filter((a) => a.kind === 'stop').length, 3, 'parallelism 0: every slot at once');
  const tr = drive(sim);
  t.ok(tr.statuses.includes('rollback_completed'));
  t.ok(sim.running('s').every((x) => x.specKey === keyOf(sim)));
});

t.test('only task-spec changes update tasks: scale and service labels do not', async (t) => {
  const sim = new Sim([svc(2, 'busybox:1')], nodes(2));
  sim.settle();
  const s = sim.svc('s');
  s.spec = { ...s.spec, Labels: { x: 'y' }, Mode: { kind: 'replicated', replicas: 3 } };
  s.version++;
  const r = sim.step();
  t.same(
    r.actions.map((a) => a.kind),
    ['create'],
  );
  t.same(r.updateStatus, []);
});

t.test('a pending task of the old spec is replaced and leaves no stuck record', async (t) => {
  const big = (mem: number) => ({
    id: 's',
    version: 10,
    updateStatus: null,
    spec: parseServiceSpec({
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: 'a:1' }, Resources: { Reservations: { MemoryBytes: mem } } },
      Mode: { Replicated: { Replicas: 2 } },
      UpdateConfig: { Monitor: 0 },
    }),
  });
  const sim = new Sim([big(6 * 1024 ** 3)], nodes(1));
  sim.settle();
  t.equal(sim.live('s').filter((x) => x.state === 'pending').length, 1);
  sim.services = [{ ...big(1024 ** 3), version: 11 }];
  drive(sim, 20);
  t.equal(sim.running('s').length, 2);
  t.equal(sim.svc('s').updateStatus?.State, 'completed');
  t.notOk(
    sim.tasks.some((x) => x.desiredState === 'shutdown' && x.state === 'pending'),
    'the old pending task ended as shutdown',
  );
});

t.test('a global service rolls node by node', async (t) => {
  const g: DesiredService = {
    id: 's',
    version: 10,
    updateStatus: null,
    spec: parseServiceSpec({
      Name: 'agent',
      TaskTemplate: { ContainerSpec: { Image: 'agent:1' } },
      Mode: { Global: {} },
      UpdateConfig: { Parallelism: 1, Monitor: 0 },
    }),
  };
  const sim = new Sim([g], nodes(3));
  sim.settle();
  updateImage(sim, 'agent:2');
  const tr = drive(sim);
  t.equal(tr.maxInFlight, 1);
  t.equal(tr.overlaps, 0);
  t.same(sim.spread('s'), { n1: 1, n2: 1, n3: 1 });
  t.ok(sim.running('s').every((x) => x.specVersion === 11 && x.slot === 0));
  t.equal(sim.svc('s').updateStatus?.State, 'completed');
});
