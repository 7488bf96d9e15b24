/**
 * The render pipeline over the in-memory Store, with real files and the real proxies' checks
 * (`haproxy -c`, `nginx -t`): failures of every stage leave the live file untouched and the daemon running.
 */
import t from 'tap';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RenderCore } from '../../agents/render/core.js';
import { silentLogger } from '../../agents/common/log.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { captureLog, nextResult, renderConfig, sleepMs } from './helpers.js';
import { HAPROXY_TPL, NGINX_TPL, envFor, hcheck, ncheck, tmp, valid, web } from './fixtures.js';

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
  const first = Promise.all([
    nextResult(core, (r) => r.destination === h),
    nextResult(core, (r) => r.destination === n),
  ]);
  await core.start();
  t.teardown(() => core.stop());
  t.same(
    (await first).map((r) => [r.result, r.reloaded]),
    [
      ['changed', true],
      ['changed', true],
    ],
  );
  t.match(
    readFileSync(h, 'utf8'),
    /server h1_web1_80 127\.0\.0\.1:20001 check inter 2s fall 3 rise 2\n\s+server h2_web2_80 127\.0\.0\.1:20002 check inter/,
  );
  t.match(readFileSync(n, 'utf8'), /upstream be_web-80 \{\n\s+server 127\.0\.0\.1:20001/);
  t.ok(await valid('haproxy', h, dir));
  t.ok(await valid('nginx', n, dir));
  t.same(readFileSync(reloads, 'utf8').trim().split('\n').sort(), ['h', 'n'], 'one reload each');

  // a burst of three changes -> one render, one reload per template
  // both templates' results: each is emitted after its reload ran
  const next = Promise.all([h, n].map((d) => nextResult(core, (r) => r.destination === d)));
  await store.put('api-9000/h1:api:9000', '127.0.0.1:29000');
  await store.put('web-80/h3:web3:80', '127.0.0.1:20003');
  await store.delete('web-80/h1:web1:80');
  t.same(
    (await next).map((r) => r.result),
    ['changed', 'changed'],
  );
  t.same(
    readFileSync(reloads, 'utf8').trim().split('\n').sort(),
    ['h', 'h', 'n', 'n'],
    'a burst gives one reload per template',
  );
  const text = readFileSync(h, 'utf8');
  t.notMatch(text, /web1/);
  t.match(text, /backend be_api-9000/);
  t.ok(await valid('haproxy', h, dir));

  // a change that does not change the output (an unrelated bad key) -> unchanged, no reload
  // the next results of both templates also come after any render left over from the burst
  const un = Promise.all([h, n].map((d) => nextResult(core, (r) => r.destination === d)));
  await store.put('junk', 'x');
  t.same(
    (await un).map((r) => r.result),
    ['unchanged', 'unchanged'],
  );
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
  const core = new RenderCore(
    renderConfig([{ source: src, destination: h, check: hcheck, reload: 'true', backup: true }]),
    { store, log: cap.log, env: envFor(dir) },
  );
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
  t.match(
    await core.metrics.registry.getSingleMetricAsString('shoal_render_check_failures_total'),
    /shoal_render_check_failures_total\{template="[^"]+"\} 1/,
  );
  t.same(
    (await import('node:fs')).readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
    'staged file removed',
  );

  const fixed = nextResult(core);
  await store.delete('extra');
  t.equal((await fixed).result, 'changed');
  t.match(readFileSync(h, 'utf8'), /web2/);
  t.equal(readFileSync(`${h}.bak`, 'utf8'), good, 'one .bak with the previous config');
  t.equal(core.status().lastRenderOk, true);
});

t.test(
  'a template error (edited file, seen by the file watcher) leaves the live file untouched; fixing it re-renders',
  async (t) => {
    const dir = tmp(t);
    const store = new MemoryStore();
    store.setAll([web(1)]);
    const src = path.join(dir, 'n.hbs');
    copyFileSync(NGINX_TPL, src);
    const n = path.join(dir, 'nginx.conf');
    const core = new RenderCore(renderConfig([{ source: src, destination: n, check: ncheck(dir), reload: 'true' }]), {
      store,
      log: silentLogger(),
      env: envFor(dir),
    });
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
  },
);

t.test('a failing reload is retried with backoff; the daemon keeps running', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const count = path.join(dir, 'count');
  // fails twice, then works
  const reload = `n=$(cat ${count} 2>/dev/null || echo 0); echo $((n+1)) > ${count}; echo "reload attempt $n" >&2; [ "$n" -ge 2 ]`;
  const h = path.join(dir, 'haproxy.cfg');
  const core = new RenderCore(renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload }]), {
    store,
    log: silentLogger(),
    env: envFor(dir),
  });
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
  t.same([(await next).result, await Promise.resolve(true)], ['changed', true]);
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
    renderConfig([
      { source: HAPROXY_TPL, destination: h, check: hcheck, reload: 'true' },
      { source: NGINX_TPL, destination: n, check: ncheck(dir), reload: 'true' },
    ]),
    { store, log: cap.log, env: envFor(dir) },
  );
  const first = Promise.all([
    nextResult(core, (r) => r.destination === h),
    nextResult(core, (r) => r.destination === n),
  ]);
  await core.start();
  t.teardown(() => core.stop());
  t.same(
    (await first).map((r) => r.result),
    ['changed', 'changed'],
  );
  const warns = () => cap.lines.filter((l) => l.msg === 'skipping store entry').length;
  t.equal(warns(), 1000, 'one warning per bad entry');
  for (const f of [h, n]) {
    const text = readFileSync(f, 'utf8');
    t.notMatch(text, /6666|backup|evil|99999|not-an-ip|web\{/, `${path.basename(f)} holds none of it`);
    t.equal((text.match(/127\.0\.0\.1:20001/g) ?? []).length, 1);
  }
  t.ok(await valid('haproxy', h, dir));
  t.ok(await valid('nginx', n, dir));
  t.match(
    await core.metrics.registry.getSingleMetricAsString('shoal_render_skipped_entries'),
    /shoal_render_skipped_entries 1000/,
  );
  // another change: the same bad entries are not warned again
  const next = nextResult(core, (r) => r.destination === h);
  await store.put('web-80/h2:web2:80', '127.0.0.1:20002');
  await next;
  t.equal(warns(), 1000, 'no repeated warnings for the same entries');
});
