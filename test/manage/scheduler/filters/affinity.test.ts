import t from 'tap';
import { affinity } from '../../../../agents/manage/scheduler/filters/affinity.js';
import { ctr, node, req, names } from '../fixtures.js';

const nodes = [
  node('h1', {
    containers: [ctr({ id: '1234567890ab'.padEnd(64, '0'), names: ['frontend'], labels: { tier: 'web' } })],
    images: [{ id: 'sha256:' + 'f'.repeat(64), repoTags: ['redis:latest'] }],
  }),
  node('h2', {
    containers: [ctr({ id: 'ba0987654321'.padEnd(64, '0'), names: ['db'], labels: { tier: 'data' } })],
    images: [{ id: 'sha256:' + 'e'.repeat(64), repoTags: ['nginx:1.9', 'registry.local:5000/team/app:v2'] }],
  }),
  node('h3'),
];

const pick = (...aff: string[]) => {
  const out = affinity.apply(req({ affinities: aff }), nodes, true);
  return out.ok ? names(out.nodes) : out.reason;
};

t.test('container by name, ID and short ID; == and !=', async (t) => {
  t.same(pick('container==frontend'), ['h1']);
  t.same(pick('container==1234567890ab'), ['h1']);
  t.same(pick('container!=frontend'), ['h2', 'h3']);
  t.same(pick('container==front*'), ['h1']);
});

t.test('image by name (with or without tag), ID, short ID, registry path', async (t) => {
  t.same(pick('image==redis'), ['h1']);
  t.same(pick('image=redis'), ['h1'], 'the seed single =');
  t.same(pick('image==redis:latest'), ['h1']);
  t.same(pick('image==nginx:1.9'), ['h2']);
  t.same(pick('image==nginx'), ['h2']);
  t.same(pick('image==' + 'e'.repeat(12)), ['h2']);
  t.same(pick('image==registry.local:5000/team/app'), ['h2']);
  t.same(pick('image!=redis'), ['h2', 'h3']);
});

t.test('container labels', async (t) => {
  t.same(pick('tier==web'), ['h1']);
  t.same(pick('tier!=web'), ['h2', 'h3']);
  t.same(pick('tier==/^da/'), ['h2']);
});

t.test('a hard affinity nothing satisfies is an error; a soft one is ignored when soft=false', async (t) => {
  t.equal(pick('container==nothere'), 'affinity container==nothere');
  const out = affinity.apply(req({ affinities: ['container==~nothere'] }), nodes, false);
  t.same(out.ok && names(out.nodes), ['h1', 'h2', 'h3']);
  t.equal(affinity.apply(req({ affinities: ['container==~nothere'] }), nodes, true).ok, false);
});
