import t from 'tap';
import { binpack } from '../../../../agents/manage/scheduler/strategies/binpack.js';
import { ctr, node, req, names } from '../fixtures.js';

const opts = { overcommit: 0, random: () => 0 };

t.test('the fullest node that still fits first', async (t) => {
  const nodes = [
    node('h1', { containers: [ctr({ id: 'a', memory: 512 })] }),
    node('h2', { containers: [ctr({ id: 'b', memory: 1024 })] }),
    node('h3'),
  ];
  t.same(names(binpack.rank(req({ memory: 512 }), nodes, opts)), ['h2', 'h1', 'h3']);
  t.same(names(binpack.rank(req({ memory: 1536 }), nodes, opts)), ['h1', 'h3'], 'h2 would exceed its memory');
});

t.test('CPUs from -c count as whole CPUs', async (t) => {
  const nodes = [node('h1', { containers: [ctr({ id: 'a', cpus: 1 })] }), node('h2')];
  t.same(names(binpack.rank(req({ cpus: 1 }), nodes, opts)), ['h1', 'h2']);
  t.same(names(binpack.rank(req({ cpus: 2 }), nodes, opts)), ['h2']);
});

t.test('overcommit lets a full node take a little more', async (t) => {
  const nodes = [node('h1', { containers: [ctr({ id: 'a', memory: 2048 })] })];
  t.same(names(binpack.rank(req({ memory: 100 }), nodes, opts)), []);
  t.same(names(binpack.rank(req({ memory: 100 }), nodes, { ...opts, overcommit: 0.05 })), ['h1']);
});

t.test('equal weight: the node with more containers first', async (t) => {
  const nodes = [
    node('h1', { containers: [ctr({ id: 'a' })] }),
    node('h2', { containers: [ctr({ id: 'b' }), ctr({ id: 'c' })] }),
    node('h3'),
  ];
  t.same(names(binpack.rank(req(), nodes, opts)), ['h2', 'h1', 'h3']);
});
