/** How the manager reads `GET /containers/json`: limit implies all; node and is-task are its own filters. */
import t from 'tap';
import { psQuery, taskMatches } from '../../../agents/manage/api/psquery.js';

const q = (s: string) => new URLSearchParams(s);

t.test('a positive limit or latest implies all; the engines get all=1 and no limit', async (t) => {
  const n = psQuery(q('limit=3'), {});
  t.same([n.all, n.limit, n.engine.toString()], [true, 3, 'all=1']);
  const l = psQuery(q('latest=1&size=1'), {});
  t.same([l.all, l.limit, l.engine.toString()], [true, 1, 'size=1&all=1']);
  const plain = psQuery(q('limit=-1'), {});
  t.same([plain.all, plain.limit, plain.engine.toString()], [false, 0, '']);
  t.same(psQuery(q('all=true'), {}).engine.toString(), 'all=1');
});

t.test('node and is-task stay with the manager; other filters go to the engines', async (t) => {
  const p = psQuery(q('filters=x'), { node: ['n1'], 'is-task': ['true'], name: ['web'] });
  t.same(p.nodes, ['n1']);
  t.equal(p.isTask, true);
  t.same(p.filters, { name: ['web'] });
  t.equal(p.engine.get('filters'), '{"name":["web"]}');
  t.equal(psQuery(q(''), { 'is-task': ['false'] }).isTask, false);
  t.equal(psQuery(q(''), {}).isTask, undefined);
  t.throws(() => psQuery(q(''), { 'is-task': ['maybe'] }), /Invalid filter 'is-task=maybe'/);
});

t.test('is-task is the presence of the com.docker.swarm.task label', async (t) => {
  const task = { Id: 'a', Labels: { 'com.docker.swarm.task': '' } };
  const plain = { Id: 'b', Labels: { other: 'x' } };
  t.same([taskMatches(task, true), taskMatches(plain, true)], [true, false]);
  t.same([taskMatches(task, false), taskMatches(plain, false)], [false, true]);
  t.same([taskMatches(task, undefined), taskMatches({ Id: 'c', Labels: null }, false)], [true, true]);
});
