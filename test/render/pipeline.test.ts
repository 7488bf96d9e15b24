/**
 * The render pipeline over the in-memory Store, with real files and the real proxies' checks
 * (`haproxy -c`, `nginx -t`): failures of every stage leave the live file untouched and the daemon running.
 */
import t from 'tap';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { execa } from 'execa';
import { RenderCore } from '../../agents/render/core.js';
import { startStatusServer } from '../../agents/render/status.js';
import { silentLogger } from '../../agents/common/log.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { captureLog, nextResult, renderConfig, sleepMs } from './helpers.js';

const HAPROXY_TPL = path.resolve('templates/haproxy.cfg.hbs');
const NGINX_TPL = path.resolve('templates/nginx.conf.hbs');

function tmp(t: { teardown(fn: () => unknown): void }): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'shoal-render-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function envFor(dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    SHOAL_HAPROXY_BIND: '127.0.0.1:1', SHOAL_HAPROXY_STATS_BIND: '127.0.0.1:2', SHOAL_HAPROXY_SOCKET: path.join(dir, 'h.sock'),
    SHOAL_NGINX_LISTEN: '127.0.0.1:3', SHOAL_NGINX_PID: path.join(dir, 'n.pid'), SHOAL_NGINX_ERROR_LOG: path.join(dir, 'e.log'), SHOAL_NGINX_TEMP: dir,
  };
}

const web = (i: number) => ({ key: `web-80/h${i}:web${i}:80`, value: `127.0.0.1:${20000 + i}` });
const hcheck = 'haproxy -c -f {{path}}';
const ncheck = (dir: string) => `nginx -t -q -e ${dir}/check.log -c {{path}}`;

async function valid(kind: 'haproxy' | 'nginx', file: string, dir: string): Promise<boolean> {
  const r = kind === 'haproxy' ? await execa('haproxy', ['-q', '-c', '-f', file], { reject: false }) : await execa('nginx', ['-t', '-q', '-e', `${dir}/v.log`, '-c', file], { reject: false });
  return r.exitCode === 0;
}

t.test('renders both shipped templates, re-renders on change, skips unchanged', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1), web(2)]);
  const h = path.join(dir, 'haproxy.cfg');
  const n = path.join(dir, 'nginx.conf');
  const reloads = path.join(dir, 'reloads');
  const core = new RenderCore(
    renderConfig([
      { source: HAPROXY_TPL, destination: h, check: hcheck, reload: `echo h >> ${reloads}` },
      { source: NGINX_TPL, destination: n, check: ncheck(dir), reload: `echo n >> ${reloads}` },
    ]),
    { store, log: silentLogger(), env: envFor(dir) },
  );
  const first = Promise.all([nextResult(core, (r) => r.destination === h), nextResult(core, (r) => r.destination === n)]);
  await core.start();
  t.teardown(() => core.stop());
  t.same((await first).map((r) => [r.result, r.reloaded]), [['changed', true], ['changed', true]]);
  t.match(readFileSync(h, 'utf8'), /server h1_web1_80 127\.0\.0\.1:20001 check\n\s+server h2_web2_80 127\.0\.0\.1:20002 check/);
  t.match(readFileSync(n, 'utf8'), /upstream be_web-80 \{\n\s+server 127\.0\.0\.1:20001/);
  t.ok(await valid('haproxy', h, dir));
  t.ok(await valid('nginx', n, dir));
  t.same(readFileSync(reloads, 'utf8').trim().split('\n').sort(), ['h', 'n'], 'one reload each');

  // a burst of three changes -> one render, one reload per template
  const next = nextResult(core, (r) => r.destination === h);
  await store.put('api-9000/h1:api:9000', '127.0.0.1:29000');
  await store.put('web-80/h3:web3:80', '127.0.0.1:20003');
  await store.delete('web-80/h1:web1:80');
  t.equal((await next).result, 'changed');
  await sleepMs(300);
  t.same(readFileSync(reloads, 'utf8').trim().split('\n').sort(), ['h', 'h', 'n', 'n'], 'a burst gives one reload per template');
  const text = readFileSync(h, 'utf8');
  t.notMatch(text, /web1/);
  t.match(text, /backend be_api-9000/);
  t.ok(await valid('haproxy', h, dir));

  // a change that does not change the output (an unrelated bad key) -> unchanged, no reload
  const un = nextResult(core, (r) => r.destination === h);
  await store.put('junk', 'x');
  t.equal((await un).result, 'unchanged');
  await sleepMs(200);
  t.equal(readFileSync(reloads, 'utf8').trim().split('\n').length, 4);
});

t.test('a failing check leaves the live file untouched and logs the proxy error; recovery after', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const src = path.join(dir, 'h.hbs');
  // the shipped template plus one store-controlled token at the end of the last backend
  writeFileSync(src, `${readFileSync(HAPROXY_TPL, 'utf8')}    {{keyOrDefault "extra" ""}}\n`);
  const h = path.join(dir, 'haproxy.cfg');
  const cap = captureLog();
  const core = new RenderCore(renderConfig([{ source: src, destination: h, check: hcheck, reload: 'true', backup: true }]), { store, log: cap.log, env: envFor(dir) });
  const first = nextResult(core);
  await core.start();
  t.teardown(() => core.stop());
  t.equal((await first).result, 'changed');
  const good = readFileSync(h, 'utf8');

  const failed = nextResult(core);
  await store.put('extra', 'bogus_directive');
  await store.put('web-80/h2:web2:80', '127.0.0.1:20002');
  const r = await failed;
  t.equal(r.result, 'check_failed');
  t.equal(r.error?.name, 'CheckFailedError');
  t.equal(readFileSync(h, 'utf8'), good, 'live file untouched');
  t.ok(await valid('haproxy', h, dir));
  t.notOk(existsSync(`${h}.bak`), 'no backup made for a rejected config');
  const line = cap.lines.find((l) => l.msg === 'check failed: the new config was rejected, keeping the live config');
  t.match(String(line?.output), /bogus_directive/, "the proxy's own error is logged");
  t.equal(core.status().lastRenderOk, false);
  t.match(await core.metrics.registry.getSingleMetricAsString('shoal_render_check_failures_total'), /shoal_render_check_failures_total\{template="[^"]+"\} 1/);
  t.same((await import('node:fs')).readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'staged file removed');

  const fixed = nextResult(core);
  await store.delete('extra');
  t.equal((await fixed).result, 'changed');
  t.match(readFileSync(h, 'utf8'), /web2/);
  t.equal(readFileSync(`${h}.bak`, 'utf8'), good, 'one .bak with the previous config');
  t.equal(core.status().lastRenderOk, true);
});

t.test('a template error (edited file, seen by the file watcher) leaves the live file untouched; fixing it re-renders', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const src = path.join(dir, 'n.hbs');
  copyFileSync(NGINX_TPL, src);
  const n = path.join(dir, 'nginx.conf');
  const core = new RenderCore(renderConfig([{ source: src, destination: n, check: ncheck(dir), reload: 'true' }]), { store, log: silentLogger(), env: envFor(dir) });
  const first = nextResult(core);
  await core.start();
  t.teardown(() => core.stop());
  t.equal((await first).result, 'changed');
  const good = readFileSync(n, 'utf8');
  await sleepMs(200); // let chokidar settle its watch

  const broken = nextResult(core, (r) => r.result === 'template_error');
  writeFileSync(src, `${readFileSync(NGINX_TPL, 'utf8')}{{#each services}}unclosed\n`);
  t.equal((await broken).error?.name, 'TemplateError');
  const rt = nextResult(core, (r) => r.result === 'template_error' || r.result === 'changed');
  await store.put('web-80/h2:web2:80', '127.0.0.1:20002'); // renders with the last good template
  t.equal((await rt).result, 'changed', 'store changes still render with the last good template');
  t.match(readFileSync(n, 'utf8'), /20002/);
  t.ok(await valid('nginx', n, dir));

  const runtime = nextResult(core, (r) => r.result === 'template_error');
  const before = readFileSync(n, 'utf8');
  writeFileSync(src, `${readFileSync(NGINX_TPL, 'utf8')}{{nosuchhelper 1}}\n`);
  t.equal((await runtime).error?.name, 'TemplateError');
  t.equal(readFileSync(n, 'utf8'), before, 'live file untouched by a render-time error');

  const ok = nextResult(core, (r) => r.result === 'changed');
  writeFileSync(src, `# edited\n${readFileSync(NGINX_TPL, 'utf8')}`);
  await ok;
  t.match(readFileSync(n, 'utf8'), /^# edited\n/);
  t.not(good, readFileSync(n, 'utf8'));
});

t.test('a failing reload is retried with backoff; the daemon keeps running', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const count = path.join(dir, 'count');
  // fails twice, then works
  const reload = `n=$(cat ${count} 2>/dev/null || echo 0); echo $((n+1)) > ${count}; echo "reload attempt $n" >&2; [ "$n" -ge 2 ]`;
  const h = path.join(dir, 'haproxy.cfg');
  const core = new RenderCore(renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload }]), { store, log: silentLogger(), env: envFor(dir) });
  const results: (boolean | undefined)[] = [];
  core.on('result', (r) => results.push(r.reloaded));
  const done = nextResult(core, (r) => r.reloaded === true, 15_000);
  await core.start();
  t.teardown(() => core.stop());
  await done;
  t.same(results, [false, false, true]);
  t.equal(readFileSync(count, 'utf8').trim(), '3');
  t.match(await core.metrics.registry.getSingleMetricAsString('shoal_render_reload_failures_total'), / 2$/m);
  t.equal(core.status().lastRenderOk, true);
  // still serving changes afterwards
  const next = nextResult(core);
  await store.put('web-80/h2:web2:80', '127.0.0.1:20002');
  t.same([(await next).result, (await Promise.resolve(true))], ['changed', true]);
});

t.test('1,000 malformed entries: skipped with one warning each, never rendered; file stays valid', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  const bad = [];
  for (let i = 0; i < 1000; i++) {
    const kinds = [
      { key: `evil${i}\n  bind *:6666-80/h1:x:80`, value: '127.0.0.1:80' },
      { key: `web-80/h1:x${i}:80`, value: `127.0.0.1:80 backup\n}` },
      { key: `web-${70000 + i}/h1:x:80`, value: '127.0.0.1:80' },
      { key: `web{${i}}-80/h1:x:80`, value: '127.0.0.1:80' },
      { key: `web-80/h1:x${i}:80:tcp6`, value: '127.0.0.1:80' },
      { key: `web-80/h1;x${i}:y:80`, value: '127.0.0.1:80' },
      { key: `web-80/h1:y${i}:80`, value: '127.0.0.1:99999' },
      { key: `web-80/h1:z${i}:80`, value: 'not-an-ip:80' },
    ];
    bad.push(kinds[i % kinds.length] as { key: string; value: string });
  }
  store.setAll([web(1), ...bad]);
  const h = path.join(dir, 'haproxy.cfg');
  const n = path.join(dir, 'nginx.conf');
  const cap = captureLog();
  const core = new RenderCore(
    renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: 'true' }, { source: NGINX_TPL, destination: n, check: ncheck(dir), reload: 'true' }]),
    { store, log: cap.log, env: envFor(dir) },
  );
  const first = Promise.all([nextResult(core, (r) => r.destination === h), nextResult(core, (r) => r.destination === n)]);
  await core.start();
  t.teardown(() => core.stop());
  t.same((await first).map((r) => r.result), ['changed', 'changed']);
  const warns = () => cap.lines.filter((l) => l.msg === 'skipping store entry').length;
  t.equal(warns(), 1000, 'one warning per bad entry');
  for (const f of [h, n]) {
    const text = readFileSync(f, 'utf8');
    t.notMatch(text, /6666|backup|evil|99999|not-an-ip|web\{/, `${path.basename(f)} holds none of it`);
    t.equal((text.match(/127\.0\.0\.1:20001/g) ?? []).length, 1);
  }
  t.ok(await valid('haproxy', h, dir));
  t.ok(await valid('nginx', n, dir));
  t.match(await core.metrics.registry.getSingleMetricAsString('shoal_render_skipped_entries'), /shoal_render_skipped_entries 1000/);
  // another change: the same bad entries are not warned again
  const next = nextResult(core, (r) => r.destination === h);
  await store.put('web-80/h2:web2:80', '127.0.0.1:20002');
  await next;
  t.equal(warns(), 1000, 'no repeated warnings for the same entries');
});

t.test('store outage keeps the last good config; a confirmed empty prefix renders empty; status server', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1), web(2)]);
  const h = path.join(dir, 'haproxy.cfg');
  const core = new RenderCore(renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: 'true' }]), { store, log: silentLogger(), env: envFor(dir) });
  const status = await startStatusServer('127.0.0.1:0', () => core.status(), core.metrics.registry);
  t.teardown(() => status.close());
  const first = nextResult(core);
  await core.start();
  t.teardown(() => core.stop());
  await first;
  const health = async () => {
    const r = await fetch(`http://${status.address}/healthz`);
    return { code: r.status, body: (await r.json()) as { storeConnected: boolean; lastRenderOk: boolean } };
  };
  t.match(await health(), { code: 200, body: { storeConnected: true, lastRenderOk: true } });
  const good = readFileSync(h, 'utf8');
  const mtime = statSync(h).mtimeMs;

  store.fail();
  t.match(await health(), { code: 503, body: { storeConnected: false } });
  await sleepMs(500);
  t.equal(readFileSync(h, 'utf8'), good, 'outage: last good config kept');
  t.equal(statSync(h).mtimeMs, mtime);

  // while down the data changes to empty; on recovery the confirmed empty state renders
  store.data = new Map(); // changed behind the outage: nothing notices until the store is back
  await sleepMs(200);
  t.equal(readFileSync(h, 'utf8'), good);
  const empty = nextResult(core);
  store.recover();
  t.equal((await empty).result, 'changed');
  const text = readFileSync(h, 'utf8');
  t.match(text, /# 0 services, 0 backends/);
  t.ok(await valid('haproxy', h, dir), 'zero services is a valid config');
  t.match(await health(), { code: 200 });
  const metrics = await (await fetch(`http://${status.address}/metrics`)).text();
  t.match(metrics, /shoal_render_renders_total\{template="[^"]+",result="changed"\} 2/);
  t.match(metrics, /shoal_render_last_success_timestamp_seconds\{template="[^"]+"\} \d+/);
  t.match(metrics, /shoal_render_store_connected 1/);
  t.match(metrics, /shoal_render_reload_duration_seconds_count/);
});

t.test('--dry prints and touches nothing; --once reports failure; SIGHUP reconfigure re-renders', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const h = path.join(dir, 'haproxy.cfg');
  let out = '';
  const stdout = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
  const dry = new RenderCore(renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: `touch ${dir}/reloaded` }], { dry: true, once: true }), { store, log: silentLogger(), env: envFor(dir), stdout, watchTemplates: false });
  t.equal(await dry.renderOnce(), true);
  t.match(out, new RegExp(`^> ${h}\\n# Rendered by shoal render`));
  t.match(out, /server h1_web1_80 127\.0\.0\.1:20001/);
  t.notOk(existsSync(h), 'dry: destination not written');
  t.notOk(existsSync(`${dir}/reloaded`), 'dry: no reload');

  const ok = new RenderCore(renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: `touch ${dir}/reloaded` }], { once: true }), { store, log: silentLogger(), env: envFor(dir), watchTemplates: false });
  t.equal(await ok.renderOnce(), true);
  t.ok(existsSync(`${dir}/reloaded`));
  const bad = new RenderCore(renderConfig([{ source: HAPROXY_TPL, destination: h, check: 'false', reload: 'true' }], { once: true }), { store, log: silentLogger(), env: envFor(dir), watchTemplates: false });
  await store.put('web-80/h2:web2:80', '127.0.0.1:20002');
  t.equal(await bad.renderOnce(), false, 'a failed check fails --once');
  const badReload = new RenderCore(renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: 'exit 4' }], { once: true }), { store, log: silentLogger(), env: envFor(dir), watchTemplates: false });
  t.equal(await badReload.renderOnce(), false, 'a failed reload fails --once');
  store.failing = true;
  await t.rejects(new RenderCore(renderConfig([{ source: HAPROXY_TPL, destination: h }], { once: true }), { store, log: silentLogger(), env: envFor(dir), watchTemplates: false }).renderOnce(), { code: 'SHOAL_STORE_UNAVAILABLE' });
  store.failing = false;

  const cfg = renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: 'true' }]);
  const core = new RenderCore(cfg, { store, log: silentLogger(), env: envFor(dir) });
  const first = nextResult(core);
  await core.start();
  t.teardown(() => core.stop());
  await first;
  t.match(readFileSync(h, 'utf8'), /web\.shoal\.test/);
  const again = nextResult(core);
  await core.reconfigure({ ...cfg, domain: 'example.org' });
  t.equal((await again).result, 'changed');
  t.match(readFileSync(h, 'utf8'), /web\.example\.org/);
});

t.test('a template declares its default check and reload; config replaces them; a hung check times out', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const src = path.join(dir, 't.hbs');
  writeFileSync(src, `{{!--\n  shoal-check: cp {{path}} ${dir}/checked\n  shoal-reload: cp {{destination}} ${dir}/reloaded\n--}}\n{{#each services}}{{id}}\n{{/each}}`);
  const out = path.join(dir, 'out');
  const once = (over: object, destination = out) =>
    new RenderCore(renderConfig([{ source: src, destination, ...over }], { once: true }), { store, log: silentLogger(), env: envFor(dir), watchTemplates: false }).renderOnce();
  t.equal(await once({}), true);
  t.equal(readFileSync(`${dir}/checked`, 'utf8'), 'web-80\n', 'declared check ran on the staged file');
  t.equal(readFileSync(`${dir}/reloaded`, 'utf8'), 'web-80\n', 'declared reload ran after the swap');
  await store.put('web-81/h1:w:81', '127.0.0.1:81');
  t.equal(await once({ check: 'exit 1' }), false, 'configured check replaces the declared one');
  t.equal(readFileSync(out, 'utf8'), 'web-80\n');
  t.equal(await once({ check: '', reload: `touch ${dir}/r2` }), true, 'empty check turns it off');
  t.ok(existsSync(`${dir}/r2`));
  t.equal(readFileSync(out, 'utf8'), 'web-80\nweb-81\n');
  t.equal(statSync(out).mode & 0o777, 0o644);
  await store.put('web-82/h1:w:82', '127.0.0.1:82');
  const start = Date.now();
  t.equal(await once({ check: 'sleep 20', commandTimeoutMs: 300 }), false, 'a hung check is killed after command_timeout');
  t.ok(Date.now() - start < 5000);
  t.equal(readFileSync(out, 'utf8'), 'web-80\nweb-81\n');
  t.equal(await once({ check: '', reload: 'true', perms: 0o600 }, path.join(dir, 'p')), true);
  t.equal(statSync(path.join(dir, 'p')).mode & 0o777, 0o600, 'perms applied');
});

t.test('a template block wait overrides the global one; a burst gives one render', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const src = path.join(dir, 't.hbs');
  writeFileSync(src, '{{#each services}}{{#each backends}}{{container}}\n{{/each}}{{/each}}');
  const fast = path.join(dir, 'fast');
  const slow = path.join(dir, 'slow');
  const core = new RenderCore(
    renderConfig([{ source: src, destination: fast, check: '', reload: 'true' }, { source: src, destination: slow, check: '', reload: 'true', wait: { minMs: 1500, maxMs: 3000 } }], { wait: { minMs: 50, maxMs: 100 } }),
    { store, log: silentLogger(), env: envFor(dir) },
  );
  const first = Promise.all([nextResult(core, (r) => r.destination === fast), nextResult(core, (r) => r.destination === slow)]);
  await core.start();
  t.teardown(() => core.stop());
  await first;
  const renders: string[] = [];
  core.on('result', (r) => renders.push(path.basename(r.destination)));
  const slowDone = nextResult(core, (r) => r.destination === slow);
  for (let i = 2; i <= 6; i++) {
    const r = web(i);
    await store.put(r.key, r.value);
    await sleepMs(120);
  }
  await sleepMs(400);
  t.equal(readFileSync(fast, 'utf8'), 'web1\nweb2\nweb3\nweb4\nweb5\nweb6\n', 'fast template follows within its own wait');
  t.equal(readFileSync(slow, 'utf8'), 'web1\n', 'slow template still waiting');
  await slowDone;
  t.equal(readFileSync(slow, 'utf8'), 'web1\nweb2\nweb3\nweb4\nweb5\nweb6\n');
  t.equal(renders.filter((r) => r === 'slow').length, 1, 'the burst gave one render of the slow template');
});
