import t from 'tap';
import { spread } from '../../../../agents/manage/scheduler/strategies/spread.js';
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
