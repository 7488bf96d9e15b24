import t from 'tap';
import { schedule, scheduleGlobal, PlacementError } from '../../../agents/manage/scheduler/scheduler.js';
import { filtersByName } from '../../../agents/manage/scheduler/filters/index.js';
import { strategyByName } from '../../../agents/manage/scheduler/strategies/index.js';
import { FILTERS } from '../../../agents/manage/config.js';
import { ctr, node, req, names, seed } from './fixtures.js';

function caught(fn: () => unknown): PlacementError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlacementError) return err;
    throw err;
  }
  throw new Error('expected a PlacementError');
}

const opts = { filters: filtersByName(FILTERS), strategy: strategyByName('spread') };

t.test('seed scenario: constraints pick the node, spread ranks', async (t) => {
  t.same(names(schedule(req({ constraints: ['zone==external'] }), seed(), opts)), ['dockerhost01', 'dockerhost02']);
  t.same(names(schedule(req({ constraints: ['status==master'] }), seed(), opts)), ['dockerhost01']);
});

t.test('soft expressions are tried first, then dropped', async (t) => {
  t.same(names(schedule(req({ constraints: ['disk==~hdd'] }), seed(), opts)), ['dockerhost02']);
  t.same(names(schedule(req({ constraints: ['disk==~nvme', 'zone==internal'] }), seed(), opts)), ['dockerhost03']);
  t.same(names(schedule(req({ affinities: ['container==~ghost'] }), seed(), opts)).length, 3);
});

t.test('a failed placement names the filter that emptied the list and why', async (t) => {
  const err = t.throws(() => schedule(req({ constraints: ['zone==mars'] }), seed(), opts)) as unknown as PlacementError;
  t.ok(err instanceof PlacementError);
  t.equal(err.code, 'SHOAL_MANAGE_NO_NODE');
  t.equal(err.filter, 'constraint');
  t.equal(err.reason, 'constraint zone==mars');
  t.same(err.applied, [...FILTERS]);
  t.equal(
    err.message,
    'Unable to find a node that satisfies the following conditions \n[available container slots]\n[zone==mars]',
  );
  const p = { hostIp: '', hostPort: 80, proto: 'tcp' as const };
  const busy = seed().map((n) => ({ ...n, containers: [ctr({ id: `x-${n.name}`, ports: [p] })] }));
  t.match(
    caught(() => schedule(req({ ports: [p] }), busy, opts)),
    { filter: 'port', reason: /port 80\/tcp/ },
  );
  t.match(
    caught(() => schedule(req(), [], opts)),
    { code: 'SHOAL_MANAGE_NO_NODE', filter: 'none' },
  );
});

t.test('only the configured filters run', async (t) => {
  const unhealthy = [node('h1', { health: 'unhealthy' })];
  t.match(
    caught(() => schedule(req(), unhealthy, opts)),
    { filter: 'health' },
  );
  t.same(names(schedule(req(), unhealthy, { ...opts, filters: filtersByName(['constraint']) })), ['h1']);
});

t.test('resources no node has', async (t) => {
  t.match(
    caught(() => schedule(req({ memory: 1e12 }), seed(), opts)),
    {
      filter: 'resources',
      reason: /no node has enough free resources/,
      message: 'no resources available to schedule container',
    },
  );
});

t.test('binpack by name fills one node first', async (t) => {
  const nodes = [node('h1', { containers: [ctr({ id: 'a', memory: 100 })] }), node('h2')];
  t.same(names(schedule(req({ memory: 100 }), nodes, { ...opts, strategy: strategyByName('binpack') })), ['h1', 'h2']);
});

t.test('global placement: every matching node, by name', async (t) => {
  t.same(names(scheduleGlobal(req({ global: true }), seed(), opts)), ['dockerhost01', 'dockerhost02', 'dockerhost03']);
  t.same(names(scheduleGlobal(req({ global: true, constraints: ['disk==ssd'] }), seed(), opts)), [
    'dockerhost01',
    'dockerhost03',
  ]);
  t.match(
    caught(() => scheduleGlobal(req({ global: true, constraints: ['disk==tape'] }), seed(), opts)),
    { filter: 'constraint' },
  );
});

t.test('unknown names are refused', async (t) => {
  t.throws(() => filtersByName(['nope']));
  t.throws(() => strategyByName('nope'));
});

t.test('the message lists every condition asked, not only the one that failed', async (t) => {
  const p = { hostIp: '', hostPort: 8080, proto: 'tcp' as const };
  const busy = seed().map((n) =>
    n.name === 'dockerhost03' ? n : { ...n, containers: [ctr({ id: `x-${n.name}`, ports: [p] })] },
  );
  const err = caught(() => schedule(req({ ports: [p], constraints: ['zone==external'] }), busy, opts));
  t.equal(err.filter, 'constraint', 'port kept only dockerhost03, then the constraint emptied the list');
  t.same(err.conditions, ['port 8080 (Bridge mode)', 'available container slots', 'zone==external']);
});
