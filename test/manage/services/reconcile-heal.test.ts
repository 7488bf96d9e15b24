import t from 'tap';
import { rejectTask } from '../../../agents/manage/services/observe.js';
import { nodes, replicated, Sim, node } from './sim.js';

const restart = (p: Record<string, unknown>) => ({ TaskTemplate: { RestartPolicy: p } });

t.test('a task that exits non-zero is failed and replaced in its slot after the restart delay', async (t) => {
  const sim = new Sim([replicated('s', 'web', 1, restart({ Condition: 'any', Delay: 5e9 }))], nodes(2));
  sim.settle();
  const first = sim.live('s')[0]!;
  sim.advance(1000);
  sim.exit(first.id, 3);
  const r = sim.step();
  const old = r.tasks.find((x) => x.id === first.id)!;
  t.match(old, { state: 'failed', desiredState: 'shutdown', err: 'task: non-zero exit (3)', exitCode: 3 });
  const repl = sim.live('s')[0]!;
  t.match(repl, { slot: 1, desiredState: 'ready', state: 'assigned', notBefore: sim.now + 5000 });
  t.same(
    r.actions.map((a) => [a.kind, 'start' in a ? a.start : undefined]),
    [['create', false]],
    'created, held (not started) during the delay',
  );
  sim.advance(4999);
  t.same(sim.step().actions, [], 'nothing before the delay is over');
  t.equal(sim.live('s')[0]!.state, 'ready');
  sim.advance(1);
  t.same(
    sim.step().actions.map((a) => a.kind),
    ['start'],
  );
  t.equal(sim.step().actions.length, 0);
  t.match(sim.live('s')[0]!, { id: repl.id, state: 'running', desiredState: 'running' });
});

t.test('restart conditions: none keeps the ended task; on-failure restarts only failures', async (t) => {
  const none = new Sim([replicated('s', 'job', 1, restart({ Condition: 'none' }))], nodes(1));
  none.settle();
  none.exit(none.live('s')[0]!.id, 1);
  t.same(none.step().actions, []);
  t.match(none.tasks, [{ state: 'failed', desiredState: 'shutdown', final: true }]);
  none.advance(60_000);
  t.same(none.step().actions, [], 'the slot is not refilled later either');

  const onf = new Sim([replicated('s', 'job', 2, restart({ Condition: 'on-failure', Delay: 0 }))], nodes(1));
  onf.settle();
  const [a, b] = onf.live('s');
  onf.exit(a!.id, 0);
  onf.exit(b!.id, 2);
  const r = onf.step();
  t.same(
    r.actions.map((x) => x.kind),
    ['create'],
    'only the failure is replaced',
  );
  t.match(
    r.tasks.find((x) => x.id === a!.id),
    { state: 'complete', message: 'finished', final: true },
  );
  t.equal(onf.live('s').length, 1);
  t.equal(onf.live('s')[0]!.slot, b!.slot);
});

t.test('MaxAttempts counts restarts within Window; outside the window they no longer count', async (t) => {
  const sim = new Sim(
    [replicated('s', 'crash', 1, restart({ Condition: 'any', Delay: 0, MaxAttempts: 2, Window: 10e9 }))],
    nodes(1),
  );
  sim.settle();
  const crash = () => {
    sim.advance(1000);
    sim.exit(sim.live('s')[0]!.id, 1);
    return sim.step();
  };
  t.equal(crash().actions.length, 1, 'restart 1');
  t.equal(crash().actions.length, 1, 'restart 2');
  t.same(crash().actions, [], 'third failure within 10s: attempts exhausted');
  t.equal(sim.live('s').length, 0);
  t.ok(sim.tasks.some((x) => x.final));

  const slow = new Sim(
    [replicated('s', 'crash', 1, restart({ Condition: 'any', Delay: 0, MaxAttempts: 2, Window: 10e9 }))],
    nodes(1),
  );
  slow.settle();
  for (let i = 0; i < 6; i++) {
    slow.advance(6000);
    slow.exit(slow.live('s')[0]!.id, 1);
    const creates = slow.step().actions.filter((a) => a.kind === 'create');
    t.equal(creates.length, 1, `failure ${i + 1}, 6 s apart: at most 2 in any 10 s, restarted`);
  }
});

t.test('a changed spec gives a slot that gave up a new task', async (t) => {
  const sim = new Sim([replicated('s', 'job', 1, restart({ Condition: 'none' }))], nodes(1));
  sim.settle();
  sim.exit(sim.live('s')[0]!.id, 0);
  sim.step();
  t.equal(sim.live('s').length, 0);
  const s = sim.svc('s');
  s.spec = { ...s.spec, TaskTemplate: { ...s.spec.TaskTemplate, ForceUpdate: 1 } };
  s.version++;
  sim.settle();
  t.equal(sim.running('s').length, 1);
});

t.test('a container removed behind our back is a failure; history keeps 5 tasks per slot', async (t) => {
  const sim = new Sim([replicated('s', 'web', 1, restart({ Delay: 0 }))], nodes(1));
  sim.settle();
  sim.containers.delete(sim.live('s')[0]!.id);
  const r = sim.step();
  t.match(
    r.tasks.find((x) => x.desiredState === 'shutdown'),
    { state: 'failed', err: 'task: container removed' },
  );
  for (let i = 0; i < 8; i++) {
    sim.advance(1000);
    sim.exit(sim.live('s')[0]!.id, 1);
    sim.settle();
  }
  t.equal(sim.tasks.length, 5, '5 records kept');
  t.equal(sim.containers.size, 5, 'pruned tasks lose their containers');
  const newest = [...sim.tasks].sort((a, b) => b.createdAt - a.createdAt);
  t.equal(newest[0]!.desiredState, 'running', 'the live task is among them');
  t.ok(sim.last!.deleted.length === 0);
});

t.test(
  'a Down node: its tasks are re-placed on healthy nodes; when it returns the stale copies are stopped',
  async (t) => {
    const sim = new Sim([replicated('s', 'web', 4)], nodes(3));
    sim.settle();
    const onN1 = sim.live('s').filter((x) => x.nodeId === 'n1');
    t.ok(onN1.length >= 1);
    sim.nodes[0] = { ...sim.nodes[0]!, state: 'down' };
    sim.advance(1000);
    const r = sim.step();
    t.same(r.actions.filter((a) => a.kind === 'create').length, onN1.length, 're-placed at once');
    t.ok(r.actions.every((a) => a.kind === 'create' && a.nodeId !== 'n1' && a.start));
    for (const x of onN1)
      t.match(
        r.tasks.find((y) => y.id === x.id),
        { desiredState: 'shutdown', state: 'running' },
      );
    sim.settle();
    t.equal(sim.running('s').length, 4);
    sim.nodes[0] = { ...sim.nodes[0]!, state: 'ready' };
    const back = sim.step();
    t.same(
      back.actions.map((a) => [a.kind, a.kind === 'rollback' ? '' : a.taskId]),
      onN1.map((x) => ['stop', x.id]),
    );
    sim.settle();
    t.equal(sim.observed().filter((c) => c.state === 'running').length, 4);
    for (const x of onN1)
      t.match(
        sim.tasks.find((y) => y.id === x.id),
        { state: 'shutdown' },
      );
  },
);

t.test('drain moves tasks off; pause keeps them but takes no new ones', async (t) => {
  const sim = new Sim([replicated('s', 'web', 3)], nodes(3));
  sim.settle();
  sim.nodes[0] = { ...sim.nodes[0]!, availability: 'drain' };
  const r = sim.step();
  t.same(r.actions.map((a) => a.kind).sort(), ['create', 'stop']);
  sim.settle();
  t.same(sim.spread('s'), { n2: 2, n3: 1 });
  sim.nodes[0] = { ...sim.nodes[0]!, availability: 'pause' };
  sim.svc('s').spec = { ...sim.svc('s').spec, Mode: { kind: 'replicated', replicas: 5 } };
  sim.settle();
  t.same(sim.spread('s'), { n2: 3, n3: 2 }, 'the paused node gets nothing');
  sim.nodes[0] = { ...sim.nodes[0]!, availability: 'active' };
  t.same(sim.step().actions, [], 'activating does not rebalance running tasks (as swarm)');
});

t.test('tasks on a node that no longer matches the constraints move', async (t) => {
  const c = { TaskTemplate: { Placement: { Constraints: ['node.labels.zone==a'] } } };
  const sim = new Sim(
    [replicated('s', 'web', 2, c)],
    [node('n1', { labels: { zone: 'a' } }), node('n2', { labels: { zone: 'a' } }), node('n3')],
  );
  sim.settle();
  t.same(sim.spread('s'), { n1: 1, n2: 1 });
  sim.nodes[1] = node('n2', { labels: { zone: 'b' } });
  sim.settle();
  t.same(sim.spread('s'), { n1: 2 });
});

t.test('no node fits: the task stays pending with the reason, and is placed when a node comes', async (t) => {
  const big = { TaskTemplate: { Resources: { Reservations: { MemoryBytes: 6 * 1024 ** 3 } } } };
  const sim = new Sim([replicated('s', 'big', 2, big)], nodes(1));
  sim.settle();
  t.equal(sim.running('s').length, 1);
  const pending = sim.live('s').find((x) => x.state === 'pending')!;
  t.match(pending, { message: 'pending task scheduling', err: 'no suitable node (insufficient resources on 1 node)' });
  t.notOk('nodeId' in pending);
  sim.nodes.push(node('n2'));
  sim.settle();
  t.same(sim.spread('s'), { n1: 1, n2: 1 });
  t.equal(sim.live('s').find((x) => x.nodeId === 'n2')!.id, pending.id, 'the same task, now assigned');
});

t.test('a new leader with lost records adopts running task containers instead of doubling them', async (t) => {
  const sim = new Sim([replicated('s', 'web', 3)], nodes(3));
  sim.settle();
  const ids = sim.tasks.map((x) => x.id).sort();
  sim.tasks = [];
  t.same(sim.step().actions, []);
  t.same(sim.tasks.map((x) => x.id).sort(), ids);
  t.ok(sim.tasks.every((x) => x.state === 'running'));
});

t.test('containers of a removed service, or beyond the replicas without record, are removed', async (t) => {
  const sim = new Sim([replicated('s', 'web', 2), replicated('x', 'x', 1)], nodes(2));
  sim.settle();
  sim.services = sim.services.filter((s) => s.id !== 'x');
  const r = sim.step();
  t.same(
    r.actions.map((a) => a.kind),
    ['stop'],
  );
  sim.settle();
  t.equal(sim.tasks.filter((x) => x.serviceId === 'x').length, 0);
  t.equal([...sim.containers.values()].filter((c) => c.serviceId === 'x').length, 0);
  t.same(sim.last!.deleted.length + sim.tasks.length, sim.tasks.length + sim.last!.deleted.length);
});

t.test('a task the engine rejects (no such image) is retried after the restart delay', async (t) => {
  const sim = new Sim([replicated('s', 'bad', 1, restart({ Delay: 5e9 }))], nodes(1));
  const r = sim.step();
  const first = r.tasks[0]!;
  // The shell's create failed: it records the rejection instead of a container.
  sim.containers.delete(first.id);
  sim.tasks = sim.tasks.map((x) => (x.id === first.id ? rejectTask(x, 'No such image: nosuchimage:1', sim.now) : x));
  const next = sim.step();
  t.match(
    next.tasks.find((x) => x.id === first.id),
    {
      state: 'rejected',
      desiredState: 'shutdown',
      err: 'No such image: nosuchimage:1',
    },
  );
  t.same(
    next.actions.map((a) => [a.kind, 'start' in a ? a.start : '']),
    [['create', false]],
    'held 5 s',
  );
  t.equal(sim.live('s')[0]!.notBefore, sim.now + 5000);
});
