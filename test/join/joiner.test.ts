import t from 'tap';
import { joinStep, startDelay } from '../../agents/join/decide.js';
import { Joiner } from '../../agents/join/joiner.js';
import { silentLogger } from '../../agents/common/log.js';
import { MemoryStore, type MemoryLease } from '../fakes/memory-store.js';

t.test('joinStep table', async (t) => {
  t.equal(joinStep(false, true), 'advertise');
  t.equal(joinStep(true, true), 'refresh');
  t.equal(joinStep(true, false), 'withdraw');
  t.equal(joinStep(false, false), 'idle');
  t.equal(startDelay(0, () => 0.9), 0);
  t.equal(startDelay(1000, () => 0.5), 500);
  t.ok(startDelay(1000, () => 0.999999) < 1000);
});

t.test('joiner beats: advertise, refresh after loss, withdraw while engine down, survive store outage', async (t) => {
  const store = new MemoryStore();
  let up = true;
  const j = new Joiner(store, { key: '127.0.1.4:2375', value: '127.0.1.4:2375', heartbeatMs: 1000, ttlMs: 3000, ping: async () => { if (!up) throw new Error('down'); } }, silentLogger());
  await j.beat();
  t.equal(store.data.get('127.0.1.4:2375'), '127.0.1.4:2375');
  (store.leases[0] as MemoryLease).expire();
  await j.beat();
  t.equal(store.data.get('127.0.1.4:2375'), '127.0.1.4:2375', 'refreshed after the key vanished');
  up = false;
  await j.beat();
  t.equal(store.data.has('127.0.1.4:2375'), false, 'withdrawn');
  await j.beat();
  t.equal(store.data.has('127.0.1.4:2375'), false, 'stays withdrawn');
  up = true;
  store.failing = true;
  await t.rejects(j.beat());
  store.failing = false;
  await j.beat();
  t.equal(store.data.get('127.0.1.4:2375'), '127.0.1.4:2375', 'back after the outage');
  const ac = new AbortController();
  const running = j.run(ac.signal);
  ac.abort();
  await running;
  t.equal(store.data.has('127.0.1.4:2375'), false, 'removed on shutdown');
  t.equal(store.leases.length, 1);
});
