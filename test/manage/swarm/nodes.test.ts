/** Node records: spec validation, the view the CLI reads, filters, references and update rules. */
import t from 'tap';
import {
  checkNodeUpdate,
  filterNodes,
  newRecord,
  nodeView,
  parseNodeSpec,
  resolveNode,
  updatedRecord,
  type EngineFacts,
  type NodeRecord,
} from '../../../agents/manage/swarm/nodes.js';
import { SwarmError, SwarmInputError } from '../../../agents/manage/swarm/errors.js';

const T0 = '2026-12-07T00:00:00.000Z';
const engine = (addr: string, over: Partial<EngineFacts> = {}): EngineFacts => ({
  addr,
  name: `host-${addr.slice(-6, -5)}`,
  health: 'healthy',
  serverVersion: '20.10.24',
  cpus: 2,
  memory: 1024,
  labels: { zone: 'external', ostype: 'linux' },
  error: '',
  ...over,
});

t.test('parseNodeSpec: the whole NodeSpec, each bad field named', async (t) => {
  const ok = { Labels: { zone: 'a' }, Role: 'worker', Availability: 'drain' };
  t.same(parseNodeSpec(ok), ok);
  t.same(parseNodeSpec({ ...ok, Labels: null, Name: 'n1' }), {
    Name: 'n1',
    Labels: {},
    Role: 'worker',
    Availability: 'drain',
  });
  const bad: [unknown, RegExp][] = [
    [undefined, /^invalid body/],
    [[], /^invalid body/],
    ['x', /^invalid body/],
    [{ ...ok, Role: 'king' }, /^invalid Role: "king": expected worker, manager/],
    [{ ...ok, Role: undefined }, /^invalid Role/],
    [{ ...ok, Availability: 'sideways' }, /^invalid Availability: "sideways"/],
    [{ ...ok, Availability: 3 }, /^invalid Availability/],
    [{ ...ok, Labels: [] }, /^invalid Labels: expected an object/],
    [{ ...ok, Labels: { '': 'x' } }, /^invalid Labels key ""/],
    [{ ...ok, Labels: { 'a=b': 'x' } }, /^invalid Labels key "a=b"/],
    [{ ...ok, Labels: { 'a b': 'x' } }, /^invalid Labels key "a b"/],
    [{ ...ok, Labels: { 'a\u0000': 'x' } }, /^invalid Labels key/],
    [{ ...ok, Labels: { a: 1 } }, /^invalid Labels\.a: expected a string/],
    [{ ...ok, Labels: { a: 'x\ny' } }, /^invalid Labels\.a/],
    [{ ...ok, Labels: { a: 'x'.repeat(5000) } }, /^invalid Labels\.a/],
    [{ ...ok, Labels: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, 'v'])) }, /more than 256/],
    [{ ...ok, Name: '../etc' }, /^invalid Name/],
    [{ ...ok, Name: 'x'.repeat(64) }, /^invalid Name/],
    [{ ...ok, Name: 5 }, /^invalid Name/],
  ];
  for (const [body, msg] of bad) t.throws(() => parseNodeSpec(body), msg, JSON.stringify(body)?.slice(0, 60));
  t.throws(() => parseNodeSpec({ ...ok, Role: 'x' }), SwarmInputError);
});

t.test('nodeView: state follows engine health; ManagerStatus on managers only', async (t) => {
  const mgr = newRecord(
    'm'.repeat(25),
    'c',
    '127.0.1.1:2375',
    T0,
    { Role: 'manager' },
    { id: 'local', addr: '127.0.0.1:4000' },
  );
  const wrk = newRecord('w'.repeat(25), 'c', '127.0.1.2:2375', T0, { Labels: { zone: 'a' } });
  const facts = { self: 'local', leader: 'local' };
  const v = nodeView(mgr, engine(mgr.addr), facts);
  t.match(v, {
    ID: mgr.id,
    Version: { Index: 1 },
    Spec: { Role: 'manager', Availability: 'active', Labels: {} },
    Description: { Hostname: 'host-1', Engine: { EngineVersion: '20.10.24', Labels: { zone: 'external' } } },
    Status: { State: 'ready', Addr: '127.0.1.1' },
    ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '127.0.0.1:4000' },
  });
  t.equal((nodeView(wrk, engine(wrk.addr), facts) as any).ManagerStatus, undefined);
  const table: [EngineFacts | undefined, string][] = [
    [engine(wrk.addr), 'ready'],
    [engine(wrk.addr, { health: 'unhealthy', error: 'refused' }), 'down'],
    [engine(wrk.addr, { health: 'pending' }), 'unknown'],
    [engine(wrk.addr, { health: 'pending', error: 'Cannot connect to the Docker daemon' }), 'down'], // tried, never reached
    [undefined, 'down'],
  ];
  for (const [e, state] of table) t.equal((nodeView(wrk, e, facts).Status as any).State, state, state);
  t.equal((nodeView(wrk, undefined, facts).Description as any).Hostname, wrk.addr, 'no engine: the address');
  const replica = nodeView(mgr, engine(mgr.addr), { self: 'b:1', leader: 'c:1' });
  t.match(replica.ManagerStatus, { Leader: false, Reachability: 'unreachable' });
  const promoted = newRecord('p'.repeat(25), 'c', '127.0.1.3:2375', T0, { Role: 'manager' });
  t.match(nodeView(promoted, engine(promoted.addr), facts).ManagerStatus, {
    Leader: false,
    Reachability: 'unreachable',
    Addr: '127.0.1.3:2377',
  });
});

t.test('filterNodes: id/name prefixes, engine vs node labels, role; unknown keys refused', async (t) => {
  const recs: NodeRecord[] = [
    newRecord('aaa'.padEnd(25, '1'), 'c', '127.0.1.1:2375', T0, { Role: 'manager' }, { id: 'local', addr: 'x:1' }),
    newRecord('aab'.padEnd(25, '2'), 'c', '127.0.1.2:2375', T0, { Labels: { zone: 'a' } }),
    newRecord('bbb'.padEnd(25, '3'), 'c', '127.0.1.3:2375', T0),
  ];
  const views = recs.map((r) => nodeView(r, engine(r.addr), { self: 'local', leader: 'local' }));
  const ids = (f: Record<string, string[]>) => filterNodes(views, f).map((v) => (v.ID as string).slice(0, 3));
  t.same(ids({}), ['aaa', 'aab', 'bbb']);
  t.same(ids({ id: ['aa'] }), ['aaa', 'aab']);
  t.same(ids({ id: ['aaa', 'bbb'] }), ['aaa', 'bbb'], 'values of one key are ORed');
  t.same(ids({ name: ['host-2'] }), ['aab']);
  t.same(ids({ 'node.label': ['zone'] }), ['aab']);
  t.same(ids({ 'node.label': ['zone=a'] }), ['aab']);
  t.same(ids({ 'node.label': ['zone=external'] }), []);
  t.same(ids({ label: ['zone=external'] }), ['aaa', 'aab', 'bbb'], 'label= is the engine labels');
  t.same(ids({ role: ['manager'] }), ['aaa']);
  t.same(ids({ role: ['worker'], id: ['a'] }), ['aab'], 'keys are ANDed');
  t.same(ids({ membership: ['accepted'] }), ['aaa', 'aab', 'bbb']);
  t.throws(() => ids({ colour: ['red'] }), /invalid filter 'colour'/);
  t.throws(() => ids({ role: ['king'] }), /filters\.role/);
});

t.test('resolveNode: self, ID, name, unique prefix; ambiguous and missing', async (t) => {
  const mk = (id: string, hostname: string) => ({
    rec: newRecord(id.padEnd(25, '0'), 'c', `${hostname}:2375`, T0),
    hostname,
  });
  const nodes = [mk('abc', 'one'), mk('abd', 'two'), mk('xyz', 'two')];
  t.equal(resolveNode('self', nodes, nodes[0]?.rec.id).hostname, 'one');
  t.equal(resolveNode(nodes[1]?.rec.id as string, nodes, undefined).hostname, 'two');
  t.equal(resolveNode('one', nodes, undefined).rec.id, nodes[0]?.rec.id);
  t.equal(resolveNode('x', nodes, undefined).hostname, 'two');
  t.throws(() => resolveNode('ab', nodes, undefined), { status: 400, message: /ambiguous/ });
  t.throws(() => resolveNode('two', nodes, undefined), { status: 400, message: /ambiguous/ });
  t.throws(() => resolveNode('ghost', nodes, undefined), { status: 404, message: 'node ghost not found' });
  t.throws(() => resolveNode('self', nodes, undefined), { status: 404, message: 'node self not found' });
  t.throws(() => resolveNode('', nodes, undefined), { status: 404, message: 'node  not found' });
});

t.test('updates: the version moves, the manager binding stays, the last manager cannot be demoted', async (t) => {
  const m = newRecord('m'.repeat(25), 'c', 'a:1', T0, { Role: 'manager' }, { id: 'local', addr: 'x:1' });
  const w = newRecord('w'.repeat(25), 'c', 'b:1', T0);
  const next = updatedRecord(
    m,
    { Labels: { a: 'b' }, Role: 'manager', Availability: 'pause' },
    '2026-12-08T00:00:00.000Z',
  );
  t.equal(next.version, 2);
  t.same(next.manager, m.manager);
  t.equal(next.createdAt, T0);
  const demote = { Labels: {}, Role: 'worker' as const, Availability: 'active' as const };
  t.throws(() => checkNodeUpdate(m, demote, [m, w]), { status: 400, message: /demote the last manager of the swarm/ });
  const p = newRecord('p'.repeat(25), 'c', 'c:1', T0, { Role: 'manager' });
  t.throws(() => checkNodeUpdate(m, demote, [m, w, p]), /running manager/, 'a running manager keeps its node');
  t.doesNotThrow(() => checkNodeUpdate(p, demote, [m, w, p]), 'a recorded manager with no process may be demoted');
  t.doesNotThrow(() => checkNodeUpdate(w, { ...demote, Role: 'manager' }, [m, w]));
  t.ok(new SwarmError(400, 'x') instanceof Error);
});
