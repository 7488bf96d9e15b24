import t from 'tap';
import {
  addrsFromEntries,
  parseSwarmEntries,
  expandRange,
  parseDiscovery,
  parseNodeFile,
  parseNodeList,
} from '../../../agents/manage/discovery/parse.js';

t.test('store schemes keep the URI', async (t) => {
  for (const s of ['consul://127.0.0.1:8500/swarm', 'etcd://h/swarm', 'etcd2://h/swarm', 'zk://h:2181/swarm'])
    t.same(parseDiscovery(s), { kind: 'store', uri: s });
});

t.test('file:///path', async (t) => {
  t.same(parseDiscovery('file:///etc/shoal/nodes'), { kind: 'file', path: '/etc/shoal/nodes' });
  t.throws(() => parseDiscovery('file://relative'), { code: 'SHOAL_MANAGE_DISCOVERY' });
});

t.test('nodes:// and bare comma lists, with ranges', async (t) => {
  t.same(parseDiscovery('nodes://h1:2375,h2:2375'), { kind: 'nodes', addrs: ['h1:2375', 'h2:2375'] });
  t.same(parseDiscovery('127.0.1.1:2375, 127.0.1.2:2375'), {
    kind: 'nodes',
    addrs: ['127.0.1.1:2375', '127.0.1.2:2375'],
  });
  t.same(parseNodeList('10.0.0.[10:12]:2375,10.0.0.11:2375'), ['10.0.0.10:2375', '10.0.0.11:2375', '10.0.0.12:2375']);
  t.same(expandRange('10.0.0.[10:20]:2375').length, 11);
  t.same(expandRange('node[1:3].example:2375'), ['node1.example:2375', 'node2.example:2375', 'node3.example:2375']);
  t.same(parseNodeList('[::1]:2375'), ['[::1]:2375']);
});

t.test('bad lists are refused with the expectation', async (t) => {
  for (const bad of [
    '',
    'h1',
    'h1:2375,h2',
    '10.0.0.[20:10]:2375',
    '10.0.0.[1:99999]:2375',
    'ftp://x',
    '10.0.0.[a:b]:1',
  ]) {
    t.throws(() => parseDiscovery(bad), { code: 'SHOAL_MANAGE_DISCOVERY' }, bad);
  }
});

t.test('discovery files: comments, blanks, lists and ranges', async (t) => {
  t.same(parseNodeFile('# cluster\n127.0.1.1:2375\n\n127.0.1.[2:3]:2375  # two more\n127.0.1.1:2375\n'), [
    '127.0.1.1:2375',
    '127.0.1.2:2375',
    '127.0.1.3:2375',
  ]);
  t.throws(() => parseNodeFile('nonsense\n'), { code: 'SHOAL_MANAGE_DISCOVERY' });
});

t.test('store entries: address in the key (as shoal join writes it) or in the value; junk skipped', async (t) => {
  t.same(
    addrsFromEntries([
      { key: '127.0.1.1:2375', value: '127.0.1.1:2375' },
      { key: 'nodes/127.0.1.2:2375', value: '' },
      { key: 'abc', value: '127.0.1.3:2375' },
      { key: 'junk', value: 'junk' },
      { key: 'docker/swarm/leader', value: '127.0.0.1:4000' },
    ]),
    ['127.0.1.1:2375', '127.0.1.2:2375', '127.0.1.3:2375'],
  );
  t.same(
    parseSwarmEntries([
      { key: 'junk', value: 'junk' },
      { key: 'docker/swarm/leader', value: 'x' },
      { key: 'h:1', value: '' },
    ]),
    { addrs: ['h:1'], skipped: ['junk'] },
  );
});
