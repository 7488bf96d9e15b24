import t from 'tap';
import { matchesFilters } from '../../../agents/manage/api/filters.js';

const c = { Id: 'abcdef0123', Names: ['/web-1'], State: 'exited', Labels: { tier: 'web', 'com.docker.swarm.id': 'x' } };

t.test('name (regex), id prefix, label, status; all keys must hold, any value of a key', async (t) => {
  t.ok(matchesFilters(c, {}));
  t.ok(matchesFilters(c, { name: ['web'] }));
  t.ok(matchesFilters(c, { name: ['^web-\\d$'] }));
  t.notOk(matchesFilters(c, { name: ['db'] }));
  t.ok(matchesFilters(c, { name: ['db', 'web'] }));
  t.ok(matchesFilters(c, { id: ['abc'] }));
  t.notOk(matchesFilters(c, { id: ['bcd'] }));
  t.ok(matchesFilters(c, { label: ['tier'] }));
  t.ok(matchesFilters(c, { label: ['tier=web'] }));
  t.notOk(matchesFilters(c, { label: ['tier=db'] }));
  t.ok(matchesFilters(c, { status: ['exited'] }));
  t.notOk(matchesFilters(c, { status: ['running'], name: ['web'] }));
  t.notOk(matchesFilters(c, { name: ['('] }), 'a bad regex matches nothing');
});
