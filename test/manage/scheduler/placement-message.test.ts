/** A failed placement in classic Swarm's words: literal fixtures of what Swarm 1.2.9 prints. */
import t from 'tap';
import { placementMessage, schedule, PlacementError } from '../../../agents/manage/scheduler/scheduler.js';
import { filtersByName } from '../../../agents/manage/scheduler/filters/index.js';
import { strategyByName } from '../../../agents/manage/scheduler/strategies/index.js';
import { FILTERS } from '../../../agents/manage/config.js';
import { prepareCreate } from '../../../agents/manage/scheduler/request.js';
import { ctr, seed } from './fixtures.js';

const HEAD = 'Unable to find a node that satisfies the following conditions ';
const opts = { filters: filtersByName(FILTERS), strategy: strategyByName('spread') };

function message(body: Record<string, unknown>, nodes = seed()): string {
  try {
    schedule(prepareCreate({ Image: 'busybox', ...body }, undefined, 'id').request, nodes, opts);
  } catch (err) {
    if (err instanceof PlacementError) return err.message;
    throw err;
  }
  throw new Error('expected a PlacementError');
}

t.test(
  'the layout: a first line with a trailing space, one bracketed line per filter that has conditions',
  async (t) => {
    t.equal(
      placementMessage('constraint', 'x', [
        [],
        ['port 80 (Bridge mode)'],
        ['available container slots'],
        [],
        ['node==n2'],
      ]),
      `${HEAD}\n[port 80 (Bridge mode)]\n[available container slots]\n[node==n2]`,
    );
    t.equal(
      placementMessage('affinity', 'x', [
        [],
        [],
        ['available container slots'],
        [],
        ['a!=1 (soft=false)', 'b==2 (soft=true)'],
      ]),
      `${HEAD}\n[available container slots]\n[a!=1 (soft=false) b==2 (soft=true)]`,
    );
    t.equal(
      placementMessage('health', 'no healthy node available in the cluster', [[]]),
      'no healthy node available in the cluster',
    );
    t.equal(placementMessage('resources', 'whatever', []), 'no resources available to schedule container');
  },
);

t.test('each filter states its conditions as Swarm does, up to the failing filter', async (t) => {
  t.equal(
    message({
      Env: ['constraint:node==nope', 'constraint:zone!=x', 'affinity:container!=foo', 'affinity:image==~bar'],
    }),
    `${HEAD}\n[available container slots]\n[container!=foo (soft=false) image==bar (soft=true)]\n[node==nope zone!=x]`,
  );
  t.equal(
    message({ Env: ['constraint:node==nope'], HostConfig: { Links: ['nosuch:a'] } }),
    `${HEAD}\n[available container slots]\n[--link=nosuch:a]`,
  );
  t.equal(
    message({ HostConfig: { VolumesFrom: ['v1'], NetworkMode: 'container:c2' } }),
    `${HEAD}\n[available container slots]\n[--volumes-from=v1 --net=container:c2]`,
  );
  const bridge = {
    HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '81' }] } },
    Env: ['constraint:node==nope'],
  };
  t.equal(message(bridge), `${HEAD}\n[port 81 (Bridge mode)]\n[available container slots]\n[node==nope]`);
  t.equal(
    message({ ExposedPorts: { '80/tcp': {} }, HostConfig: { NetworkMode: 'host' }, Env: ['constraint:node==nope'] }),
    `${HEAD}\n[port 80/tcp (Host mode)]\n[available container slots]\n[node==nope]`,
  );
  t.equal(
    message({ Env: ['whitelist:node==nope'] }),
    `${HEAD}\n[available container slots]\n[node==nope (soft=false)]`,
  );
  const busy = seed().map((n) => ({
    ...n,
    containers: [ctr({ id: `x-${n.name}`, ports: [{ hostIp: '', hostPort: 80, proto: 'tcp' }] })],
  }));
  t.equal(
    message({ HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '80' }] } } }, busy),
    `${HEAD}\n[port 80 (Bridge mode)]`,
  );
  t.equal(message({ HostConfig: { Memory: 1e15 } }), 'no resources available to schedule container');
});
