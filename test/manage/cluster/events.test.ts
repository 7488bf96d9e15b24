import t from 'tap';
import { cacheEvent } from '../../../agents/manage/cluster/events.js';

t.test('container events name the container; exec/attach/top noise and other types give nothing', async (t) => {
  t.same(cacheEvent({ Type: 'container', Action: 'start', Actor: { ID: 'abc' } }), { kind: 'container', id: 'abc' });
  t.same(cacheEvent({ status: 'die', id: 'def' }), { kind: 'container', id: 'def' }, 'old-style events');
  t.same(cacheEvent({ Type: 'container', Action: 'destroy', Actor: { ID: 'x' } }), { kind: 'container', id: 'x' });
  for (const a of ['exec_start: sh', 'exec_create: ls', 'attach', 'resize', 'top', 'health_status: healthy']) {
    t.equal(cacheEvent({ Type: 'container', Action: a, Actor: { ID: 'x' } }), undefined, a);
  }
  t.same(cacheEvent({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:1' } }), { kind: 'image' });
  t.equal(cacheEvent({ Type: 'network', Action: 'connect', Actor: { ID: 'n' } }), undefined);
});
