import t from 'tap';
import { parseEventLine } from '../../../agents/manage/cluster/events.js';

t.test('container events name the container; exec/attach/top noise and torn lines give nothing', async (t) => {
  t.same(parseEventLine(JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'abc' } })), { kind: 'container', id: 'abc' });
  t.same(parseEventLine(JSON.stringify({ status: 'die', id: 'def' })), { kind: 'container', id: 'def' }, 'old-style events');
  t.same(parseEventLine(JSON.stringify({ Type: 'container', Action: 'destroy', Actor: { ID: 'x' } })), { kind: 'container', id: 'x' });
  for (const a of ['exec_start: sh', 'exec_create: ls', 'attach', 'resize', 'top', 'health_status: healthy']) {
    t.equal(parseEventLine(JSON.stringify({ Type: 'container', Action: a, Actor: { ID: 'x' } })), undefined, a);
  }
  t.same(parseEventLine(JSON.stringify({ Type: 'image', Action: 'tag', Actor: { ID: 'sha256:1' } })), { kind: 'image' });
  t.equal(parseEventLine('{"Type":"contai'), undefined);
  t.equal(parseEventLine(JSON.stringify({ Type: 'network', Action: 'connect', Actor: { ID: 'n' } })), undefined);
});
