/**
 * The registrator core on fakes (engine, memory store, timers): the event -> dirty -> write loop, the
 * start order, reconnects, store failures, the resync timer, readiness and stop. No servers.
 */
import t from 'tap';
import { silentLogger } from '../../agents/common/log.js';
import { startRegistrator } from '../../agents/registrator/core.js';
import { kvTarget } from '../../agents/registrator/kv-target.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeDocker } from '../fakes/fake-docker.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { configFor, connected, container, flush, keyOf, kvRig, settled, until } from './core-setup.js';

const ev = FakeDocker.event;

t.test('the event stream is open before anything is listed; the first full sync makes it ready', async (t) => {
  const { docker, store, reg, ready, handle } = await kvRig();
  docker.containers.set('id-web1', container('web1'));
  t.equal(docker.calls.list, 0, 'nothing listed before the stream is connected');
  t.same(ready, []);
  await docker.emit(connected());
  await handle.firstSync;
  await settled(reg);
  t.equal(docker.calls.list, 1);
  t.same(Object.fromEntries(store.data), { [keyOf('web1')]: '127.0.1.4:32768' });
  t.same(ready, ['first sync done: 1 put, 0 deleted']);
  t.match(handle.metrics.health(), { ok: true, lastSyncOk: true, storeConnected: true, fullSyncs: 1 });
  await handle.stop();
});

t.test('a container start marks it dirty and produces exactly one write', async (t) => {
  const { docker, store, reg, handle, puts } = await kvRig();
  await docker.emit(connected());
  await settled(reg);
  t.same(puts, []);
  docker.containers.set('id-web2', container('web2', 32769));
  await docker.emit(ev('start', 'id-web2'));
  await settled(reg);
  t.same(puts, [keyOf('web2')]);
  t.equal(store.data.get(keyOf('web2')), '127.0.1.4:32769');
  t.equal(docker.calls.inspect, 1, 'inspected once');
  t.equal(reg.stats.containerSyncs, 1);
  await handle.stop();
});

t.test('a burst of events for one container coalesces into one write', async (t) => {
  const { docker, reg, handle, puts } = await kvRig();
  await docker.emit(connected());
  await settled(reg);
  docker.containers.set('id-web3', container('web3'));
  const burst = ['start', 'health_status', 'rename', 'restart', 'start', 'unpause', 'start', 'health_status'];
  await docker.emit(...burst.map((a) => ev(a, 'id-web3')));
  await settled(reg);
  t.same(puts, [keyOf('web3')], 'one write');
  t.equal(reg.stats.events, burst.length);
  t.ok(docker.calls.inspect < burst.length, `${docker.calls.inspect} inspections for ${burst.length} events`);
  await handle.stop();
});

t.test('events that cannot change what a container offers are ignored', async (t) => {
  const { docker, reg, handle } = await kvRig();
  await docker.emit(connected());
  await settled(reg);
  await docker.emit(ev('create', 'id-x'), ev('attach', 'id-x'), ev('exec_start', 'id-x'));
  await settled(reg);
  t.equal(docker.calls.inspect, 0);
  t.equal(reg.stats.events, 0);
  await handle.stop();
});

t.test("a die removes the key; another host's keys stay", async (t) => {
  const { docker, store, reg, handle } = await kvRig();
  store.data.set('nginx-80/dh2:web9:80', '10.0.0.2:80');
  docker.containers.set('id-web1', container('web1'));
  await docker.emit(connected());
  await settled(reg);
  t.ok(store.data.has(keyOf('web1')));
  docker.containers.set('id-web1', container('web1', 32768, { state: 'exited', running: false, exitCode: 137 }));
  await docker.emit(ev('die', 'id-web1'));
  await settled(reg);
  t.same(Object.fromEntries(store.data), { 'nginx-80/dh2:web9:80': '10.0.0.2:80' });
  t.equal(reg.stats.deletes, 1);
  await handle.stop();
});

t.test('a store failure keeps the change pending and retries it after the backoff', async (t) => {
  const { docker, store, reg, handle, clock, puts } = await kvRig();
  await docker.emit(connected());
  await settled(reg);
  store.fail();
  t.equal(handle.metrics.health().storeConnected, false, 'lost store reported');
  docker.containers.set('id-web4', container('web4'));
  const failed = until(reg, () => reg.stats.errors === 1);
  await docker.emit(ev('start', 'id-web4'));
  await failed;
  t.equal(store.data.size, 0);
  t.equal(reg.lastSyncOk, false);
  t.equal(reg.idle(), false, 'still something to do');
  store.recover();
  clock.advance(2000); // --retry-interval 2s: the first retry is due within it
  await settled(reg);
  t.same(puts, [keyOf('web4')], 'written once the store answers');
  t.match(handle.metrics.health(), { ok: true, storeConnected: true, lastSyncOk: true, errors: 1 });
  await handle.stop();
});

t.test('a reconnected event stream reconciles what changed meanwhile', async (t) => {
  const { docker, store, reg, handle } = await kvRig();
  docker.containers.set('id-old', container('old'));
  await docker.emit(connected());
  await settled(reg);
  t.ok(store.data.has(keyOf('old')));
  await docker.emit({ kind: 'disconnected', error: 'socket closed' });
  docker.containers.delete('id-old');
  docker.containers.set('id-new', container('new', 40000));
  await docker.emit(connected(true));
  await settled(reg);
  t.same(Object.fromEntries(store.data), { [keyOf('new')]: '127.0.1.4:40000' });
  t.equal(reg.stats.reconnects, 1);
  t.equal(reg.stats.fullSyncs, 2);
  await handle.stop();
});

t.test("an engine unreachable for --withdraw-after withdraws this host's entries until it is back", async (t) => {
  const { docker, store, reg, handle, clock } = await kvRig({ withdrawAfter: '15s' });
  docker.containers.set('id-web1', container('web1'));
  await docker.emit(connected());
  await settled(reg);
  await docker.emit({ kind: 'disconnected', error: 'engine gone' });
  clock.advance(14_999);
  t.equal(store.data.size, 1, 'kept before --withdraw-after');
  const withdrawn = until(reg, () => store.data.size === 0);
  clock.advance(1);
  await withdrawn;
  await docker.emit(connected(true));
  await settled(reg);
  t.equal(store.data.get(keyOf('web1')), '127.0.1.4:32768', 'back after the reconnect');
  await handle.stop();
});

t.test('--resync: the timer reconciles on its own', async (t) => {
  const { docker, store, reg, handle, clock } = await kvRig({ resync: '1m' });
  await docker.emit(connected());
  await settled(reg);
  docker.containers.set('id-quiet', container('quiet')); // no event
  clock.advance(59_999);
  t.equal(reg.stats.fullSyncs, 1);
  clock.advance(1);
  await settled(reg);
  t.equal(reg.stats.fullSyncs, 2);
  t.ok(store.data.has(keyOf('quiet')));
  clock.advance(60_000);
  await settled(reg);
  t.equal(reg.stats.fullSyncs, 3, 'and again');
  await handle.stop();
});

t.test('--ttl: entries are written on a lease; the lease coming back resyncs them', async (t) => {
  const { docker, store, reg, handle } = await kvRig({ ttl: '30s' });
  docker.containers.set('id-web1', container('web1'));
  await docker.emit(connected());
  await settled(reg);
  const lease = store.leases[0]!;
  t.equal(lease.ttlMs, 30_000);
  t.same(lease.keys(), [keyOf('web1')]);
  lease.expire();
  t.equal(store.data.size, 0);
  lease.emit('restored');
  await settled(reg);
  t.same(Object.fromEntries(store.data), { [keyOf('web1')]: '127.0.1.4:32768' });
  await handle.stop();
});

t.test('the store coming back asks for a full resync', async (t) => {
  const { docker, store, reg, handle } = await kvRig();
  await docker.emit(connected());
  await settled(reg);
  store.fail();
  docker.containers.set('id-web5', container('web5')); // its event was missed
  store.recover();
  await settled(reg);
  t.equal(reg.stats.fullSyncs, 2);
  t.ok(store.data.has(keyOf('web5')));
  await handle.stop();
});

t.test('stop() lets the pass in flight finish, then stops the stream, the timers and the store', async (t) => {
  const { docker, store, reg, handle, clock } = await kvRig({ resync: '1m', withdrawAfter: '15s' });
  await docker.emit(connected());
  await settled(reg);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let putting!: () => void;
  const entered = new Promise<void>((resolve) => (putting = resolve));
  const put = store.put.bind(store);
  store.put = async (k, v) => {
    putting();
    await gate;
    return put(k, v);
  };
  let closed = 0;
  store.close = async () => void (closed += 1);
  await docker.emit({ kind: 'disconnected', error: 'x' }, connected(true)); // arms and clears the withdraw clock
  await settled(reg);
  docker.containers.set('id-web6', container('web6'));
  await docker.emit(ev('start', 'id-web6'));
  await entered;
  let stopped = false;
  const stopping = handle.stop().then(() => (stopped = true));
  await flush();
  t.equal(stopped, false, 'waits for the write in flight');
  release();
  await stopping;
  t.ok(store.data.has(keyOf('web6')), 'the write in flight completed');
  t.equal(clock.pending, 0, 'no timer left');
  t.equal(docker.listeners, 0, 'event stream closed');
  t.equal(closed, 1, 'store closed');
  await handle.done;
});

t.test('start-up: --retry-attempts gives up on a store that does not answer; stop() ends the retries', async (t) => {
  const docker = new FakeDocker();
  const down = new MemoryStore();
  down.failing = true;
  const start = (flags: Record<string, unknown>) => {
    const config = configFor('consul://127.0.0.1:8500/svc', { retryInterval: '1ms', ...flags });
    const target = kvTarget(config, async () => down, silentLogger());
    return startRegistrator(config, { docker, target, log: silentLogger(), timers: new FakeClock() });
  };
  await t.rejects(start({ retryAttempts: '2' }).done, { code: 'SHOAL_STORE_UNAVAILABLE' });
  const forever = start({});
  while (down.requests < 3) await flush();
  await forever.stop();
  await forever.done;
  t.equal(await forever.started, undefined, 'never started');
  t.equal(docker.calls.info, 0, 'the engine is asked only once the store answers');
});

t.test('start-up: a host name that cannot be part of a key is refused', async (t) => {
  const docker = new FakeDocker('bad/host');
  const config = configFor('consul://127.0.0.1:8500/svc', { hostname: undefined });
  const handle = startRegistrator(config, {
    docker,
    target: kvTarget(config, async () => new MemoryStore(), silentLogger()),
    log: silentLogger(),
  });
  await t.rejects(handle.done, { code: 'SHOAL_BAD_HOSTNAME' });
});

t.test('start-up: stop() before the registry answered ends it without opening the writer or the stream', async (t) => {
  const docker = new FakeDocker();
  const store = new MemoryStore();
  const config = configFor('consul://127.0.0.1:8500/svc');
  const handle = startRegistrator(config, {
    docker,
    target: kvTarget(config, async () => store, silentLogger()),
    log: silentLogger(),
    timers: new FakeClock(),
  });
  await handle.stop();
  t.equal(await handle.started, undefined);
  t.equal(docker.calls.events, 0, 'no event stream');
  t.equal(store.leases.length + store.listenerCount('state'), 0, 'nothing opened on the store');
});
