/**
 * shoal join against real stores and a real engine (engine 7, stopped and restarted here): the key appears,
 * survives heartbeats, is removed on SIGTERM, vanishes within the TTL after SIGKILL, is withdrawn while the
 * engine is stopped and comes back when it returns.
 */
import t from 'tap';
import { engine } from '../harness/engines.js';
import { builtBackends, rand, readerFor, spawnShoal, storeAddress, waitEntries, type Backend } from '../registrator/helpers.js';

const E = 7;
const ADDR = `127.0.1.${E}:2375`;
const { ok: backends, missing } = await builtBackends();
for (const m of missing) t.comment(`backend not built yet, not tested: ${m}`);

const joinArgs = (dockerHost: string, uri: string) => ['join', '--addr', ADDR, '--heartbeat', '1s', '--ttl', '3s', '--docker-host', dockerHost, uri];
const has = (kvs: { key: string; value: string }[]) => kvs.some((kv) => kv.key === ADDR && kv.value === ADDR);

for (const b of backends) {
  t.test(`join on ${b}: appears, survives heartbeats, SIGTERM removes, SIGKILL expires`, async (t) => {
    const e = await engine(E);
    const s = rand();
    const uri = `${b}://${await storeAddress(b)}/shoaltest-join-${s}`;
    const store = await readerFor(uri);
    t.teardown(async () => {
      await store.deleteTree('').catch(() => undefined);
      await store.close();
    });
    let child = await spawnShoal(joinArgs(e.dockerHost, uri), `join-${b}-${s}`);
    t.teardown(() => child.kill());
    await waitEntries(store, has, 20_000);
    t.pass('key appears');
    await new Promise((r) => setTimeout(r, 7000));
    t.same(await store.list(''), [{ key: ADDR, value: ADDR }], 'still there after two TTLs of heartbeats, and nothing else');
    t.equal(await child.kill('SIGTERM'), 0, 'clean exit on SIGTERM');
    t.same(await store.list(''), [], 'key removed on SIGTERM');
    child = await spawnShoal(joinArgs(e.dockerHost, uri), `join-${b}-${s}`);
    await waitEntries(store, has, 20_000);
    await child.kill('SIGKILL');
    const at = Date.now();
    await waitEntries(store, (kvs) => kvs.length === 0, 2 * 3000 + 5000).then(() => t.pass(`gone ${Date.now() - at} ms after SIGKILL`), (err) => t.fail(String(err)));
  });
}

t.test('join withdraws while the engine is stopped, on every backend at once', async (t) => {
  const e = await engine(E);
  const s = rand();
  const runs: { b: Backend; store: Awaited<ReturnType<typeof readerFor>>; kill: () => Promise<unknown> }[] = [];
  t.teardown(async () => {
    await e.start();
    for (const r of runs) {
      await r.kill();
      await r.store.deleteTree('').catch(() => undefined);
      await r.store.close();
    }
  });
  for (const b of backends) {
    const uri = `${b}://${await storeAddress(b)}/shoaltest-joine-${s}`;
    const child = await spawnShoal(joinArgs(e.dockerHost, uri), `joine-${b}-${s}`);
    runs.push({ b, store: await readerFor(uri), kill: () => child.kill() });
  }
  for (const r of runs) await waitEntries(r.store, has, 20_000);
  t.pass('advertised on every backend');
  await e.stop();
  for (const r of runs) await waitEntries(r.store, (kvs) => kvs.length === 0, 15_000).then(() => t.pass(`${r.b}: withdrawn while the engine is down`), (err) => t.fail(`${r.b}: ${String(err)}`));
  await new Promise((r) => setTimeout(r, 4000));
  for (const r of runs) t.same(await r.store.list(''), [], `${r.b}: stays withdrawn`);
  await e.start();
  for (const r of runs) await waitEntries(r.store, has, 20_000).then(() => t.pass(`${r.b}: back when the engine returns`), (err) => t.fail(`${r.b}: ${String(err)}`));
});
