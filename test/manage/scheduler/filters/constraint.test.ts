import t from 'tap';
import { constraint } from '../../../../agents/manage/scheduler/filters/constraint.js';
import { node, req, names, seed } from '../fixtures.js';

const pick = (nodes = seed(), ...c: string[]) => {
  const out = constraint.apply(req({ constraints: c }), nodes, true);
  return out.ok ? names(out.nodes) : out.reason;
};

t.test('the seed constraints', async (t) => {
  t.same(pick(seed(), 'zone==external'), ['dockerhost01', 'dockerhost02']);
  t.same(pick(seed(), 'status==master'), ['dockerhost01']);
  t.same(pick(seed(), 'zone==external', 'disk==ssd'), ['dockerhost01']);
  t.same(pick(seed(), 'zone!=external'), ['dockerhost03']);
  t.same(pick(seed(), 'disk==/s+d/'), ['dockerhost01', 'dockerhost03']);
});

t.test('node by name, ID, address; pseudo-labels', async (t) => {
  t.same(pick(seed(), 'node==dockerhost02'), ['dockerhost02']);
  t.same(pick(seed(), 'node==ID-dockerhost03'), ['dockerhost03']);
  t.same(pick(seed(), 'node==127.0.1.1:2375'), ['dockerhost01']);
  t.same(pick(seed(), 'node==127.0.1.1'), ['dockerhost01']);
  t.same(pick(seed(), 'node==dockerhost0*'), ['dockerhost01', 'dockerhost02', 'dockerhost03']);
  t.same(pick(seed(), 'storagedriver==overlay2', 'ostype==linux', 'kernelversion==6.*', 'operatingsystem==debian'), [
    'dockerhost01',
    'dockerhost02',
    'dockerhost03',
  ]);
});

t.test('duplicate engine names are told apart by address', async (t) => {
  const twins = [node('same', { addr: '127.0.1.1:2375', id: 'A' }), node('same', { addr: '127.0.1.2:2375', id: 'B' })];
  t.same(pick(twins, 'node==127.0.1.2:2375').length, 1);
  const out = constraint.apply(req({ constraints: ['node==127.0.1.2:2375'] }), twins, true);
  t.equal(out.ok && out.nodes[0]?.id, 'B');
});

t.test('a label the node lacks: == fails, != holds', async (t) => {
  t.same(pick(seed(), 'rack!=r1'), ['dockerhost01', 'dockerhost02', 'dockerhost03']);
  t.equal(pick(seed(), 'rack==r1'), 'constraint rack==r1');
});

t.test('soft constraints: applied when soft, skipped otherwise', async (t) => {
  t.equal(constraint.apply(req({ constraints: ['zone==~mars'] }), seed(), true).ok, false);
  const out = constraint.apply(req({ constraints: ['zone==~mars', 'disk==hdd'] }), seed(), false);
  t.same(out.ok && names(out.nodes), ['dockerhost02']);
});
