/**
 * shoal registrator on engine 1: --net=host (EXPOSEd ports), a user-defined network with --internal, an IPv6
 * address (from --use-ip-from-label) written as [addr]:port, --resync restoring a deleted entry, and
 * --cleanup=false leaving an unbacked entry alone.
 */
import t from 'tap';
import { busyboxImage, engine } from '../harness/engines.js';
import {
  asObject,
  liveBackends,
  rand,
  readerFor,
  sameKeys,
  startRegistrator,
  storeAddress,
  waitEntries,
} from './helpers.js';

const E = 1;
const backends = await liveBackends();

for (const b of backends) {
  t.test(`networks, IPv6, resync and cleanup on ${b}`, async (t) => {
    const e = await engine(E);
    const image = await busyboxImage(e);
    const s = rand();
    const addr = await storeAddress(b);
    const root = `shoaltest-regn-${s}`;
    const net = `shoalnet-${s}`;
    const names: string[] = [];
    await e.cli(['network', 'create', net]);
    t.teardown(async () => {
      if (names.length) await e.cli(['rm', '-f', ...names], { reject: false });
      await e.cli(['network', 'rm', net], { reject: false });
    });
    const run = async (name: string, args: string[], cmd: string[]) => {
      names.push(name);
      await e.cli(['run', '-d', '--name', name, ...args, image, ...cmd]);
    };
    const mine = (kv: { key: string }) => kv.key.includes(`-${s}`);
    const sub = ['host', 'internal', 'v6', 'resync'] as const;
    const stores = Object.fromEntries(
      await Promise.all(sub.map(async (p) => [p, await readerFor(`${b}://${addr}/${root}/${p}`)] as const)),
    );
    t.teardown(async () => {
      for (const st of Object.values(stores)) {
        await st.deleteTree('').catch(() => undefined);
        await st.close();
      }
    });
    const stale = `busybox-80/dockerhost01:gone-${s}:80`;
    await stores.resync?.put(stale, '127.0.1.1:9');
    const regs = [
      startRegistrator(`${b}://${addr}/${root}/host`, { dockerHost: e.dockerHost, ip: '127.0.1.1' }),
      startRegistrator(`${b}://${addr}/${root}/internal`, { dockerHost: e.dockerHost, internal: true }),
      startRegistrator(`${b}://${addr}/${root}/v6`, { dockerHost: e.dockerHost, useIpFromLabel: 'shoal.ip' }),
      startRegistrator(`${b}://${addr}/${root}/resync`, { dockerHost: e.dockerHost, resync: '1s', cleanup: false }),
    ];
    t.teardown(async () => {
      for (const r of regs) await r.stop();
    });
    const port = 20000 + Math.floor(Math.random() * 20000);
    const hostNet = `hostnet-${s}`;
    await run(hostNet, ['--net', 'host', '--expose', String(port)], ['httpd', '-f', '-p', `127.0.1.1:${port}`]);
    const onNet = `onnet-${s}`;
    await run(onNet, ['--network', net, '--expose', '8080'], ['httpd', '-f', '-p', '8080']);
    const v6 = `v6-${s}`;
    await run(v6, ['-p', '80', '-l', 'shoal.ip=fd00:31:1::99'], ['httpd', '-f', '-p', '80']);
    const v6Port = ((await e.cli(['port', v6, '80/tcp'])).stdout.split('\n')[0] ?? '').trim().split(':')[1];
    const netIp = (
      await e.cli(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, onNet])
    ).stdout.trim();

    await waitEntries(stores.host!, (kvs) => kvs.some((kv) => kv.key.includes(hostNet)), 20_000, mine).then(
      (kvs) =>
        t.same(
          asObject(kvs.filter((kv) => kv.key.includes(hostNet))),
          { [`busybox-${port}/dockerhost01:${hostNet}:${port}`]: `127.0.1.1:${port}` },
          'net=host: the EXPOSEd port on the host IP',
        ),
      (err) => t.fail(String(err)),
    );
    t.notOk(netIp === '', 'container has an IP on the user network');
    await waitEntries(stores.internal!, (kvs) => kvs.some((kv) => kv.key.includes(onNet)), 20_000, mine).then(
      (kvs) =>
        t.same(
          asObject(kvs.filter((kv) => kv.key.includes(onNet))),
          { [`busybox-8080/dockerhost01:${onNet}:8080`]: `${netIp}:8080` },
          'user-defined network: its IP with --internal',
        ),
      (err) => t.fail(String(err)),
    );
    await waitEntries(stores.v6!, (kvs) => kvs.some((kv) => kv.key.includes(v6)), 20_000, mine).then(
      (kvs) =>
        t.same(
          asObject(kvs.filter((kv) => kv.key.includes(v6))),
          { [`busybox-80/dockerhost01:${v6}:80`]: `[fd00:31:1::99]:${v6Port}` },
          'IPv6 written as [addr]:port',
        ),
      (err) => t.fail(String(err)),
    );
    // --resync puts back an entry deleted behind its back; --cleanup=false leaves the unbacked one
    const key = `busybox-80/dockerhost01:${v6}:80`;
    await waitEntries(stores.resync!, (kvs) => kvs.some((kv) => kv.key === key), 20_000, mine);
    await stores.resync!.delete(key);
    await waitEntries(stores.resync!, (kvs) => kvs.some((kv) => kv.key === key), 10_000, mine).then(
      () => t.pass('--resync restored the deleted entry'),
      (err) => t.fail(String(err)),
    );
    t.equal(await stores.resync!.get(stale), '127.0.1.1:9', '--cleanup=false: the unbacked entry is left alone');
  });
}
