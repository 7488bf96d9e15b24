import t from 'tap';
import { ExecOwners } from '../../../agents/manage/cluster/execs.js';
import { EngineNode } from '../../../agents/manage/cluster/node.js';
import { DockerClient } from '../../../agents/docker/client.js';
import { silentLogger } from '../../../agents/common/log.js';

// never started: no I/O unless asked
const nodeOpts = { failureRetry: 1, refreshMinMs: 1000, refreshMaxMs: 2000, log: silentLogger() };
const node = (addr: string) => new EngineNode(DockerClient.forAddress(addr), nodeOpts);

t.test('the memory of exec owners is bounded: the least recently remembered go first', async (t) => {
  const o = new ExecOwners(2);
  const [a, b] = [node('127.0.1.1:2375'), node('127.0.1.2:2375')];
  o.remember('e1', a.addr);
  o.remember('e2', b.addr);
  o.remember('e1', a.addr); // e1 is the most recent again
  o.remember('e3', b.addr);
  t.equal(o.size, 2);
  t.equal(await o.locate('e1', [a, b]), a, 'kept: remembered again before e3');
  t.equal(await o.locate('e3', [a, b]), b);
});

t.test('a remembered owner no longer in the cluster is not returned; no nodes, no owner', async (t) => {
  const o = new ExecOwners();
  o.remember('e1', '127.0.1.9:2375');
  t.equal(await o.locate('e1', []), undefined);
  t.equal(await o.locate('nope', []), undefined);
});
