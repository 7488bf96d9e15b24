/**
 * shoal registrator on a real engine (shared engine 1: only its own containers are asserted on) against every
 * built KV backend: the flags: --explicit, --internal, --hostname, --name-suffix multi, --ip,
 * --deregister on-success, and --health-aware with a Docker HEALTHCHECK.
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
  t.test(`registrator flags on ${b}: explicit, internal, health-aware, on-success, multi`, async (t) => {
    const e = await engine(E);
    const image = await busyboxImage(e);
    const s = rand();
    const addr = await storeAddress(b);
    const root = `shoaltest-regf-${s}`;
    const names: string[] = [];
    t.teardown(async () => {
      if (names.length) await e.cli(['rm', '-f', ...names], { reject: false });
    });
    const run = async (name: string, args: string[], cmd: string[] = ['httpd', '-f', '-p', '80']) => {
      names.push(name);
      await e.cli(['run', '-d', '--name', name, ...args, image, ...cmd]);
    };
    const mine = (kv: { key: string }) => kv.key.includes(`-${s}`);
    const stores = await Promise.all(
      ['explicit', 'internal', 'multi', 'plain'].map((p) => readerFor(`${b}://${addr}/${root}/${p}`)),
    );
    const [sExplicit, sInternal, sMulti, sPlain] = stores as [
      Awaited<ReturnType<typeof readerFor>>,
      Awaited<ReturnType<typeof readerFor>>,
      Awaited<ReturnType<typeof readerFor>>,
      Awaited<ReturnType<typeof readerFor>>,
    ];
    t.teardown(async () => {
      for (const st of stores) {
        await st.deleteTree('').catch(() => undefined);
        await st.close();
      }
    });
    const regs = [
      startRegistrator(`${b}://${addr}/${root}/explicit`, { dockerHost: e.dockerHost, explicit: true }),
      startRegistrator(`${b}://${addr}/${root}/internal`, { dockerHost: e.dockerHost, internal: true, hostname: 'h1' }),
      startRegistrator(`${b}://${addr}/${root}/multi`, {
        dockerHost: e.dockerHost,
        nameSuffix: 'multi',
        deregister: 'on-success',
        ip: '192.0.2.10',
      }),
      startRegistrator(`${b}://${addr}/${root}/plain`, { dockerHost: e.dockerHost }),
    ];
    t.teardown(async () => {
      for (const r of regs) await r.stop();
    });
    const anon = `anon-${s}`;
    const named = `named-${s}`;
    await run(anon, ['-p', '80']);
    await run(named, ['-p', '80', '-l', 'SERVICE_NAME=api']);
    const internalOnly = `exposed-${s}`;
    await run(internalOnly, ['--expose', '8080']);
    const failing = `failing-${s}`;
    await run(failing, ['-p', '80', '-e', 'SERVICE_NAME=job'], ['sh', '-c', 'httpd -p 80; sleep 6; exit 3']);
    const failingPort = await hostPort(e, failing, '80/tcp');
    const healthy = `health-${s}`;
    await run(healthy, [
      '-p',
      '80',
      '--health-cmd',
      'test -f /tmp/ok',
      '--health-interval',
      '1s',
      '--health-retries',
      '1',
    ]);

    const anonPort = await hostPort(e, anon, '80/tcp');
    const namedPort = await hostPort(e, named, '80/tcp');
    await waitEntries(sExplicit, sameKeys({ [`api-80/dockerhost01:${named}:80`]: namedPort }), 20_000, mine).then(
      () => t.pass('explicit: only SERVICE_NAME containers'),
      (err) => t.fail(String(err)),
    );
    const ip = (n: string) => containerIp(e, n);
    const internalWant = {
      [`busybox-80/h1:${anon}:80`]: `${await ip(anon)}:80`,
      [`api-80/h1:${named}:80`]: `${await ip(named)}:80`,
      [`busybox-8080/h1:${internalOnly}:8080`]: `${await ip(internalOnly)}:8080`,
    };
    await waitEntries(sInternal, sameKeys(internalWant), 20_000, (kv) => mine(kv) && !kv.key.includes(failing)).then(
      (kvs) => t.same(asObject(kvs), internalWant, 'internal: container IP and exposed port, --hostname'),
      (err) => t.fail(String(err)),
    );
    t.match(internalWant[`busybox-80/h1:${anon}:80`], /^172\.31\.1\.\d+:80$/);
    // multi: no suffix for a single port; --ip replaces the binding IP; on-success keeps the failed job
    const multiWant = {
      [`busybox/dockerhost01:${anon}:80`]: `192.0.2.10:${anonPort.split(':')[1]}`,
      [`api/dockerhost01:${named}:80`]: `192.0.2.10:${namedPort.split(':')[1]}`,
      [`job/dockerhost01:${failing}:80`]: `192.0.2.10:${failingPort.split(':')[1]}`,
    };
    await waitEntries(sMulti, sameKeys(multiWant), 20_000, mine).then(
      () => t.pass('name-suffix multi, --ip'),
      (err) => t.fail(String(err)),
    );
    // health-aware: not registered until healthy, removed when unhealthy
    const plainHas = (k: string) => (kvs: { key: string }[]) => kvs.some((kv) => kv.key.includes(k));
    await waitEntries(sPlain, plainHas(anon), 20_000, mine);
    t.notOk(
      (await sPlain.list('')).some((kv) => kv.key.includes(healthy)),
      'unhealthy container not registered',
    );
    await e.cli(['exec', healthy, 'touch', '/tmp/ok']);
    await waitEntries(sPlain, plainHas(healthy), 20_000, mine);
    t.pass('registered once healthy');
    await e.cli(['exec', healthy, 'rm', '/tmp/ok']);
    await waitEntries(sPlain, (kvs) => !plainHas(healthy)(kvs), 20_000, mine);
    t.pass('withdrawn when unhealthy');
    // the failing job exits 3: on-success keeps it, always removes it
    await waitEntries(sPlain, (kvs) => !plainHas(failing)(kvs), 20_000, mine);
    t.pass('deregister always: failed container removed');
    await waitEntries(sInternal, (kvs) => !plainHas(failing)(kvs), 20_000, mine);
    t.same(
      asObject((await sMulti.list('')).filter((kv) => kv.key.includes(failing))),
      { [`job/dockerhost01:${failing}:80`]: multiWant[`job/dockerhost01:${failing}:80`] },
      'deregister on-success: kept after exit 3',
    );
    await e.cli(['rm', '-f', failing]);
    await waitEntries(sMulti, (kvs) => !plainHas(failing)(kvs), 20_000, mine);
    t.pass('on-success: removed once the container is destroyed');
  });
}
