/**
 * One change, one write, no wasted round trip (fakes, no servers): `die` and `destroy` settle the decision
 * without an inspect, `kill`/`stop`/`oom` do not trigger a pass of their own, a later `start` overrides a
 * coalesced `die`, and with --ttl a new key is one lease write (no read first).
 */
import t from 'tap';
import { decideFromEvent } from '../../agents/registrator/decide.js';
import { LeaseWriter } from '../../agents/registrator/writer.js';
import type { EventItem } from '../../agents/docker/events.js';
import { FakeDocker } from '../fakes/fake-docker.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { connected, container, keyOf, kvRig, settled } from './core-setup.js';

const ev = FakeDocker.event;
const die = (id: string, exitCode: string): EventItem => {
  const item = ev('die', id);
  if (item.kind === 'event') item.event.attributes = { exitCode };
  return item;
};

t.test('decideFromEvent: destroy and die settle it; the rest needs an inspect', async (t) => {
  const always = { deregister: 'always' as const, healthAware: true };
  const onSuccess = { deregister: 'on-success' as const, healthAware: true };
  t.equal(decideFromEvent('destroy', {}, onSuccess), 'deregister');
  t.equal(decideFromEvent('die', { exitCode: '137' }, always), 'deregister');
  t.equal(decideFromEvent('die', {}, always), 'deregister');
  t.equal(decideFromEvent('die', { exitCode: '0' }, onSuccess), 'deregister');
  t.equal(decideFromEvent('die', { exitCode: '1' }, onSuccess), 'keep');
  t.equal(decideFromEvent('die', {}, onSuccess), undefined, 'no exit code: inspect');
  for (const a of ['start', 'unpause', 'pause', 'health_status', 'rename', 'restart'])
    t.equal(decideFromEvent(a, { exitCode: '0' }, always), undefined, a);
});

t.test('docker kill: the kill event is not a pass; the die deletes the key without an inspect', async (t) => {
  const { docker, store, reg, handle } = await kvRig();
  docker.containers.set('id-web1', container('web1'));
  await docker.emit(connected());
  await settled(reg);
  t.ok(store.data.has(keyOf('web1')));
  const inspects = docker.calls.inspect;
  await docker.emit(ev('kill', 'id-web1'), ev('oom', 'id-web1'));
  await settled(reg);
  t.equal(docker.calls.inspect, inspects, 'kill and oom: no inspect');
  t.equal(reg.stats.events, 0);
  // the engine has not even answered with the exited state yet: the event alone decides
  await docker.emit(die('id-web1', '137'), ev('stop', 'id-web1'));
  await settled(reg);
  t.notOk(store.data.has(keyOf('web1')), 'deleted');
  t.equal(docker.calls.inspect, inspects, 'die: no inspect');
  t.equal(reg.stats.deletes, 1);
  await handle.stop();
});

t.test('a die then a start of one container before the pass: the start wins (inspected, key kept)', async (t) => {
  const { docker, store, reg, handle, puts } = await kvRig();
  docker.containers.set('id-web2', container('web2'));
  await docker.emit(connected());
  await settled(reg);
  const inspects = docker.calls.inspect;
  // both marks land before the loop runs (as when a pass is in flight while they arrive)
  reg.markDirty('id-web2', 'deregister');
  reg.markDirty('id-web2');
  await settled(reg);
  t.ok(store.data.has(keyOf('web2')), 'still registered');
  t.equal(reg.stats.deletes, 0);
  t.same(puts, [keyOf('web2')], 'no write beyond the first sync');
  t.equal(docker.calls.inspect, inspects + 1, 'the start was inspected');
  // in stream order, each on its own: deleted, then written again
  await docker.emit(die('id-web2', '1'), ev('start', 'id-web2'));
  await settled(reg);
  t.ok(store.data.has(keyOf('web2')), 'registered again');
  await handle.stop();
});

t.test('--deregister on-success: a non-zero die keeps the key, without an inspect', async (t) => {
  const { docker, store, reg, handle } = await kvRig({ deregister: 'on-success' });
  docker.containers.set('id-web3', container('web3'));
  docker.containers.set('id-web4', container('web4', 32769));
  await docker.emit(connected());
  await settled(reg);
  const inspects = docker.calls.inspect;
  await docker.emit(die('id-web3', '2'), die('id-web4', '0'));
  await settled(reg);
  t.ok(store.data.has(keyOf('web3')), 'failed container kept');
  t.notOk(store.data.has(keyOf('web4')), 'clean exit deregistered');
  t.equal(docker.calls.inspect, inspects);
  await handle.stop();
});

t.test('a destroy of a container never registered writes nothing and inspects nothing', async (t) => {
  const { docker, reg, handle } = await kvRig();
  await docker.emit(connected());
  await settled(reg);
  const inspects = docker.calls.inspect;
  await docker.emit(ev('destroy', 'id-gone'));
  await settled(reg);
  t.equal(docker.calls.inspect, inspects);
  t.equal(reg.stats.deletes + reg.stats.puts, 0);
  await handle.stop();
});

t.test('--ttl: a new key is one lease write, no read of the store first', async (t) => {
  const store = new MemoryStore();
  let reads = 0;
  const get = store.get.bind(store);
  store.get = async (k) => {
    reads += 1;
    return get(k);
  };
  const lease = await store.lease(10_000);
  const writer = new LeaseWriter(store, lease);
  await writer.put('svc-80/h:c:80', '10.0.0.1:80');
  await writer.put('svc-80/h:c:80', '10.0.0.2:80');
  t.equal(reads, 0);
  t.equal(store.data.get('svc-80/h:c:80'), '10.0.0.2:80');
  t.same(lease.keys(), ['svc-80/h:c:80']);
});
