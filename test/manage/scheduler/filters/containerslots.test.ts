import t from 'tap';
import { containerslots } from '../../../../agents/manage/scheduler/filters/containerslots.js';
import { ctr, node, req, names } from '../fixtures.js';

t.test('a node with containerslots=N and N containers (any state) is full', async (t) => {
  const nodes = [
    node('h1', { labels: { containerslots: '2' }, containers: [ctr({ id: 'a' }), ctr({ id: 'b', state: 'exited' })] }),
    node('h2', { labels: { containerslots: '2' }, containers: [ctr({ id: 'c' })] }),
    node('h3', { containers: [ctr({ id: 'd' }), ctr({ id: 'e' }), ctr({ id: 'f' })] }),
    node('h4', { labels: { containerslots: 'lots' }, containers: [ctr({ id: 'g' })] }),
  ];
  const out = containerslots.apply(req(), nodes, true);
  t.same(out.ok && names(out.nodes), ['h2', 'h3', 'h4'], 'unlabelled and badly labelled nodes are unlimited');
});

t.test('all full', async (t) => {
  const out = containerslots.apply(req(), [node('h1', { labels: { containerslots: '0' } })], true);
  t.same(out, { ok: false, reason: 'no available container slots on any node' });
});
