import t from 'tap';
import { clusterSummary, nodeObject } from '../../../agents/manage/api/handlers/containers.js';
import { EngineNode } from '../../../agents/manage/cluster/node.js';
import { DockerClient } from '../../../agents/docker/client.js';
import { silentLogger } from '../../../agents/common/log.js';

// an EngineNode that is never started: no network
const nodeOpts = { failureRetry: 3, refreshMinMs: 1000, refreshMaxMs: 2000, log: silentLogger() };
const node = new EngineNode(DockerClient.forAddress('10.0.0.7:2375'), nodeOpts);
node.name = 'dockerhost07';
node.id = 'ABC';

t.test('names become /<node>/<name>; 0.0.0.0 ports show the node IP; a down node says Host Down', async (t) => {
  const c = {
    Id: 'x',
    Names: ['/web', '/other/alias'],
    Status: 'Up 1 minute',
    Ports: [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '127.0.0.1', PrivatePort: 81, PublicPort: 8081, Type: 'tcp' },
    ],
  };
  const s = clusterSummary(node, c, false);
  t.same(s.Names, ['/dockerhost07/web', '/dockerhost07/other/alias']);
  t.same(
    s.Ports?.map((p) => p.IP),
    ['10.0.0.7', '127.0.0.1'],
  );
  t.equal(s['Status'], 'Up 1 minute');
  t.equal(clusterSummary(node, c, true)['Status'], 'Host Down');
});

t.test('inspect Node object', async (t) => {
  t.match(nodeObject(node), { ID: 'ABC', IP: '10.0.0.7', Addr: '10.0.0.7:2375', Name: 'dockerhost07' });
});
