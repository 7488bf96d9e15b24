/** Image operation targets: constraint lists split and parsed, nodes chosen, soft dropped, none named. Pure. */
import t from 'tap';
import { imageTargets, parseConstraints, splitConstraints } from '../../../agents/manage/scheduler/targets.js';
import { markMessage, errorText } from '../../../agents/manage/api/fanout.js';
import { names, node } from './fixtures.js';

const nodes = [
  node('dockerhost01', { labels: { zone: 'external', disk: 'ssd' } }),
  node('dockerhost02', { labels: { zone: 'external', disk: 'hdd' } }),
  node('dockerhost03', { labels: { zone: 'internal', disk: 'ssd' }, health: 'unhealthy' }),
];

t.test('splitConstraints: commas separate, except inside a /regex/; constraint: prefix accepted', async (t) => {
  t.same(splitConstraints('zone==external, disk!=ssd'), ['zone==external', 'disk!=ssd']);
  t.same(splitConstraints('constraint:node==/dockerhost0{1,2}/,disk==ssd'), ['node==/dockerhost0{1,2}/', 'disk==ssd']);
  t.same(splitConstraints('node==~/a,b/'), ['node==~/a,b/']);
  t.same(splitConstraints(' , '), []);
});

t.test('parseConstraints: bad expressions are named', async (t) => {
  t.same(
    parseConstraints(['zone==a,disk==b', 'node!=c']).map((e) => `${e.key}${e.op}${e.value}`),
    ['zone==a', 'disk==b', 'node!=c'],
  );
  t.throws(() => parseConstraints(['zone']), { code: 'SHOAL_MANAGE_EXPR' });
  t.throws(() => parseConstraints(['zone']), /constraint: invalid expression "zone"/);
});

t.test('imageTargets: healthy nodes, narrowed by constraints; soft dropped when nothing fits', async (t) => {
  t.same(names(imageTargets(nodes, [])), ['dockerhost01', 'dockerhost02'], 'unhealthy nodes are left out');
  t.same(names(imageTargets(nodes, parseConstraints(['disk==ssd']))), ['dockerhost01']);
  t.same(
    names(imageTargets(nodes, parseConstraints(['node==ID-dockerhost02']))),
    ['dockerhost02'],
    'node== takes the ID',
  );
  t.same(
    names(imageTargets(nodes, parseConstraints(['zone==~internal']))),
    ['dockerhost01', 'dockerhost02'],
    'soft: dropped',
  );
  t.throws(
    () => imageTargets(nodes, parseConstraints(['zone==internal'])),
    { code: 'SHOAL_MANAGE_NO_NODE' },
    'only an unhealthy node matches',
  );
  t.throws(() => imageTargets(nodes, parseConstraints(['zone==nowhere'])), /following conditions \n\[zone==nowhere\]$/);
});

t.test('markMessage: progress keyed per node, statuses, streams and errors marked', async (t) => {
  t.same(JSON.parse(markMessage('{"status":"Downloading","id":"79467b2f4d90","progressDetail":{"current":1}}', 'h1')), {
    status: 'Downloading',
    id: 'h1: 79467b2f4d90',
    progressDetail: { current: 1 },
  });
  t.same(JSON.parse(markMessage('{"status":"Digest: sha256:x"}', 'h1')), { status: 'h1: Digest: sha256:x' });
  t.same(JSON.parse(markMessage('{"stream":"Loaded image: a:b\\n"}', 'h2')), { stream: 'h2: Loaded image: a:b\n' });
  t.same(JSON.parse(markMessage('{"errorDetail":{"message":"nope"},"error":"nope"}', 'h3')), {
    errorDetail: { message: 'h3: nope' },
    error: 'h3: nope',
  });
  t.same(JSON.parse(markMessage('plain text', 'h1')), { status: 'h1: plain text' });
  t.same(JSON.parse(markMessage('[1]', 'h1')), { status: 'h1: [1]' });
  t.equal(errorText('{"message":"manifest unknown"}'), 'manifest unknown');
  t.equal(errorText(' oops \n'), 'oops');
});
