import t from 'tap';
import { exprMatches, formatExpr, parseExpr, valueMatches } from '../../../agents/manage/scheduler/expr.js';

t.test('parses ==, != and the seed single =', async (t) => {
  t.same(parseExpr('zone==external'), { key: 'zone', op: '==', value: 'external', soft: false });
  t.same(parseExpr('node!=dockerhost01'), { key: 'node', op: '!=', value: 'dockerhost01', soft: false });
  t.same(parseExpr('image=redis'), { key: 'image', op: '==', value: 'redis', soft: false });
  t.same(parseExpr('com.example.tier==web'), { key: 'com.example.tier', op: '==', value: 'web', soft: false });
});

t.test('a ~ before the value (swarm ==~) or before the key makes it soft', async (t) => {
  t.same(parseExpr('zone==~external'), { key: 'zone', op: '==', value: 'external', soft: true });
  t.same(parseExpr('~zone==external'), { key: 'zone', op: '==', value: 'external', soft: true });
  t.equal(formatExpr(parseExpr('zone!=~x')), 'zone!=~x');
});

t.test('rejects what is not an expression', async (t) => {
  for (const bad of ['zone', '==x', 'zone==', 'zone<=x', 'zone==/[/'])
    t.throws(() => parseExpr(bad), { code: 'SHOAL_MANAGE_EXPR' }, bad);
});

t.test('values: plain, glob and regex', async (t) => {
  t.ok(valueMatches('external', ['external']));
  t.notOk(valueMatches('external', ['externalx']));
  t.ok(valueMatches('EXTERNAL', ['external']), 'plain is case-insensitive');
  t.ok(valueMatches('docker*', ['dockerhost01']));
  t.notOk(valueMatches('docker*', ['mydockerhost']));
  t.ok(valueMatches('/host0[12]$/', ['dockerhost02']));
  t.notOk(valueMatches('/host0[12]$/', ['dockerhost03']));
  t.ok(valueMatches('a.b', ['a.b']));
  t.notOk(valueMatches('a.b', ['axb']), 'dots are literal outside regexes');
  t.ok(valueMatches('node-1|node-2', ['node-2']), '| separates alternatives (VO1)');
  t.ok(valueMatches('node-1|node-2', ['node-1']));
  t.notOk(valueMatches('node-1|node-2', ['node-12']), 'each alternative matches whole');
  t.ok(valueMatches('web*|db', ['web3']));
});

t.test('!= negates, and holds when nothing is there to match', async (t) => {
  t.ok(exprMatches(parseExpr('zone!=internal'), ['external']));
  t.notOk(exprMatches(parseExpr('zone!=internal'), ['internal']));
  t.ok(exprMatches(parseExpr('zone!=internal'), []));
  t.notOk(exprMatches(parseExpr('zone==internal'), []));
});
