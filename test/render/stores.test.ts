/**
 * Real stores: entries written to Consul, etcd (v3 and v2) and ZooKeeper are rendered into HAProxy and Nginx configs that pass the
 * proxies' own checks; an emptied prefix (confirmed by the store) renders a valid empty config; the chaos
 * instance stopped and restarted: the config stays as it was during the outage and follows the store after.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { openStore } from '../../agents/store/open.js';
import { RenderCore } from '../../agents/render/core.js';
import { silentLogger } from '../../agents/common/log.js';
import { service, type ServiceKind, type Instance } from '../harness/services.js';
import { nextResult, renderConfig, sleepMs } from './helpers.js';

const HAPROXY_TPL = path.resolve('templates/haproxy.cfg.hbs');
const NGINX_TPL = path.resolve('templates/nginx.conf.hbs');

async function setup(t: Tap.Test, scheme: 'consul' | 'etcd' | 'etcd2' | 'zk', kind: ServiceKind, instance: Instance) {
  const svc = await service(kind, instance);
  const prefix = `shoal-render-${randomBytes(4).toString('hex')}`;
  const uri = `${scheme}://${svc.address}/${prefix}`;
  const store = await openStore(uri, { timeoutMs: 2000 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-render-store-'));
  const env = {
    PATH: process.env.PATH,
    SHOAL_HAPROXY_BIND: '127.0.0.1:1',
    SHOAL_HAPROXY_STATS_BIND: '127.0.0.1:2',
    SHOAL_HAPROXY_SOCKET: path.join(dir, 'h.sock'),
    SHOAL_NGINX_LISTEN: '127.0.0.1:3',
    SHOAL_NGINX_PID: path.join(dir, 'n.pid'),
    SHOAL_NGINX_ERROR_LOG: path.join(dir, 'e.log'),
    SHOAL_NGINX_TEMP: dir,
  };
  const h = path.join(dir, 'haproxy.cfg');
  const n = path.join(dir, 'nginx.conf');
  const core = new RenderCore(
    renderConfig([
      { source: HAPROXY_TPL, destination: h, check: 'haproxy -c -f {{path}}' },
      { source: NGINX_TPL, destination: n, check: `nginx -t -q -e ${dir}/c.log -c {{path}}` },
    ]),
    { store, log: silentLogger(), env },
  );
  t.teardown(async () => {
    await core.stop();
    await store.deleteTree('').catch(() => undefined);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const valid = async () =>
    (await execa('haproxy', ['-c', '-f', h], { reject: false })).exitCode === 0 &&
    (await execa('nginx', ['-t', '-q', '-e', `${dir}/v.log`, '-c', n], { reject: false })).exitCode === 0;
  /** Both templates rendered (changed) after `action`. */
  const both = async (action: () => Promise<unknown>) => {
    const p = Promise.all([
      nextResult(core, (r) => r.destination === h && r.result === 'changed'),
      nextResult(core, (r) => r.destination === n && r.result === 'changed'),
    ]);
    await action();
    await p;
  };
  return { svc, store, core, h, n, valid, both };
}

declare namespace Tap {
  type Test = { teardown(fn: () => unknown): void };
}

for (const [scheme, kind] of [
  ['consul', 'consul'],
  ['etcd', 'etcd'],
  ['etcd2', 'etcd'],
  ['zk', 'zk'],
] as const) {
  t.test(`${scheme}: entries -> configs that pass haproxy -c and nginx -t`, async (t) => {
    const s = await setup(t, scheme, kind, 'main');
    await s.store.put('web-80/dockerhost01:web1:80', '127.0.1.1:32001');
    await s.store.put('web-80/dockerhost02:web2:80', '127.0.1.2:32002');
    await s.store.put('api-8080/dockerhost03:api:8080', '[::1]:32003');
    await s.store.put('bad-80/x', 'garbage');
    await s.both(() => s.core.start());
    t.ok(await s.valid(), 'both configs valid');
    const hText = readFileSync(s.h, 'utf8');
    t.match(hText, /# 2 services, 3 backends/);
    t.match(hText, /server dockerhost01_web1_80 127\.0\.1\.1:32001 check/);
    t.match(readFileSync(s.n, 'utf8'), /server \[::1\]:32003/);
    t.equal(s.core.status().storeConnected, true);

    await s.both(() => s.store.put('web-80/dockerhost03:web3:80', '127.0.1.3:32004'));
    t.match(readFileSync(s.h, 'utf8'), /dockerhost03_web3_80 127\.0\.1\.3:32004/);
    t.ok(await s.valid());

    await s.both(() => s.store.deleteTree(''));
    t.match(readFileSync(s.h, 'utf8'), /# 0 services, 0 backends/);
    t.match(readFileSync(s.n, 'utf8'), /# 0 services, 0 backends/);
    t.ok(await s.valid(), 'a confirmed empty prefix renders valid empty configs');
  });
}

for (const [scheme, kind] of [
  ['consul', 'consul'],
  ['etcd', 'etcd'],
  ['etcd2', 'etcd'],
  ['zk', 'zk'],
] as const) {
  t.test(`${scheme} chaos instance stopped and restarted: config kept, recovery after`, async (t) => {
    const s = await setup(t, scheme, kind, 'chaos');
    await s.store.put('web-80/dockerhost01:web1:80', '127.0.1.1:32001');
    await s.both(() => s.core.start());
    const good = readFileSync(s.h, 'utf8');
    const mtime = statSync(s.h).mtimeMs;
    await s.svc.stop();
    t.teardown(() => s.svc.start());
    await sleepMs(3000);
    t.equal(readFileSync(s.h, 'utf8'), good, 'outage: config kept');
    t.equal(statSync(s.h).mtimeMs, mtime, 'outage: not rewritten');
    t.equal(s.core.status().storeConnected, false, 'status reports the store lost');
    t.ok(await s.valid());
    await s.svc.start();
    // the watch reconnects by itself; a change after recovery is rendered
    const deadline = Date.now() + 60_000;
    let put = false;
    while (!put && Date.now() < deadline) {
      put = await s.store.put('web-80/dockerhost02:web2:80', '127.0.1.2:32002').then(
        () => true,
        () => false,
      );
      if (!put) await sleepMs(500);
    }
    t.ok(put, 'store writable again');
    const waitFor = async (re: RegExp) => {
      while (Date.now() < deadline && !re.test(readFileSync(s.h, 'utf8'))) await sleepMs(200);
      return re.test(readFileSync(s.h, 'utf8'));
    };
    t.ok(await waitFor(/dockerhost02_web2_80 127\.0\.1\.2:32002/), 'recovered: new backend rendered');
    t.ok(await s.valid());
    t.equal(s.core.status().storeConnected, true);
  });
}
