/**
 * HAProxy runtime-API updates on a real HAProxy 2.6 (test/harness/proxies.ts) in front of real HTTP servers on
 * loopback, fed by `shoal render` (in-process core) watching Consul, with the shipped template:
 * - a server added to a running service serves without a reload (the worker's pid stays);
 * - a removed server gets no new request from the moment its pass ends, a request in flight on it finishes,
 *   and it is deleted from HAProxy once no connection holds it;
 * - a re-addressed server is moved in place;
 * - a runtime command that HAProxy refuses falls back to a reload;
 * - a new service reloads, and its server is ready at once (first request served);
 * and after every step the file on disk lists exactly the servers HAProxy runs.
 */
import t, { type Test } from 'tap';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { openStore } from '../../agents/store/open.js';
import { RenderCore } from '../../agents/render/core.js';
import { silentLogger } from '../../agents/common/log.js';
import { parseHaproxyConfig } from '../../agents/render/haproxy-diff.js';
import { socketCommand } from '../../agents/render/haproxy-runtime.js';
import type { RunResult } from '../../agents/render/runner.js';
import { service } from '../harness/services.js';
import { freePort, proxy } from '../harness/proxies.js';
import { waitFor } from '../harness/proc.js';
import { HAPROXY_TPL } from './fixtures.js';
import { nextResult, renderConfig } from './helpers.js';

interface Backend {
  name: string;
  port: number;
  /** Client requests (with a Host header; HAProxy's health checks have none). */
  hits: number;
  /** Requests to /slow wait for this. */
  release(): void;
  close(): Promise<void>;
}

async function backend(name: string): Promise<Backend> {
  let waiting: (() => void)[] = [];
  const b: Backend = {
    name,
    port: await freePort(),
    hits: 0,
    release: () => {
      for (const w of waiting) w();
      waiting = [];
    },
    close: async () => {
      b.release();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer((req, res) => {
    if (req.headers.host !== undefined) b.hits += 1;
    if (req.url === '/slow') waiting.push(() => res.end(name));
    else res.end(name);
  });
  await new Promise<void>((r) => server.listen(b.port, '127.0.0.1', r));
  return b;
}

function ask(port: number, host: string, path = '/'): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, headers: { Host: host }, agent: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(res.statusCode === 200 ? body : `HTTP ${res.statusCode}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve(`error: ${err.message}`));
  });
}

/** `show servers state`: server name -> `ip:port`, and which are in maintenance. */
async function liveServers(sock: string, backend: string): Promise<{ ready: Map<string, string>; maint: string[] }> {
  const out = await socketCommand(sock, `show servers state ${backend}`, 3000);
  const ready = new Map<string, string>();
  const maint: string[] = [];
  for (const line of out.split('\n')) {
    const f = line.split(' ');
    if (f.length < 19 || f[0] === '#' || f[1] !== backend) continue;
    if (Number(f[6]) !== 0) maint.push(f[3] as string);
    else ready.set(f[3] as string, `${f[4]}:${f[18]}`);
  }
  return { ready, maint };
}

const pidOf = async (sock: string) => /^Pid: (\d+)$/m.exec(await socketCommand(sock, 'show info', 3000))?.[1];

t.test('server-only changes go through the runtime API; the file always equals what runs', async (t: Test) => {
  const consul = await service('consul');
  const store = await openStore(`consul://${consul.address}/shoal-render-runtime-${randomBytes(3).toString('hex')}`, {
    timeoutMs: 3000,
  });
  t.teardown(async () => {
    await store.deleteTree('').catch(() => undefined);
    await store.close();
  });
  const [a, b, c, d] = (await Promise.all(['a', 'b', 'c', 'd'].map(backend))) as [Backend, Backend, Backend, Backend];
  t.teardown(() => Promise.all([a, b, c, d].map((x) => x.close())));
  const key = (svc: string, x: Backend) => `${svc}/h1:${x.name}:80`;
  await store.put(key('web-80', a), `127.0.0.1:${a.port}`);

  const hap = await proxy('haproxy');
  t.teardown(() => hap.stop());
  const sock = hap.env.SHOAL_HAPROXY_SOCKET as string;
  const tpl = { source: HAPROXY_TPL, destination: hap.config, check: hap.check, reload: hap.reload };
  const core = new RenderCore(renderConfig([tpl], { wait: { minMs: 20, maxMs: 100 } }), {
    store,
    log: silentLogger(),
    env: { PATH: process.env.PATH, ...hap.env },
  });
  const first = nextResult(core);
  const loaded = nextResult(core, (r) => r.reloaded === true, 30_000);
  await core.start();
  t.teardown(() => core.stop());
  await first; // nothing runs yet: the reload fails and is retried
  await hap.start();
  await loaded;
  const web = () => ask(hap.port, 'web.shoal.test');
  t.equal(await web(), 'a');

  const fileEqualsLive = async (what: string) => {
    const file = parseHaproxyConfig(readFileSync(hap.config, 'utf8'));
    for (const [be, servers] of file.backends) {
      if (be === 'shoal_no_service') continue;
      const live = await liveServers(sock, be);
      t.same(
        [...live.ready].sort(),
        [...servers].map(([n, s]) => [n, s.addr]).sort(),
        `${what}: ${be} runs exactly the servers of the file`,
      );
    }
  };
  const change = async (pred: (r: RunResult) => boolean, fn: () => Promise<unknown>) => {
    const r = nextResult(core, pred);
    await fn();
    return r;
  };
  const pid0 = await pidOf(sock);
  t.ok(pid0, 'worker pid');

  // added: served, no reload
  const added = await change(
    (r) => r.result === 'changed',
    () => store.put(key('web-80', b), `127.0.0.1:${b.port}`),
  );
  t.equal(added.runtime, true, 'applied through the runtime API');
  t.equal(added.reloaded, undefined, 'no reload');
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) seen.add(await web());
  t.same([...seen].sort(), ['a', 'b'], 'the new server takes requests at once');
  t.equal(await pidOf(sock), pid0, 'same worker: no reload');
  await fileEqualsLive('added');

  // removed while a request is in flight on it: no new request, the one in flight finishes, then deleted
  const slow = [ask(hap.port, 'web.shoal.test', '/slow'), ask(hap.port, 'web.shoal.test', '/slow')];
  await waitFor('a slow request on each server', async () => a.hits >= 2 && b.hits >= 4, 10_000);
  const removed = await change(
    (r) => r.result === 'changed',
    () => store.delete(key('web-80', b)),
  );
  t.equal(removed.runtime, true, 'removal applied through the runtime API');
  const bHits = b.hits;
  const after: string[] = [];
  for (let i = 0; i < 10; i++) after.push(await web());
  t.same(after, Array(10).fill('a'), 'every request after the removal goes to a');
  t.equal(b.hits, bHits, 'b got no new request');
  t.same((await liveServers(sock, 'be_web-80')).maint, ['h1_b_80'], 'b is in maintenance while its request runs');
  a.release();
  b.release();
  t.same((await Promise.all(slow)).sort(), ['a', 'b'], 'the request in flight on b finished');
  await waitFor(
    'b deleted from HAProxy',
    async () => (await liveServers(sock, 'be_web-80')).maint.length === 0,
    30_000,
  );
  t.equal(await pidOf(sock), pid0, 'still no reload');
  await fileEqualsLive('removed');

  // re-addressed: moved in place
  const moved = await change(
    (r) => r.result === 'changed',
    () => store.put(key('web-80', a), `127.0.0.1:${c.port}`),
  );
  t.equal(moved.runtime, true, 're-address applied through the runtime API');
  const aHits = a.hits;
  t.same([await web(), await web()], ['c', 'c'], 'the server now answers from its new address');
  t.equal(a.hits, aHits, 'the old address gets nothing');
  t.equal(await pidOf(sock), pid0, 'still no reload');
  await fileEqualsLive('re-addressed');

  // HAProxy refuses a command (the server was deleted behind shoal's back): reload instead
  await socketCommand(sock, 'set server be_web-80/h1_a_80 state maint', 3000);
  t.equal(await socketCommand(sock, 'del server be_web-80/h1_a_80', 3000), 'Server deleted.');
  const fallback = await change(
    (r) => r.result === 'changed',
    async () => {
      await store.put(key('web-80', b), `127.0.0.1:${b.port}`);
      await store.delete(key('web-80', a));
    },
  );
  t.equal(fallback.runtime, undefined, 'not applied at runtime');
  t.equal(fallback.reloaded, true, 'reloaded instead');
  const pid1 = await pidOf(sock);
  t.not(pid1, pid0, 'a new worker');
  t.equal(await web(), 'b');
  await fileEqualsLive('after the fallback reload');

  // a new service: reload, and its server serves the first request (ready at start, no check to wait for)
  const svc = await change(
    (r) => r.result === 'changed',
    () => store.put(key('api-80', d), `127.0.0.1:${d.port}`),
  );
  t.equal(svc.reloaded, true, 'a new backend reloads');
  t.equal(await ask(hap.port, 'api.shoal.test'), 'd', 'the new service answers the first request');
  t.not(await pidOf(sock), pid1, 'a new worker');
  await fileEqualsLive('new service');
  const m = await core.metrics.runtimeUpdates.get();
  const count = (result: string) => m.values.find((v) => v.labels.result === result)?.value ?? 0;
  t.equal(count('applied'), 3, 'three changes applied at runtime');
  t.equal(count('failed'), 1, 'one refused');
});
