/**
 * The registrator core in catalog mode on fakes (engine, Consul agent, timers): registrations follow the
 * events, the upkeep timer passes TTL checks and puts back what the agent lost, stop() stops it. No servers.
 */
import t from 'tap';
import { FakeDocker } from '../fakes/fake-docker.js';
import { HOST, catalogRig, connected, container, flush, settled, until } from './core-setup.js';

const id = (name: string) => `${HOST}:${name}:80`;

t.test('a start registers with the agent, a die deregisters; ready after the first sync', async (t) => {
  const { docker, agent, reg, handle, ready } = await catalogRig();
  docker.containers.set('id-web1', container('web1'));
  await docker.emit(connected());
  await settled(reg);
  t.same([...agent.services.keys()], [id('web1')]);
  const meta = { 'shoal-host': HOST };
  t.match(agent.services.get(id('web1')), { Service: 'nginx', Address: '127.0.1.4', Port: 32768, Meta: meta });
  t.same(ready, ['first sync done: 1 put, 0 deleted']);
  docker.containers.set('id-web2', container('web2', 32769));
  await docker.emit(FakeDocker.event('start', 'id-web2'));
  await settled(reg);
  t.equal(agent.services.size, 2);
  docker.containers.delete('id-web1');
  await docker.emit(FakeDocker.event('destroy', 'id-web1'));
  await settled(reg);
  t.same([...agent.services.keys()], [id('web2')]);
  await handle.stop();
});

t.test('--ttl: every --ttl-refresh the TTL checks pass; services the agent lost come back', async (t) => {
  const { docker, agent, reg, handle, clock } = await catalogRig({ ttl: '30s', ttlRefresh: '10s' });
  docker.containers.set('id-web1', container('web1'));
  await docker.emit(connected());
  await settled(reg);
  clock.advance(9_999);
  await flush();
  t.same(agent.passed, [], 'not before --ttl-refresh');
  clock.advance(1);
  await flush();
  t.same(agent.passed, [`shoal-ttl:${id('web1')}`]);
  agent.services.clear(); // the agent restarted
  const back = until(reg, () => agent.services.has(id('web1')));
  clock.advance(10_000);
  await back;
  t.equal(reg.stats.fullSyncs, 2, 'a full resync put it back');
  await handle.stop();
  t.equal(clock.pending, 0, 'upkeep timer stopped');
});

t.test('without --ttl the agent is checked every 10s for lost services, and no check is passed', async (t) => {
  const { docker, agent, reg, handle, clock } = await catalogRig();
  docker.containers.set('id-web1', container('web1'));
  await docker.emit(connected());
  await settled(reg);
  agent.services.delete(id('web1'));
  const back = until(reg, () => agent.services.has(id('web1')));
  clock.advance(10_000);
  await back;
  t.same(agent.passed, []);
  await handle.stop();
  t.equal(clock.pending, 0);
});
