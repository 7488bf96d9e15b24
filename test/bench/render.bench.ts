/**
 * `shoal render` benchmarks:
 *  1. render time (parse + context + template) for 100 / 1,000 / 10,000 backends, both shipped templates;
 *  2. store change -> config on disk -> proxy serving the new backend (p50/p99, --wait 0) for HAProxy and
 *     Nginx, next to the proxies' own reload time (reload command + the time until the new config serves);
 *  3. store requests per minute (through a counting TCP proxy in front of Consul) idle and during churn of
 *     50 services: one watch per prefix means at most one request per change, none per service;
 *  4. RSS of an idle `shoal render` process (compiled JS, 1,000 backends);
 *  5. (`putfile`) store PUT of a new service -> its backend in the rendered HAProxy file, 1,000 backends,
 *     --wait 0, interleaved with consul-template 0.20.1 (from ../shared/peers/bin) on its own prefix of the
 *     same size: p50/p90 of each, the ratio, and shoal's time per stage (store answer, coalesce, parse, wait,
 *     render, write, check, swap) from the marks of the pass that wrote the file;
 *  6. (`runtime`) HAProxy runtime-API updates at 1,000 backends under a steady load: new server -> first
 *     request, removed server -> last request, new service -> served, failed requests.
 *
 *   node --import tsx test/bench/render.bench.ts
 */
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch as watchDir } from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { buildContext } from '../../agents/render/context.js';
import { compileTemplate } from '../../agents/render/template.js';
import { RenderCore } from '../../agents/render/core.js';
import { silentLogger } from '../../agents/common/log.js';
import { openStore } from '../../agents/store/open.js';
import type { KV } from '../../agents/store/store.js';
import { service } from '../harness/services.js';
import { freePort, proxy, type ProxyHandle } from '../harness/proxies.js';
import { nextResult, renderConfig } from '../render/helpers.js';
import { percentile, printTable, type BenchRow } from './table.js';
import { consulTemplateHaproxy, peer, startConsulTemplate } from './peers.js';
import { STAGES, stageDurations } from '../../agents/render/stages.js';
import type { RunResult } from '../../agents/render/runner.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const TEMPLATES = {
  haproxy: path.join(ROOT, 'templates/haproxy.cfg.hbs'),
  nginx: path.join(ROOT, 'templates/nginx.conf.hbs'),
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function entries(backends: number): KV[] {
  const out: KV[] = [];
  const services = Math.max(1, Math.round(backends / 10));
  for (let i = 0; i < backends; i++) {
    const s = i % services;
    out.push({
      key: `svc${s}-${8000 + (s % 7)}/dockerhost0${(i % 9) + 1}:c${i}:80`,
      value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${30000 + (i % 30000)}`,
    });
  }
  return out;
}

/** Wall p50 and min, and CPU time p50 (user+sys of this process: less sensitive to a busy shared machine). */
function renderTimes(): BenchRow[] {
  const rows: BenchRow[] = [];
  const env = { SHOAL_HAPROXY_BIND: '127.0.0.1:80' };
  for (const kind of ['haproxy', 'nginx'] as const) {
    const tpl = compileTemplate(readFileSync(TEMPLATES[kind], 'utf8'), kind);
    for (const n of [100, 1000, 10_000]) {
      const e = entries(n);
      const wall: number[] = [];
      const cpu: number[] = [];
      const runs = n === 10_000 ? 25 : 60;
      for (let i = 0; i < runs + 3; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const b = buildContext(e, { domain: 'shoal.test' });
        tpl(b.context, b.entries, env);
        const w = performance.now() - t0;
        const c = process.cpuUsage(c0);
        if (i < 3) continue; // warm-up (JIT)
        wall.push(w);
        cpu.push((c.user + c.system) / 1000);
      }
      const limit = n === 10_000 ? 100 : undefined;
      rows.push({
        name: `${kind} ${n} backends wall p50`,
        value: percentile(wall, 50),
        unit: 'ms',
        limit,
        better: 'lower',
      });
      rows.push({
        name: `${kind} ${n} backends wall min`,
        value: Math.min(...wall),
        unit: 'ms',
        limit,
        better: 'lower',
      });
      rows.push({
        name: `${kind} ${n} backends cpu p50`,
        value: percentile(cpu, 50),
        unit: 'ms',
        limit,
        better: 'lower',
      });
    }
  }
  return rows;
}

function get(port: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/', headers: { host }, agent: false, timeout: 2000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

async function changeToServing(kind: 'haproxy' | 'nginx', samplesN: number): Promise<BenchRow[]> {
  const consul = await service('consul');
  const store = await openStore(`consul://${consul.address}/shoal-render-bench-${randomBytes(3).toString('hex')}`, {
    timeoutMs: 3000,
  });
  const backend = http.createServer((_q, s) => s.end('ok\n'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const bport = (backend.address() as net.AddressInfo).port;
  const p: ProxyHandle = await proxy(kind);
  const core = new RenderCore(
    renderConfig([{ source: TEMPLATES[kind], destination: p.config, check: p.check, reload: p.reload }], {
      wait: { minMs: 0, maxMs: 0 },
    }),
    {
      store,
      log: silentLogger(),
      env: { PATH: process.env.PATH, ...p.env },
    },
  );
  const disk: number[] = [];
  const serving: number[] = [];
  const gap: number[] = [];
  try {
    await core.start();
    while (!existsSync(p.config)) await sleep(20);
    await p.start();
    await sleep(500);
    for (let i = 0; i < samplesN; i++) {
      const name = `b${i}`;
      const t0 = performance.now();
      await store.put(`${name}-80/h1:c${i}:80`, `127.0.0.1:${bport}`);
      let tDisk = 0;
      for (;;) {
        if (!tDisk && readFileSync(p.config, 'utf8').includes(`be_${name}-80`)) tDisk = performance.now() - t0;
        if (tDisk && (await get(p.port, `${name}.shoal.test`)) === 200) break;
        if (performance.now() - t0 > 15_000)
          throw new Error(
            `${kind}: sample ${i} not served within 15 s (on disk after ${Math.round(tDisk)} ms; status ${JSON.stringify(core.status())}; proxy said: ${p.output().slice(-1500)})`,
          );
        if (!tDisk) await sleep(1);
      }
      const tServe = performance.now() - t0;
      disk.push(tDisk);
      serving.push(tServe);
      gap.push(tServe - tDisk);
      // let the removal render and reload before the next sample, so no sample waits behind it
      const removed = nextResult(core, (r) => r.result === 'changed' && r.reloaded === true);
      await store.delete(`${name}-80/h1:c${i}:80`);
      await removed;
      await sleep(100);
    }
  } finally {
    await core.stop();
    await p.stop();
    backend.close();
    await store.deleteTree('').catch(() => undefined);
    await store.close();
  }
  const mean = async (h: typeof core.metrics.reloadDuration) => {
    const v = (await h.get()).values;
    const sum = v.find((x) => x.metricName?.endsWith('_sum'))?.value ?? 0;
    const count = v.find((x) => x.metricName?.endsWith('_count'))?.value ?? 1;
    return (sum / Math.max(1, count)) * 1000;
  };
  const rows: BenchRow[] = [
    { name: `${kind}: change -> on disk p50`, value: percentile(disk, 50), unit: 'ms', better: 'lower' },
    { name: `${kind}: change -> on disk p99`, value: percentile(disk, 99), unit: 'ms', better: 'lower' },
    { name: `${kind}: change -> serving p50`, value: percentile(serving, 50), unit: 'ms', better: 'lower' },
    { name: `${kind}: change -> serving p99`, value: percentile(serving, 99), unit: 'ms', better: 'lower' },
    {
      name: `${kind}: check command (${kind === 'haproxy' ? 'haproxy -c' : 'nginx -t'}) mean`,
      value: await mean(core.metrics.checkDuration),
      unit: 'ms',
      better: 'lower',
    },
    {
      name: `${kind}: reload command mean`,
      value: await mean(core.metrics.reloadDuration),
      unit: 'ms',
      better: 'lower',
    },
    { name: `${kind}: on disk -> serving (proxy reload) p50`, value: percentile(gap, 50), unit: 'ms', better: 'lower' },
    { name: `${kind}: on disk -> serving (proxy reload) p99`, value: percentile(gap, 99), unit: 'ms', better: 'lower' },
  ];
  return rows;
}

/** A TCP proxy that counts HTTP request lines sent to Consul. */
async function countingProxy(target: number): Promise<{ port: number; count: () => number; close: () => void }> {
  let n = 0;
  const server = net.createServer((c) => {
    const up = net.connect(target, '127.0.0.1');
    c.on('data', (d: Buffer) => {
      n += (d.toString('latin1').match(/^(GET|PUT|POST|DELETE|HEAD) \/v1\//gm) ?? []).length;
      up.write(d);
    });
    up.pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { port, count: () => n, close: () => server.close() };
}

async function storeRequests(): Promise<BenchRow[]> {
  const consul = await service('consul');
  const prefix = `shoal-render-bench-${randomBytes(3).toString('hex')}`;
  const counter = await countingProxy(consul.port);
  const writer = await openStore(`consul://${consul.address}/${prefix}`, { timeoutMs: 3000 });
  for (let s = 0; s < 50; s++) await writer.put(`svc${s}-80/h1:c${s}:80`, `127.0.0.1:${20000 + s}`);
  const store = await openStore(`consul://127.0.0.1:${counter.port}/${prefix}`, { timeoutMs: 3000 });
  const dir = `/tmp/shoal-render-bench-${randomBytes(3).toString('hex')}`;
  await execa('mkdir', ['-p', dir]);
  const core = new RenderCore(
    renderConfig([{ source: TEMPLATES.haproxy, destination: `${dir}/h.cfg`, check: '', reload: 'true' }], {
      wait: { minMs: 100, maxMs: 400 },
    }),
    {
      store,
      log: silentLogger(),
    },
  );
  await core.start();
  await sleep(1000);
  const IDLE_MS = 62_000;
  let c0 = counter.count();
  await sleep(IDLE_MS);
  const idle = ((counter.count() - c0) * 60_000) / IDLE_MS;
  const CHURN_MS = 20_000;
  c0 = counter.count();
  const t0 = Date.now();
  let changes = 0;
  while (Date.now() - t0 < CHURN_MS) {
    const s = changes % 50;
    await writer.put(`svc${s}-80/h2:c${s}:80`, `127.0.0.${(changes % 200) + 1}:${20000 + s}`);
    changes += 1;
    await sleep(40);
  }
  const churnReq = counter.count() - c0;
  await core.stop();
  await store.close();
  await writer.deleteTree('');
  await writer.close();
  counter.close();
  rmSync(dir, { recursive: true, force: true });
  return [
    {
      name: 'idle: store requests/min (one watch, 30 s long poll)',
      value: idle,
      unit: 'req/min',
      limit: 4,
      better: 'lower',
    },
    {
      name: `churn of 50 services: store requests/min (${changes} changes)`,
      value: (churnReq * 60_000) / CHURN_MS,
      unit: 'req/min',
      better: 'lower',
    },
    { name: 'churn: store requests per change', value: churnReq / changes, unit: 'req', limit: 1, better: 'lower' },
  ];
}

async function idleRss(): Promise<BenchRow[]> {
  return [...(await idleRssWith([])), ...(await idleRssWith(['--max-semi-space-size=2']))];
}

async function idleRssWith(nodeFlags: string[]): Promise<BenchRow[]> {
  const out = path.join(ROOT, 'node_modules/.cache/shoal-render-bench-dist');
  await execa('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', out, '--sourceMap', 'false'], {
    cwd: ROOT,
    reject: false,
  });
  const cli = path.join(out, 'agents/cli.js');
  if (!existsSync(cli))
    return [{ name: 'RSS idle: could not compile the CLI', value: Number.NaN, unit: 'MB', better: 'lower' }];
  const consul = await service('consul');
  const prefix = `shoal-render-bench-${randomBytes(3).toString('hex')}`;
  const writer = await openStore(`consul://${consul.address}/${prefix}`, { timeoutMs: 3000 });
  const e = entries(1000);
  await Promise.all(
    Array.from({ length: 10 }, async (_, k) => {
      for (let i = k; i < e.length; i += 10) await writer.put((e[i] as KV).key, (e[i] as KV).value);
    }),
  );
  const dir = `/tmp/shoal-render-bench-${randomBytes(3).toString('hex')}`;
  await execa('mkdir', ['-p', dir]);
  const child = execa(
    process.execPath,
    [
      ...nodeFlags,
      cli,
      'render',
      '--log-level',
      'warn',
      '--template',
      `${TEMPLATES.haproxy}:${dir}/h.cfg:true`,
      `consul://${consul.address}/${prefix}`,
    ],
    { reject: false, env: { SHOAL_HAPROXY_SOCKET: `${dir}/s` } },
  );
  try {
    for (let i = 0; i < 100 && !existsSync(`${dir}/h.cfg`); i++) await sleep(100);
    await sleep(10_000);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return [
      {
        name: `RSS idle (1,000 backends rendered, compiled JS${nodeFlags.length ? `, node ${nodeFlags.join(' ')}` : ''})`,
        value: kb / 1024,
        unit: 'MB',
        limit: 80,
        better: 'lower',
      },
    ];
  } finally {
    child.kill('SIGTERM');
    await child;
    await writer.deleteTree('');
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** performance.now() when `file` first does (or no longer does) contain `marker`; inotify on its directory. */
function whenFile(file: string, marker: string, present: boolean, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const has = () => {
      try {
        return readFileSync(file, 'utf8').includes(marker) === present;
      } catch {
        return false;
      }
    };
    const done = (e?: Error) => {
      clearTimeout(t);
      w.close();
      if (e) reject(e);
      else resolve(performance.now());
    };
    const w = watchDir(path.dirname(file), () => has() && done());
    const t = setTimeout(
      () => done(new Error(`${file}: ${marker} ${present ? 'not there' : 'still there'}`)),
      timeoutMs,
    );
    if (has()) done();
  });
}

async function putToFile(samplesN: number): Promise<BenchRow[]> {
  const ctBin = peer('consul-template');
  const consul = await service('consul');
  const tag = randomBytes(3).toString('hex');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-putfile-'));
  const prefixes = { shoal: `shoal-putfile-${tag}-s`, ct: `shoal-putfile-${tag}-c` };
  const stores = {
    shoal: await openStore(`consul://${consul.address}/${prefixes.shoal}`, { timeoutMs: 3000 }),
    ct: await openStore(`consul://${consul.address}/${prefixes.ct}`, { timeoutMs: 3000 }),
  };
  const files = { shoal: path.join(dir, 'shoal.cfg'), ct: path.join(dir, 'ct.cfg') };
  const e = entries(1000);
  for (const s of ctBin ? [stores.shoal, stores.ct] : [stores.shoal])
    await Promise.all(
      Array.from({ length: 10 }, async (_, k) => {
        for (let i = k; i < e.length; i += 10) await s.put((e[i] as KV).key, (e[i] as KV).value);
      }),
    );
  const last = (e[e.length - 1] as KV).key.split(':')[1] as string;
  const core = new RenderCore(
    // the template's own check (haproxy -c); no reload: this measures PUT -> validated file
    renderConfig([{ source: TEMPLATES.haproxy, destination: files.shoal, reload: 'true' }], {
      wait: { minMs: 0, maxMs: 0 },
    }),
    {
      store: stores.shoal,
      log: silentLogger(),
      env: {
        PATH: process.env.PATH,
        SHOAL_HAPROXY_BIND: '127.0.0.1:1',
        SHOAL_HAPROXY_STATS_BIND: '127.0.0.1:2',
        SHOAL_HAPROXY_SOCKET: path.join(dir, 'admin.sock'),
      },
    },
  );
  const results: RunResult[] = [];
  core.on('result', (r) => results.push(r));
  const ct = ctBin
    ? startConsulTemplate(ctBin, {
        consul: consul.address,
        source: path.join(dir, 'ct.tpl'),
        text: consulTemplateHaproxy(prefixes.ct),
        destination: files.ct,
      })
    : undefined;
  const total = { shoal: [] as number[], ct: [] as number[] };
  const stages = new Map<string, number[]>();
  const add = (k: string, v: number) => stages.set(k, [...(stages.get(k) ?? []), v]);
  const trial = async (who: 'shoal' | 'ct', i: number) => {
    const name = `new${i}${who}`;
    const key = `${name}-80/h1:c${i}:80`;
    const marker = `be_${name}-80`;
    const seen = whenFile(files[who], marker, true);
    const t0 = performance.now();
    await stores[who].put(key, `127.0.0.1:${20000 + i}`);
    const tFile = await seen;
    total[who].push(tFile - t0);
    if (who === 'shoal') {
      for (let n = 0; n < 500; n++) {
        const r = results.find((x) => x.result === 'changed' && (x.marks?.swapped ?? 0) >= t0);
        if (r?.marks) {
          if (r.marks.received !== undefined) add('store (PUT -> watch answer)', r.marks.received - t0);
          for (const [stage, ms] of Object.entries(stageDurations(r.marks))) add(stage, ms);
          break;
        }
        await sleep(10);
      }
    }
    const gone = whenFile(files[who], marker, false);
    await stores[who].delete(key);
    await gone;
    results.length = 0;
    await sleep(100);
  };
  try {
    await core.start();
    await whenFile(files.shoal, last, true, 60_000);
    if (ct) await whenFile(files.ct, last, true, 60_000);
    await sleep(500);
    for (let i = 0; i < samplesN; i++)
      for (const who of i % 2 === 0 ? (['shoal', 'ct'] as const) : (['ct', 'shoal'] as const))
        if (who === 'shoal' || ct) await trial(who, i);
  } finally {
    await core.stop();
    await ct?.stop();
    for (const s of Object.values(stores)) {
      await s.deleteTree('').catch(() => undefined);
      await s.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const ms = (name: string, v: number, limit?: number): BenchRow => ({
    name,
    value: v,
    unit: 'ms',
    limit,
    better: 'lower',
  });
  const ctP50 = ct ? percentile(total.ct, 50) : undefined;
  const ctP90 = ct ? percentile(total.ct, 90) : undefined;
  const rows: BenchRow[] = [
    ms('shoal PUT -> file p50 (limit: consul-template p50)', percentile(total.shoal, 50), ctP50),
    ms('shoal PUT -> file p90 (limit: consul-template p90)', percentile(total.shoal, 90), ctP90),
  ];
  if (ct && ctP50 !== undefined && ctP90 !== undefined)
    rows.push(ms('consul-template 0.20.1 PUT -> file p50', ctP50), ms('consul-template 0.20.1 PUT -> file p90', ctP90));
  else rows.push({ name: 'consul-template: peer not found', value: Number.NaN, unit: 'ms', better: 'lower' });
  for (const k of ['store (PUT -> watch answer)', ...STAGES]) {
    const v = stages.get(k) ?? [];
    rows.push(ms(`  shoal stage ${k} p50`, percentile(v, 50)), ms(`  shoal stage ${k} p90`, percentile(v, 90)));
  }
  return rows;
}

/**
 * HAProxy runtime-API updates at 1,000 backends (100 services x 10, on loopback), --wait 0, under a
 * steady load on one service: a new server of that service -> its first request; its removal -> the last
 * request it received; a new service -> served (a reload). Failed requests are counted over all changes.
 */
async function runtimeChanges(samplesN: number, rate = 500): Promise<BenchRow[]> {
  const consul = await service('consul');
  const store = await openStore(`consul://${consul.address}/shoal-render-rt-${randomBytes(3).toString('hex')}`, {
    timeoutMs: 3000,
  });
  const base = http.createServer((_q, s) => s.end('base'));
  await new Promise<void>((r) => base.listen(0, '127.0.0.1', () => r()));
  const basePort = (base.address() as net.AddressInfo).port;
  let hits: number[] = [];
  const probe = http.createServer((q, s) => {
    if (q.headers.host !== undefined) hits.push(performance.now());
    s.end('probe');
  });
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const probePort = (probe.address() as net.AddressInfo).port;
  // the 999 other servers point at a closed loopback port: their health checks fail at once and cost nothing here
  const closed = await freePort();
  for (let k = 0; k < 1000; k += 50)
    await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        store.put(`svc${(k + j) % 100}-80/h${(k + j) % 9}:c${k + j}:80`, `127.0.0.1:${closed}`),
      ),
    );
  await store.put('probe-80/h1:base:80', `127.0.0.1:${basePort}`);
  const p = await proxy('haproxy');
  const core = new RenderCore(
    renderConfig([{ source: TEMPLATES.haproxy, destination: p.config, check: p.check, reload: p.reload }], {
      wait: { minMs: 0, maxMs: 0 },
    }),
    { store, log: silentLogger(), env: { PATH: process.env.PATH, ...p.env } },
  );
  const added: number[] = [];
  const removed: number[] = [];
  const fresh: number[] = [];
  let ok = 0;
  const failed: string[] = [];
  let stop = false;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const load = async (loops: number) => {
    const t0 = performance.now();
    let n = 0;
    const one = async () => {
      while (!stop) {
        const due = t0 + (n++ * 1000) / rate;
        if (due > performance.now()) await sleep(due - performance.now());
        const r = await getVia(agent, p.port, 'probe.shoal.test');
        if (r === 200) ok++;
        else failed.push(String(r));
      }
    };
    await Promise.all(Array.from({ length: loops }, one));
  };
  let loadDone: Promise<void> | undefined;
  try {
    const loaded = nextResult(core, (r) => r.reloaded === true, 60_000);
    await core.start();
    while (!existsSync(p.config)) await sleep(20);
    await p.start();
    await loaded;
    loadDone = load(8);
    await sleep(500);
    for (let i = 0; i < samplesN; i++) {
      const key = `probe-80/h1:n${i}:80`;
      hits = [];
      let t0 = performance.now();
      await store.put(key, `127.0.0.1:${probePort}`);
      while (hits.length === 0 && performance.now() - t0 < 15_000) await sleep(1);
      added.push((hits[0] ?? Number.NaN) - t0);
      const gone = nextResult(core, (r) => r.result === 'changed');
      t0 = performance.now();
      await store.delete(key);
      await gone;
      await sleep(300);
      removed.push(Math.max(0, (hits[hits.length - 1] ?? t0) - t0));
      const f = `fresh${i}-80/h1:f${i}:80`;
      t0 = performance.now();
      await store.put(f, `127.0.0.1:${basePort}`);
      while ((await get(p.port, `fresh${i}.shoal.test`)) !== 200 && performance.now() - t0 < 15_000) await sleep(2);
      fresh.push(performance.now() - t0);
      const back = nextResult(core, (r) => r.result === 'changed');
      await store.delete(f);
      await back;
      await sleep(100);
    }
  } finally {
    stop = true;
    await loadDone;
    agent.destroy();
    await core.stop();
    await p.stop();
    base.close();
    probe.close();
    await store.deleteTree('').catch(() => undefined);
    await store.close();
  }
  const runtime = (await core.metrics.runtimeUpdates.get()).values;
  const applied = runtime.find((v) => v.labels.result === 'applied')?.value ?? 0;
  const ms = (name: string, v: number, limit?: number): BenchRow => ({
    name,
    value: v,
    unit: 'ms',
    limit,
    better: 'lower',
  });
  return [
    ms('new server of a running service -> its first request p50', percentile(added, 50), 50),
    ms('new server of a running service -> its first request p90', percentile(added, 90)),
    ms('server removed -> the last request it got p50', percentile(removed, 50), 50),
    ms('server removed -> the last request it got p90', percentile(removed, 90)),
    ms('new service -> served (reload) p50', percentile(fresh, 50), 300),
    ms('new service -> served (reload) p90', percentile(fresh, 90)),
    {
      name: `server changes applied through the runtime API (of ${2 * samplesN})`,
      value: applied,
      unit: '',
      better: 'higher',
    },
    { name: `requests answered under load (${rate}/s target)`, value: ok, unit: 'req', better: 'higher' },
    {
      name: `failed requests (${failed.slice(0, 3).join(' ')})`,
      value: failed.length,
      unit: 'req',
      limit: 0,
      better: 'lower',
    },
  ];
}

function getVia(agent: http.Agent, port: number, host: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(e.message));
  });
}

const only = process.argv.slice(2);
const want = (n: string) => only.length === 0 || only.includes(n);
if (want('render')) printTable('render: parse + context + template (p50)', renderTimes());
if (want('latency'))
  printTable('render: store change -> config on disk -> proxy serving (--wait 0, 30 samples)', [
    ...(await changeToServing('haproxy', 30)),
    ...(await changeToServing('nginx', 30)),
  ]);
if (want('putfile')) {
  const n = Number(process.env.SHOAL_BENCH_SAMPLES ?? 30);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  printTable(
    `render: store PUT of a new service -> key in the HAProxy file, 1,000 backends, --wait 0, ${n} interleaved samples (load average at start ${load})`,
    await putToFile(n),
  );
}
if (want('runtime')) {
  const n = Number(process.env.SHOAL_BENCH_SAMPLES ?? 50);
  printTable(
    `render: HAProxy runtime-API updates, 1,000 backends, --wait 0, ${n} samples under a steady load`,
    await runtimeChanges(n),
  );
}
if (want('requests')) printTable('render: store requests (Consul, one watch per prefix)', await storeRequests());
if (want('rss')) printTable('render: memory', await idleRss());
