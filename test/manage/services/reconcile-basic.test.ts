import t from 'tap';
import { reconcile } from '../../../agents/manage/services/reconcile.js';
import { sequentialIds } from '../../../agents/manage/services/names.js';
import { nodes, replicated, service, Sim, node } from './sim.js';

t.test('a new replicated service gets one task per slot, created and started in one step', async (t) => {
  const sim = new Sim([replicated('s1', 'web', 3)], nodes(3));
  const r = sim.step();
  t.same(
    r.actions.map((a) => a.kind),
    ['create', 'create', 'create'],
  );
  t.ok(r.actions.every((a) => a.kind === 'create' && a.start));
  t.same(
    r.tasks.map((x) => [x.slot, x.state, x.desiredState]),
    [
      [1, 'assigned', 'running'],
      [2, 'assigned', 'running'],
      [3, 'assigned', 'running'],
    ],
  );
  t.same(sim.spread('s1'), { n1: 1, n2: 1, n3: 1 }, 'one per node');
  t.equal(sim.step().actions.length, 0, 'applying the actions and deciding again: no action');
  t.same(
    sim.tasks.map((x) => x.state),
    ['running', 'running', 'running'],
  );
  t.same(r.updateStatus, [], 'create sets no UpdateStatus');
});

t.test('the same input twice gives the same actions and the same task IDs (no duplicate tasks)', async (t) => {
  const input = { services: [replicated('s1', 'web', 4)], nodes: nodes(2), tasks: [], observed: [], now: 1000 };
  const a = reconcile(input, { newId: sequentialIds() });
  const b = reconcile(input, { newId: sequentialIds() });
  t.same(a, b);
  // The shell crashed after writing the records but before creating the containers: the next decision
  // creates the same tasks again, under their own IDs, and makes no new task.
  const again = reconcile({ ...input, tasks: a.tasks }, { newId: sequentialIds('x') });
  t.same(again.actions, a.actions);
  t.equal(again.changed.length, 0);
  t.notOk(again.tasks.some((x) => x.id.startsWith('x')));
});

t.test('scaling up fills new slots; scaling down removes the highest slots first', async (t) => {
  const sim = new Sim([replicated('s1', 'web', 2)], nodes(3));
  sim.settle();
  sim.svc('s1').spec = { ...sim.svc('s1').spec, Mode: { kind: 'replicated', replicas: 5 } };
  sim.step();
  t.same(
    sim
      .live('s1')
      .map((x) => x.slot)
      .sort(),
    [1, 2, 3, 4, 5],
  );
  t.same(sim.spread('s1'), { n1: 2, n2: 2, n3: 1 });
  sim.settle();
  sim.svc('s1').spec = { ...sim.svc('s1').spec, Mode: { kind: 'replicated', replicas: 2 } };
  const r = sim.step();
  t.same(
    r.actions.map((a) => a.kind),
    ['stop', 'stop', 'stop'],
  );
  t.same(
    sim
      .live('s1')
      .map((x) => x.slot)
      .sort(),
    [1, 2],
  );
  t.same(r.updateStatus, [], 'scale sets no UpdateStatus');
  sim.settle();
  t.same([...sim.containers.values()].map((c) => c.slot).sort(), [1, 2], 'containers of removed slots removed');
  t.same(sim.tasks.map((x) => x.slot).sort(), [1, 2], 'and their records');
});

t.test('spread: fewest tasks of the service first, then fewest tasks overall', async (t) => {
  const sim = new Sim([replicated('a', 'a', 2), replicated('b', 'b', 1)], nodes(3));
  sim.settle();
  t.same(sim.spread('a'), { n1: 1, n2: 1 });
  t.same(sim.spread('b'), { n3: 1 }, 'b goes to the node without any task');
  sim.svc('b').spec = { ...sim.svc('b').spec, Mode: { kind: 'replicated', replicas: 4 } };
  sim.settle();
  t.same(sim.spread('b'), { n1: 1, n2: 1, n3: 2 });
});

t.test('global: one task per eligible node, following nodes as they come, drain and match', async (t) => {
  const g = service('g', 'agent', {
    Mode: { Global: {} },
    TaskTemplate: { Placement: { Constraints: ['node.labels.zone!=dmz'] } },
  });
  const list = nodes(3);
  list[2] = node('n3', { labels: { zone: 'dmz' } });
  const sim = new Sim([g], list);
  sim.settle();
  t.same(sim.spread('g'), { n1: 1, n2: 1 });
  t.ok(sim.tasks.every((x) => x.slot === 0 && x.nodeId !== undefined));
  sim.nodes.push(node('n4'));
  sim.settle();
  t.same(sim.spread('g'), { n1: 1, n2: 1, n4: 1 }, 'a new node gets its task');
  sim.nodes[0] = { ...sim.nodes[0]!, availability: 'drain' };
  sim.settle();
  t.same(sim.spread('g'), { n2: 1, n4: 1 }, 'drained node: task stopped, not moved');
  sim.nodes[1] = { ...sim.nodes[1]!, availability: 'pause' };
  sim.nodes[2] = node('n3');
  sim.settle();
  t.same(sim.spread('g'), { n2: 1, n3: 1, n4: 1 }, 'paused node keeps its task; n3 now matches');
});

t.test('property: random scales and node changes always settle with exactly the desired tasks', async (t) => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed >>> 16) % n;
  };
  const sim = new Sim(
    [replicated('a', 'a', 3), replicated('b', 'b', 2), service('g', 'g', { Mode: { Global: {} } })],
    nodes(5),
  );
  let checked = 0;
  const g = sim.svc('g');
  for (let round = 0; round < 200; round++) {
    const what = rand(4);
    if (what === 0) {
      const s = sim.services[rand(2)]!;
      s.spec = { ...s.spec, Mode: { kind: 'replicated', replicas: rand(8) } };
    } else if (what === 1) {
      const i = rand(5);
      sim.nodes[i] = { ...sim.nodes[i]!, availability: (['active', 'pause', 'drain'] as const)[rand(3)]! };
    } else if (what === 2) {
      const i = rand(5);
      sim.nodes[i] = { ...sim.nodes[i]!, state: rand(2) === 0 ? 'down' : 'ready' };
    }
    sim.advance(1000);
    sim.settle();
    sim.assertNoDuplicates();
    if (sim.step().actions.length !== 0) t.fail(`round ${round}: not settled`);
    const up = sim.nodes.filter((n) => n.state === 'ready');
    for (const s of sim.services.slice(0, 2)) {
      const want = s.spec.Mode.kind === 'replicated' ? s.spec.Mode.replicas : 0;
      const placeable = sim.nodes.some((n) => n.state === 'ready' && n.availability === 'active');
      const onUp = sim.live(s.id).filter((x) => up.some((n) => n.id === x.nodeId) && x.state === 'running');
      const slots = new Set(sim.live(s.id).map((x) => x.slot));
      if (slots.size !== sim.live(s.id).length) t.fail(`round ${round} ${s.id}: more than one live task in a slot`);
      if (slots.size !== want) t.fail(`round ${round} ${s.id}: ${slots.size} slots, want ${want}`);
      if (placeable && onUp.length !== want) t.fail(`round ${round} ${s.id}: ${onUp.length} running, want ${want}`);
      checked++;
    }
    const eligible = sim.nodes
      .filter((n) => n.state === 'ready' && n.availability === 'active')
      .map((n) => n.id)
      .sort();
    const onEligible = Object.keys(sim.spread(g.id))
      .filter((id) => eligible.includes(id))
      .sort();
    if (JSON.stringify(onEligible) !== JSON.stringify(eligible))
      t.fail(`round ${round} g: ${onEligible} vs ${eligible}`);
  }
  t.equal(checked, 400);
});

t.test('an ID source that hands out a taken ID never overwrites a task', async (t) => {
  const sim = new Sim([replicated('s1', 'web', 2)], nodes(2));
  sim.settle();
  sim.svc('s1').spec = { ...sim.svc('s1').spec, Mode: { kind: 'replicated', replicas: 3 } };
  const r = reconcile(
    { services: sim.services, nodes: sim.nodes, tasks: sim.tasks, observed: sim.observed(), now: sim.now },
    { newId: sequentialIds() },
  );
  t.equal(r.tasks.length, 3);
  t.equal(new Set(r.tasks.map((x) => x.id)).size, 3);
  t.same(
    r.actions.map((a) => a.kind),
    ['create'],
  );
});

t.test('reconcile does not modify its input', async (t) => {
  const sim = new Sim([replicated('s1', 'web', 3), service('g', 'g', { Mode: { Global: {} } })], nodes(3));
  sim.settle();
  sim.exit(sim.live('s1')[0]!.id, 1);
  sim.nodes[1] = { ...sim.nodes[1]!, state: 'down' };
  const input = {
    services: sim.services,
    nodes: sim.nodes,
    tasks: sim.tasks,
    observed: sim.observed(),
    now: sim.now + 1,
  };
  const copy = structuredClone(input);
  const r = reconcile(input, { newId: sequentialIds('x') });
  t.ok(r.actions.length > 0);
  t.same(input, copy);
});
