/** Networks and volumes as classic Swarm resolves and places them (pure): NW1..NW3, NW5, VO1. */
import t from 'tap';
import {
  findNetwork,
  networkPlacement,
  noSuchNetwork,
  volumePlacement,
  type NetworkRef,
} from '../../../agents/manage/api/netref.js';
import { prepareCreate } from '../../../agents/manage/scheduler/request.js';
import { schedule, filterNodes } from '../../../agents/manage/scheduler/scheduler.js';
import { filtersByName } from '../../../agents/manage/scheduler/filters/index.js';
import { spread } from '../../../agents/manage/scheduler/strategies/spread.js';
import { FILTERS as FILTER_NAMES } from '../../../agents/manage/config.js';
import { names, node } from '../scheduler/fixtures.js';

const n1 = { name: 'node-0', id: 'AAAA', addr: '127.0.1.1:2375' };
const n2 = { name: 'node-1', id: 'BBBB', addr: '127.0.1.2:2375' };
const id = (c: string) => c.repeat(64);
const nets: NetworkRef[] = [
  { id: id('a'), name: 'bridge', node: n1 },
  { id: id('b'), name: 'bridge', node: n2 },
  { id: id('c'), name: 'mine', node: n2 },
  { id: id('d'), name: 'overlay1', node: n1 },
  { id: id('d'), name: 'overlay1', node: n2 },
];

t.test('NW3: a name on several nodes names no network; node/name, a unique name or an ID do', async (t) => {
  t.equal(findNetwork(nets, 'bridge'), undefined, 'ambiguous');
  t.equal(findNetwork(nets, 'node-0/bridge')?.id, id('a'));
  t.equal(findNetwork(nets, 'BBBB/bridge')?.id, id('b'), 'by node ID');
  t.equal(findNetwork(nets, 'mine')?.node.name, 'node-1');
  t.equal(findNetwork(nets, '/mine')?.id, id('c'));
  t.equal(findNetwork(nets, 'overlay1')?.id, id('d'), 'one network seen on two nodes is one');
  t.equal(findNetwork(nets, id('b'))?.node.name, 'node-1', 'full ID');
  t.equal(findNetwork(nets, 'cccccccccccc')?.name, 'mine', 'short ID');
  t.equal(findNetwork(nets, 'ccc')?.name, 'mine', 'unique ID prefix');
  t.equal(findNetwork(nets, 'node-2/bridge'), undefined);
  t.equal(findNetwork(nets, ''), undefined);
  t.equal(noSuchNetwork('GET', 'bridge'), 'No such network: bridge');
  t.equal(noSuchNetwork('DELETE', 'bridge'), 'No such network bridge');
});

const FILTERS = filtersByName(FILTER_NAMES);
const opts = { filters: FILTERS, strategy: spread, overcommit: 0.05, random: () => 0 };
const cluster = [node('node-0'), node('node-1')];

t.test('NW1/NW2: a network goes to one node; node/NAME to that node; an unknown node fails placement', async (t) => {
  const plain = networkPlacement('test1');
  t.equal(plain.name, 'test1');
  t.equal(schedule(plain.request, cluster, opts).length, 2, 'the scheduler ranks both; the first is taken');
  const named = networkPlacement('node-1/test2');
  t.equal(named.name, 'test2');
  t.same(names(schedule(named.request, cluster, opts)), ['node-1']);
  t.throws(() => schedule(networkPlacement('node-2/test3').request, cluster, opts), {
    message:
      'Unable to find a node that satisfies the following conditions \n[available container slots]\n[node==node-2]',
  });
});

t.test('VO1: whitelist labels choose the nodes of a volume; none means every node', async (t) => {
  const three = [...cluster, node('node-2')];
  t.equal(volumePlacement(undefined), undefined);
  t.equal(volumePlacement({ other: 'x' }), undefined);
  const req = volumePlacement({ 'com.docker.swarm.whitelists': '["node==node-1|node-2"]' });
  t.ok(req);
  t.same(names(filterNodes(req!, three, FILTERS)), ['node-1', 'node-2']);
  const none = volumePlacement({ 'com.docker.swarm.whitelists': '["node==nosuch"]' });
  t.throws(() => schedule(none!, three, opts), {
    message:
      'Unable to find a node that satisfies the following conditions \n[available container slots]\n[node==nosuch (soft=false)]',
  });
  t.throws(() => volumePlacement({ 'com.docker.swarm.whitelists': '["node"]' }), {
    code: 'SHOAL_MANAGE_BAD_CREATE',
    message: /label com.docker.swarm.whitelists/,
  });
});

t.test('NW5: --net NODE/NET constrains the container to NODE and asks the engine for NET', async (t) => {
  const { request, body } = prepareCreate(
    {
      Image: 'busybox',
      HostConfig: { NetworkMode: 'node-1/testn', Memory: 0 },
      NetworkingConfig: { EndpointsConfig: { 'node-1/testn': { Aliases: ['a'] } } },
    },
    't',
    'sid',
  );
  t.same(request.constraints, [{ key: 'node', op: '==', value: 'node-1', soft: false }]);
  t.equal(body.HostConfig?.NetworkMode, 'testn');
  t.same(body['NetworkingConfig'], { EndpointsConfig: { testn: { Aliases: ['a'] } } });
  t.same(names(schedule(request, cluster, opts)), ['node-1']);
  for (const mode of ['bridge', 'container:x', 'mynet', '']) {
    const p = prepareCreate({ Image: 'busybox', HostConfig: { NetworkMode: mode } }, 't', 'sid');
    t.same(p.request.constraints, [], mode);
    t.equal(p.body.HostConfig?.NetworkMode, mode);
  }
});
