/**
 * `shoal render` benchmarks:
 *  1. render time (parse + context + template) for 100 / 1,000 / 10,000 backends, both shipped templates;
 *  2. store change -> config on disk -> proxy serving the new backend (p50/p99, --wait 0) for HAProxy and
 *     Nginx, next to the proxies' own reload time (reload command + the time until the new config serves);
 *  3. store requests per minute (through a counting TCP proxy in front of Consul) idle and during churn of
 *     50 services: one watch per prefix means at most one request per change, none per service;
 *  4. RSS of an idle `shoal render` process (compiled JS, 1,000 backends).
 *
 *   node --import tsx test/bench/render.bench.ts
 */
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { existsSync, readFileSync, rmSync } from 'node:fs';
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

const only = process.argv.slice(2);
const want = (n: string) => only.length === 0 || only.includes(n);
if (want('render')) printTable('render: parse + context + template (p50)', renderTimes());
if (want('latency'))
  printTable('render: store change -> config on disk -> proxy serving (--wait 0, 30 samples)', [
    ...(await changeToServing('haproxy', 30)),
    ...(await changeToServing('nginx', 30)),
  ]);
if (want('requests')) printTable('render: store requests (Consul, one watch per prefix)', await storeRequests());
if (want('rss')) printTable('render: memory', await idleRss());
