import t from 'tap';
import { spread } from '../../../../agents/manage/scheduler/strategies/spread.js';
import { binpack } from '../../../../agents/manage/scheduler/strategies/binpack.js';
import type { NodeSnapshot } from '../../../../agents/manage/scheduler/node.js';
import { ctr, node, req, names } from '../fixtures.js';

const opts = { overcommit: 0, random: () => 0 };

t.test('no resources asked: the node with the fewest containers first', async (t) => {
  const nodes = [
    node('h1', { containers: [ctr({ id: 'a' }), ctr({ id: 'b' })] }),
    node('h2'),
    node('h3', { containers: [ctr({ id: 'c' })] }),
  ];
  t.same(names(spread.rank(req(), nodes, opts)), ['h2', 'h3', 'h1']);
});

t.test('the least reserved node first', async (t) => {
  const nodes = [
    node('h1', { containers: [ctr({ id: 'a', memory: 1024 })] }),
    node('h2', { containers: [ctr({ id: 'b', memory: 512 }), ctr({ id: 'c' })] }),
  ];
  t.same(names(spread.rank(req({ memory: 256 }), nodes, opts)), ['h2', 'h1']);
});

t.test('nodes too small or too full are dropped', async (t) => {
  const nodes = [node('h1', { memory: 100 }), node('h2', { containers: [ctr({ id: 'a', cpus: 2 })] }), node('h3')];
  t.same(names(spread.rank(req({ memory: 200, cpus: 1 }), nodes, opts)), ['h3']);
});

t.test('RH3: a node with recent failures (lower health score) ranks after one that answered', async (t) => {
  const half = [ctr({ id: 'a', memory: 1024 })];
  const cases: [string, NodeSnapshot[], number, string[]][] = [
    [
      'one failure of 20 outweighs a container more',
      [node('h1', { healthScore: 95 }), node('h2', { containers: [ctr({ id: 'a' })] })],
      0,
      ['h2', 'h1'],
    ],
    [
      'equal scores: load decides',
      [node('h1', { healthScore: 95, containers: [ctr({ id: 'a' })] }), node('h2', { healthScore: 95 })],
      0,
      ['h2', 'h1'],
    ],
    ['no score means 100', [node('h1', { healthScore: 100 }), node('h2')], 0, ['h1', 'h2']],
    [
      'ten points of health outweigh half the memory',
      [node('h1', { containers: half }), node('h2', { healthScore: 90 })],
      1024,
      ['h1', 'h2'],
    ],
    [
      'one point of health does not',
      [node('h1', { containers: half }), node('h2', { healthScore: 99 })],
      1024,
      ['h2', 'h1'],
    ],
  ];
  for (const [what, nodes, memory, want] of cases) t.same(names(spread.rank(req({ memory }), nodes, opts)), want, what);
});

t.test('RH3 with binpack: the health bonus ranks the same way, before the fuller node', async (t) => {
  const nodes = [node('h1', { healthScore: 95, containers: [ctr({ id: 'a' })] }), node('h2')];
  t.same(names(binpack.rank(req(), nodes, opts)), ['h2', 'h1']);
  t.same(names(binpack.rank(req(), [nodes[0] as NodeSnapshot, node('h2', { healthScore: 95 })], opts)), ['h1', 'h2']);
});
