import t from 'tap';
import { whitelist } from '../../../../agents/manage/scheduler/filters/whitelist.js';
import { req, names, seed } from '../fixtures.js';

const pick = (...w: string[]) => {
  const out = whitelist.apply(req({ whitelists: w }), seed(), true);
  return out.ok ? names(out.nodes) : out.reason;
};

t.test('no whitelist: every node', async (t) => {
  t.same(pick(), ['dockerhost01', 'dockerhost02', 'dockerhost03']);
});

t.test('a node matching any whitelist entry is kept', async (t) => {
  t.same(pick('node==dockerhost01', 'node==dockerhost03'), ['dockerhost01', 'dockerhost03']);
  t.same(pick('disk==hdd'), ['dockerhost02']);
});

t.test('nothing on the whitelist is an error listing it', async (t) => {
  t.equal(pick('node==h9', 'node==h8'), 'whitelist node==h9 | node==h8');
});
