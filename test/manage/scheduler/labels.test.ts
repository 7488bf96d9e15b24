/** Expression labels and reschedule policies, checked as classic Swarm does (with one deliberate difference). */
import t from 'tap';
import { checkReschedule, labelList } from '../../../agents/manage/scheduler/request.js';

const KEY = 'com.docker.swarm.affinities';

t.test('a shell-escaped != reads as !=; other invalid JSON is refused naming the label', async (t) => {
  t.same(labelList({ [KEY]: '["container\\!=c1"]' }, KEY), ['container!=c1']);
  t.same(labelList({ [KEY]: '["a\\\\!=b"]' }, KEY), ['a\\!=b'], 'valid JSON is read as written');
  t.same(labelList({}, KEY), []);
  t.throws(() => labelList({ [KEY]: '["container==c1"' }, KEY), {
    message: `label ${KEY}: expected a JSON list of strings`,
  });
  t.throws(() => labelList({ [KEY]: '{"a":1}' }, KEY), { message: `label ${KEY}: expected a JSON list of strings` });
});

t.test('reschedule policies: known ones only, at most one', async (t) => {
  t.doesNotThrow(() => checkReschedule([]));
  t.doesNotThrow(() => checkReschedule(['on-node-failure']));
  t.doesNotThrow(() => checkReschedule(['off']));
  t.throws(() => checkReschedule(['false']), { message: 'invalid reschedule policy: false' });
  t.throws(() => checkReschedule(['off', 'on-node-failure', 'off']), { message: 'too many reschedule policies' });
});
