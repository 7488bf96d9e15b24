/**
 * shoal join through a store outage (the chaos instances, stopped for 8 s, longer than the TTL): join keeps
 * running, retries, and the key is back soon after the store returns.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { engine } from '../harness/engines.js';
import { stateDir } from '../harness/proc.js';
import { until } from '../helpers/capture-log.js';
import { service } from '../harness/services.js';
import { rand, readerFor, SERVICE_OF, spawnShoal, waitEntries, type Backend } from '../registrator/helpers.js';

const ADDR = '127.0.1.1:2375';
const OUTAGE_MS = 8000;
const has = (kvs: { key: string; value: string }[]) => kvs.some((kv) => kv.key === ADDR && kv.value === ADDR);

for (const b of ['consul', 'etcd', 'zk'] as Backend[]) {
  t.test(`join on ${b}: store down 8 s (TTL 3 s); join keeps running and the key comes back`, async (t) => {
    const e = await engine(1);
    const chaos = await service(SERVICE_OF[b], 'chaos');
    const s = rand();
    const uri = `${b}://${chaos.address}/shoaltest-joinout-${s}`;
    const store = await readerFor(uri);
    const name = `join-outage-${b}-${s}`;
    const child = await spawnShoal(
      ['join', '--addr', ADDR, '--heartbeat', '1s', '--ttl', '3s', '--docker-host', e.dockerHost, uri],
      name,
    );
    const failedBeats = () =>
      readFileSync(`${stateDir('registrator-logs')}/${name}.log`, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"msg":"heartbeat failed"')).length;
    t.teardown(async () => {
      await child.kill();
      await chaos.start();
      await store.deleteTree('').catch(() => undefined);
      await store.close();
    });
    await waitEntries(store, has, 20_000);
    await chaos.stop();
    // three heartbeats failed on the outage, and join is still there
    await until(() => child.exited() || failedBeats() >= 3, 60_000, 'three failed heartbeats');
    t.ok(failedBeats() >= 3, 'heartbeats failed during the outage');
    t.equal(child.exited(), false, 'join did not exit during the outage');
    // the outage's length is the scenario (longer than the TTL, so the lease may be lost), not a wait for a result
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await chaos.start();
    const back = Date.now();
    await waitEntries(store, has, 30_000).then(
      () => t.pass(`key back ${Date.now() - back} ms after the store returned`),
      (err) => t.fail(String(err)),
    );
    t.equal(child.exited(), false, 'still running');
  });
}
