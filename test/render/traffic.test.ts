/**
 * Real traffic: busybox httpd containers on the shared engines, entries in Consul as registrator writes
 * them, `shoal render` (in-process core) rendering HAProxy and Nginx running on loopback. Routes by Host
 * and by path; a backend added/removed becomes routable/unroutable (how fast is `npm run bench`'s job); 20 consecutive
 * backend changes under a steady request stream through HAProxy (applied through its runtime API) cause zero
 * failed requests.
 */
import t from 'tap';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openStore } from '../../agents/store/open.js';
import { RenderCore } from '../../agents/render/core.js';
import { silentLogger } from '../../agents/common/log.js';
import { service } from '../harness/services.js';
import { busyboxImage, engine, type EngineHandle } from '../harness/engines.js';
import { proxy, type ProxyHandle } from '../harness/proxies.js';
import { nextResult, renderConfig, sleepMs } from './helpers.js';

const suffix = randomBytes(3).toString('hex');
const WAIT = { minMs: 100, maxMs: 400 };

export function get(port: number, host: string, urlPath = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: urlPath, headers: { host }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

interface Box {
  name: string;
  engine: EngineHandle;
  /** `127.0.1.N:PORT` */
  address: string;
  key: (svc: string) => string;
}

async function httpd(t: { teardown(fn: () => unknown): void }, e: EngineHandle, name: string): Promise<Box> {
  const image = await busyboxImage(e);
  const script = `echo ${name} > /www/index.html && mkdir -p /www/sub && echo sub-${name} > /www/sub/index.html && exec httpd -f -p 80 -h /www`;
  await e.cli(['run', '-d', '--name', name, '-p', '80', image, 'sh', '-c', script]);
  t.teardown(() => e.cli(['rm', '-f', name], { reject: false }));
  const info = await e.docker.getContainer(name).inspect();
  const b = info.NetworkSettings.Ports['80/tcp']?.[0];
  if (!b) throw new Error(`no published port for ${name}`);
  const address = `${b.HostIp}:${b.HostPort}`;
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      http
        .get(`http://${address}/`, { agent: false }, (r) => (r.resume(), resolve(r.statusCode === 200)))
        .on('error', () => resolve(false));
    });
    if (ok) break;
    await sleepMs(100);
  }
  return { name, engine: e, address, key: (svc) => `${svc}/${e.name}:${name}:80` };
}

t.test('HAProxy and Nginx route real traffic to containers; changes follow the store', async (t) => {
  const consul = await service('consul');
  const engines = [await engine(1), await engine(2), await engine(3)] as [EngineHandle, EngineHandle, EngineHandle];
  const store = await openStore(`consul://${consul.address}/shoal-render-traffic-${suffix}`, { timeoutMs: 3000 });
  t.teardown(async () => {
    await store.deleteTree('').catch(() => undefined);
    await store.close();
  });
  const [web1, web2, web3, api1, new1] = await Promise.all([
    httpd(t, engines[0], `rt-web1-${suffix}`),
    httpd(t, engines[1], `rt-web2-${suffix}`),
    httpd(t, engines[2], `rt-web3-${suffix}`),
    httpd(t, engines[0], `rt-api1-${suffix}`),
    httpd(t, engines[1], `rt-new1-${suffix}`),
  ]);
  for (const b of [web1, web2, web3]) await store.put(b.key('web-80'), b.address);
  await store.put(api1.key('api-8080'), api1.address);

  const hap = await proxy('haproxy');
  const ngx = await proxy('nginx');
  t.teardown(() => hap.stop());
  t.teardown(() => ngx.stop());
  const core = new RenderCore(
    renderConfig(
      [
        {
          source: path.resolve('templates/haproxy.cfg.hbs'),
          destination: hap.config,
          check: hap.check,
          reload: hap.reload,
        },
        {
          source: path.resolve('templates/nginx.conf.hbs'),
          destination: ngx.config,
          check: ngx.check,
          reload: ngx.reload,
        },
      ],
      { wait: WAIT },
    ),
    { store, log: silentLogger(), env: { PATH: process.env.PATH, ...hap.env, ...ngx.env } },
  );
  const first = Promise.all([
    nextResult(core, (r) => r.destination === hap.config),
    nextResult(core, (r) => r.destination === ngx.config),
  ]);
  await core.start();
  t.teardown(() => core.stop());
  await first; // the first reload fails (nothing runs yet) and is retried in the background: harmless
  await hap.start();
  await ngx.start();

  for (const p of [hap, ngx] as ProxyHandle[]) {
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const r = await get(p.port, 'web.shoal.test');
      t.equal(r.status, 200, `${p.kind}: Host web`);
      seen.add(r.body.trim());
    }
    t.same([...seen].sort(), [web1.name, web2.name, web3.name].sort(), `${p.kind}: round robin over three engines`);
    t.same(await get(p.port, 'api.shoal.test'), { status: 200, body: `${api1.name}\n` }, `${p.kind}: Host api`);
    t.same(
      await get(p.port, 'api-8080.shoal.test:1234', '/sub/'),
      { status: 200, body: `sub-${api1.name}\n` },
      `${p.kind}: Host name-port (with a port in the header)`,
    );
    t.same(
      await get(p.port, 'unknown.example', '/api/sub/'),
      { status: 200, body: `sub-${api1.name}\n` },
      `${p.kind}: path prefix /api/ (stripped)`,
    );
    t.equal((await get(p.port, 'unknown.example', '/')).status, 503, `${p.kind}: no route -> 503`);
    t.equal((await get(p.port, 'new.shoal.test')).status, 503, `${p.kind}: not yet registered`);
  }

  // added, then removed: each proxy follows the store (latency is measured by `npm run bench`, not here)
  const until = async (p: ProxyHandle, pred: (r: { status: number; body: string }) => boolean) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await get(p.port, 'new.shoal.test').catch(() => ({ status: 0, body: '' }));
      if (pred(r)) return true;
      if (Date.now() > deadline) return false;
      await sleepMs(25);
    }
  };
  await store.put(new1.key('new-80'), new1.address);
  for (const p of [hap, ngx] as ProxyHandle[])
    t.ok(await until(p, (r) => r.body === `${new1.name}\n`), `${p.kind}: an added backend becomes routable`);
  await store.delete(new1.key('new-80'));
  for (const p of [hap, ngx] as ProxyHandle[])
    t.ok(await until(p, (r) => r.status === 503), `${p.kind}: a removed backend becomes unroutable`);
  t.equal(core.status().lastRenderOk, true);

  // hostile entries next to good ones: skipped; both proxies keep serving the good routes
  const hostile = nextResult(core, (r) => r.destination === hap.config);
  await store.put('evil} server x 6.6.6.6:80 {-80/h1:c:80', '127.0.0.1:80'); // the store refuses control characters in keys
  await store.put('evil;-80/h1:c:80', '127.0.0.1:80');
  await store.put(`web-80/${engines[0].name}:evil;c:80`, '127.0.0.1:80');
  await store.put(`web-80/${engines[0].name}:evilv:80`, `${web1.address}\n  bind *:6666`);
  await store.put(new1.key('new-80'), new1.address);
  await hostile;
  for (const p of [hap, ngx] as ProxyHandle[]) {
    t.ok(await until(p, (r) => r.body === `${new1.name}\n`), `${p.kind}: good change next to hostile ones is served`);
    t.equal((await get(p.port, 'api.shoal.test')).body, `${api1.name}\n`, `${p.kind}: still serving`);
    const text = (await import('node:fs')).readFileSync(p.config, 'utf8');
    t.notMatch(text, /6\.6\.6\.6|6666|evil/, `${p.kind}: nothing hostile in the live config`);
  }
  await store.delete(new1.key('new-80'));

  // hitless: a steady request stream through HAProxy while 20 consecutive backend changes are reloaded
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const client = async () => {
    while (!stop) {
      try {
        const r = await get(hap.port, 'web.shoal.test');
        if (r.status === 200) ok += 1;
        else failures.push(`status ${r.status}`);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  };
  const clients = [client(), client(), client()];
  await sleepMs(300);
  const toggled = [new1, web3];
  for (let i = 0; i < 20; i++) {
    const b = toggled[i % 2] as Box;
    // a server of a running service: applied through HAProxy's runtime API (no reload), or reloaded
    const reloaded = nextResult(
      core,
      (r) => r.destination === hap.config && r.result === 'changed' && (r.runtime === true || r.reloaded === true),
    );
    if (Math.floor(i / 2) % 2 === 0) {
      if (b === web3) await store.delete(b.key('web-80'));
      else await store.put(b.key('web-80'), b.address);
    } else if (b === web3) await store.put(b.key('web-80'), b.address);
    else await store.delete(b.key('web-80'));
    await reloaded;
    await sleepMs(150);
  }
  await sleepMs(300);
  stop = true;
  await Promise.all(clients);
  t.ok(ok > 100, `${ok} requests served during 20 backend changes`);
  t.same(failures, [], 'zero failed requests');
  t.ok(hap.running(), 'HAProxy master still running');
});
