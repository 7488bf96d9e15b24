import t from 'tap';
import { dependency } from '../../../../agents/manage/scheduler/filters/dependency.js';
import { ctr, node, req, names } from '../fixtures.js';

const nodes = [
  node('h1', {
    containers: [ctr({ id: 'a'.repeat(64), names: ['data'] }), ctr({ id: 'b'.repeat(64), names: ['db'] })],
  }),
  node('h2', { containers: [ctr({ id: 'c'.repeat(64), names: ['data'] })] }),
];

t.test('no dependencies: every node', async (t) => {
  const out = dependency.apply(req(), nodes, true);
  t.same(out.ok && names(out.nodes), ['h1', 'h2']);
});

t.test('all targets (by name or ID prefix) must be on the node', async (t) => {
  let out = dependency.apply(req({ dependencies: ['data', 'db'] }), nodes, true);
  t.same(out.ok && names(out.nodes), ['h1']);
  out = dependency.apply(req({ dependencies: ['c'.repeat(12)] }), nodes, true);
  t.same(out.ok && names(out.nodes), ['h2']);
});

t.test('a missing target is an error naming it', async (t) => {
  t.same(dependency.apply(req({ dependencies: ['cache'] }), nodes, true), {
    ok: false,
    reason: 'no node holds all of the containers it depends on: cache',
  });
});
