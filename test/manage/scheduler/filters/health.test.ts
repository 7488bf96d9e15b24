import t from 'tap';
import { health } from '../../../../agents/manage/scheduler/filters/health.js';
import { node, req, names } from '../fixtures.js';

t.test('keeps only healthy nodes', async (t) => {
  const out = health.apply(
    req(),
    [node('h1'), node('h2', { health: 'unhealthy' }), node('h3', { health: 'pending' })],
    true,
  );
  t.same(out.ok && names(out.nodes), ['h1']);
});

t.test('no healthy node is an error with the reason', async (t) => {
  const out = health.apply(req(), [node('h2', { health: 'unhealthy' })], true);
  t.same(out, { ok: false, reason: 'no healthy node available in the cluster' });
});
