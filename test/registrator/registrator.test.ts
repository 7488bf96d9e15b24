/**
 * shoal registrator on a real engine (shared engine 1: only its own containers are asserted on) against every
 * built KV backend: ports, udp, SERVICE_* metadata, ignore, explicit, internal, health-aware, stop/kill/rm,
 * stale entries cleaned at start, other hosts' entries untouched, hostile names never stored.
 */
import t from 'tap';
import { busyboxImage, engine, type EngineHandle } from '../harness/engines.js';
import {
  asObject,
  liveBackends,
  rand,
  readerFor,
  sameKeys,
  startRegistrator,
  storeAddress,
  waitEntries,
  type Backend,
} from './helpers.js';

const E = 1;
const backends = await liveBackends();

async function hostPort(e: EngineHandle, name: string, port: string): Promise<string> {
  const out = (await e.cli(['port', name, port])).stdout.split('\n')[0] ?? '';
  return out.trim();
}

async function containerIp(e: EngineHandle, name: string): Promise<string> {
  return (
    await e.cli(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name])
  ).stdout.trim();
}

for (const b of backends) {
  t.test(`registrator on ${b}`, async (t) => {
    const e = await engine(E);
    const image = await busyboxImage(e);
    const s = rand();
    const root = `shoaltest-reg-${s}`;
    const addr = await storeAddress(b);
    const uri = (sub: string) => `${b}://${addr}/${root}/${sub}`;
    const names: string[] = [];
    const run = async (name: string, args: string[], cmd: string[] = ['httpd', '-f', '-p', '80']) => {
      names.push(name);
      await e.cli(['run', '-d', '--name', name, ...args, image, ...cmd]);
    };
    t.teardown(async () => {
      if (names.length) await e.cli(['rm', '-f', ...names], { reject: false });
    });
    const mine = (kv: { key: string }) => kv.key.includes(`-${s}`);
    const store = await readerFor(uri('services'));
    const rootStore = await readerFor(`${b}://${addr}/${root}`);
    t.teardown(async () => {
      await rootStore.deleteTree('').catch(() => undefined);
      await store.close();
      await rootStore.close();
    });

    // before start: a stale entry of this host (container gone) and one of another host
    const ghost = `busybox-80/dockerhost01:ghost-${s}:80`;
    const foreign = `busybox-80/otherhost:web-${s}:80`;
    await store.put(ghost, '127.0.1.1:1');
    await store.put(foreign, '10.9.9.9:80');
    const web = `web-${s}`;
    await run(web, ['-p', '80']);

    const reg = startRegistrator(uri('services'), { dockerHost: e.dockerHost });
    t.teardown(() => reg.stop());
    const webPort = await hostPort(e, web, '80/tcp');
    t.match(webPort, /^127\.0\.1\.1:\d+$/);
    const start = await waitEntries(
      store,
      (kvs) => kvs.length === 2 && kvs.some((kv) => kv.key.includes(`dockerhost01:${web}:`)),
      20_000,
      mine,
    );
    t.same(
      asObject(start),
      { [`busybox-80/dockerhost01:${web}:80`]: webPort, [foreign]: '10.9.9.9:80' },
      'ghost cleaned at start, other host kept',
    );

    // events: multiple ports, udp, SERVICE_* from env and labels
    const multi = `multi-${s}`;
    await run(multi, [
      '-p',
      '80',
      '-p',
      '443',
      '-p',
      '53/udp',
      '-e',
      'SERVICE_NAME=fromenv',
      '-l',
      'SERVICE_NAME=shop',
      '-e',
      'SERVICE_443_NAME=secure',
      '-e',
      'SERVICE_TAGS=a,b',
    ]);
    const named = `named-${s}`;
    await run(named, ['-p', '80', '-e', `SERVICE_ID=custom-${s}`]);
    const ignored = `ignored-${s}`;
    await run(ignored, ['-p', '80', '-e', 'SERVICE_IGNORE=true']);
    const portIgnored = `pign-${s}`;
    await run(portIgnored, ['-p', '80', '-p', '81', '-l', 'SERVICE_81_IGNORE=1']);
    const unpublished = `unpub-${s}`;
    await run(unpublished, ['--expose', '8080']);
    const expected = {
      [`busybox-80/dockerhost01:${web}:80`]: webPort,
      [foreign]: '10.9.9.9:80',
      [`shop-80/dockerhost01:${multi}:80`]: await hostPort(e, multi, '80/tcp'),
      [`secure-443/dockerhost01:${multi}:443`]: await hostPort(e, multi, '443/tcp'),
      [`shop-53/dockerhost01:${multi}:53:udp`]: await hostPort(e, multi, '53/udp'),
      [`busybox-80/dockerhost01:custom-${s}`]: await hostPort(e, named, '80/tcp'),
      [`busybox-80/dockerhost01:${portIgnored}:80`]: await hostPort(e, portIgnored, '80/tcp'),
    };
    await waitEntries(store, sameKeys(expected), 20_000, mine).then(
      (kvs) => t.same(asObject(kvs), expected, 'ports, udp, names, ids, ignore'),
      (err) => t.fail(String(err)),
    );

    // hostile names: rejected, nothing outside the prefix, nothing inside either
    for (const [i, bad] of ['../../escape', 'a b', 'x;y', '{{.}}', 'q"uote', 'sl/ash'].entries())
      await run(`hostile${i}-${s}`, ['-p', '80', '-e', `SERVICE_NAME=${bad}`]);
    const canary = `canary-${s}`;
    await run(canary, ['-p', '80']);
    await waitEntries(store, (kvs) => kvs.some((kv) => kv.key.includes(canary)), 20_000, mine);
    const everything = await rootStore.list('');
    t.notOk(
      everything.some((kv) => kv.key.includes('hostile') || !kv.key.startsWith('services/')),
      'no hostile entry anywhere under the root',
    );
    t.notOk(
      everything.some((kv) => /escape|{{|x;y|q"uote|sl\/ash|a b/.test(kv.key)),
      'no hostile name in any key',
    );

    // stop, kill, rm: each removes its entries
    await e.cli(['stop', '-t', '1', web]);
    await e.cli(['kill', multi]);
    await e.cli(['rm', '-f', named]);
    delete expected[`busybox-80/dockerhost01:${web}:80`];
    for (const k of Object.keys(expected)) if (k.includes(multi) || k.includes(`custom-${s}`)) delete expected[k];
    expected[`busybox-80/dockerhost01:${canary}:80`] = await hostPort(e, canary, '80/tcp');
    await waitEntries(store, sameKeys(expected), 20_000, mine).then(
      (kvs) => t.same(asObject(kvs), expected, 'stop/kill/rm deregister'),
      (err) => t.fail(String(err)),
    );
    // start again: registered again (start event)
    await e.cli(['start', web]);
    const webPort2 = await hostPort(e, web, '80/tcp');
    await waitEntries(
      store,
      (kvs) => kvs.some((kv) => kv.key === `busybox-80/dockerhost01:${web}:80` && kv.value === webPort2),
      20_000,
      mine,
    );
    t.pass('restarted container registered again');
    // pause / unpause
    await e.cli(['pause', web]);
    await waitEntries(store, (kvs) => !kvs.some((kv) => kv.key.includes(`dockerhost01:${web}:`)), 20_000, mine);
    await e.cli(['unpause', web]);
    await waitEntries(store, (kvs) => kvs.some((kv) => kv.key.includes(`dockerhost01:${web}:`)), 20_000, mine);
    t.pass('pause deregisters, unpause registers');
  });
}
