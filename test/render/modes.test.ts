/**
 * Render modes and failure handling over the in-memory Store with real files and real proxy checks: store
 * outage and confirmed-empty prefix, status server, --dry, --once, SIGHUP reconfigure, declared commands,
 * timeouts, perms, per-template wait.
 */
import { once } from 'node:events';
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { RenderCore } from '../../agents/render/core.js';
import { startStatusServer } from '../../agents/common/status.js';
import { silentLogger } from '../../agents/common/log.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { nextResult, renderConfig } from './helpers.js';
import { HAPROXY_TPL, envFor, hcheck, tmp, valid, web } from './fixtures.js';

t.test('store outage keeps the last good config; a confirmed empty prefix renders empty; status server', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1), web(2)]);
  const h = path.join(dir, 'haproxy.cfg');
  const core = new RenderCore(renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: 'true' }]), {
    store,
    log: silentLogger(),
    env: envFor(dir),
  });
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

  // everything the core does from the outage on, in order
  let phase = 'outage';
  const events: string[] = [];
  core.on('snapshot', () => events.push(`${phase}: snapshot`));
  core.on('result', (r) => events.push(`${phase}: ${r.result}`));
  store.fail();
  t.match(await health(), { code: 503, body: { storeConnected: false } }, 'the core took the outage in');

  // while down the data changes to empty; on recovery the confirmed empty state renders
  store.data = new Map(); // changed behind the outage: nothing notices until the store is back
  t.equal(readFileSync(h, 'utf8'), good, 'outage: last good config kept');
  t.equal(statSync(h).mtimeMs, mtime);
  phase = 'recovered';
  const empty = nextResult(core);
  store.recover();
  t.equal((await empty).result, 'changed');
  // had the outage rendered anything (e.g. an empty config), the first result after it would not be this one
  t.same(events, ['recovered: snapshot', 'recovered: changed'], 'nothing read or rendered during the outage');
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
  const dry = new RenderCore(
    renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: `touch ${dir}/reloaded` }], {
      dry: true,
      once: true,
    }),
    { store, log: silentLogger(), env: envFor(dir), stdout, watchTemplates: false },
  );
  t.equal(await dry.renderOnce(), true);
  t.match(out, new RegExp(`^> ${h}\\n# Rendered by shoal render`));
  t.match(out, /server h1_web1_80 127\.0\.0\.1:20001/);
  t.notOk(existsSync(h), 'dry: destination not written');
  t.notOk(existsSync(`${dir}/reloaded`), 'dry: no reload');

  const ok = new RenderCore(
    renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: `touch ${dir}/reloaded` }], {
      once: true,
    }),
    { store, log: silentLogger(), env: envFor(dir), watchTemplates: false },
  );
  t.equal(await ok.renderOnce(), true);
  t.ok(existsSync(`${dir}/reloaded`));
  const bad = new RenderCore(
    renderConfig([{ source: HAPROXY_TPL, destination: h, check: 'false', reload: 'true' }], { once: true }),
    { store, log: silentLogger(), env: envFor(dir), watchTemplates: false },
  );
  await store.put('web-80/h2:web2:80', '127.0.0.1:20002');
  t.equal(await bad.renderOnce(), false, 'a failed check fails --once');
  const badReload = new RenderCore(
    renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: 'exit 4' }], { once: true }),
    { store, log: silentLogger(), env: envFor(dir), watchTemplates: false },
  );
  t.equal(await badReload.renderOnce(), false, 'a failed reload fails --once');
  store.failing = true;
  await t.rejects(
    new RenderCore(renderConfig([{ source: HAPROXY_TPL, destination: h }], { once: true }), {
      store,
      log: silentLogger(),
      env: envFor(dir),
      watchTemplates: false,
    }).renderOnce(),
    { code: 'SHOAL_STORE_UNAVAILABLE' },
  );
  store.failing = false;

  const cfg = renderConfig([{ source: HAPROXY_TPL, destination: h, check: hcheck, reload: 'true' }]);
  const core = new RenderCore(cfg, { store, log: silentLogger(), env: envFor(dir) });
  const first = nextResult(core);
  await core.start();
  t.teardown(() => core.stop());
  await first;
  // the Host routes are in the hosts map the config names
  const hosts = () => readFileSync(/map_str\(([^)]+)\)/.exec(readFileSync(h, 'utf8'))?.[1] ?? '', 'utf8');
  t.match(hosts(), /^web\.shoal\.test be_web-80$/m);
  const again = nextResult(core);
  await core.reconfigure({ ...cfg, domain: 'example.org' });
  t.equal((await again).result, 'changed');
  t.match(hosts(), /^web\.example\.org be_web-80$/m);
  t.equal(readdirSync(dir).filter((n) => n.endsWith('.hosts.map')).length, 1, 'the old hosts map was removed');
});

t.test('a template declares its default check and reload; config replaces them; a hung check times out', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const src = path.join(dir, 't.hbs');
  writeFileSync(
    src,
    `{{!--\n  shoal-check: cp {{path}} ${dir}/checked\n  shoal-reload: cp {{destination}} ${dir}/reloaded\n--}}\n{{#each services}}{{id}}\n{{/each}}`,
  );
  const out = path.join(dir, 'out');
  const once = (over: object, destination = out) =>
    new RenderCore(renderConfig([{ source: src, destination, ...over }], { once: true }), {
      store,
      log: silentLogger(),
      env: envFor(dir),
      watchTemplates: false,
    }).renderOnce();
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
  // `sleep` exits 0, so only a kill makes this check fail; the pid it leaves shows the process is gone
  const hung = `echo $$ > ${dir}/check.pid; exec sleep 20`;
  t.equal(await once({ check: hung, commandTimeoutMs: 300 }), false, 'a hung check is killed after command_timeout');
  const checkPid = Number(readFileSync(`${dir}/check.pid`, 'utf8'));
  t.throws(() => process.kill(checkPid, 0), { code: 'ESRCH' }, 'and not left running');
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
  const clock = new FakeClock();
  const core = new RenderCore(
    renderConfig(
      [
        { source: src, destination: fast, check: '', reload: 'true' },
        { source: src, destination: slow, check: '', reload: 'true', wait: { minMs: 1500, maxMs: 3000 } },
      ],
      { wait: { minMs: 50, maxMs: 100 } },
    ),
    { store, log: silentLogger(), env: envFor(dir), clock },
  );
  const first = Promise.all([
    nextResult(core, (r) => r.destination === fast),
    nextResult(core, (r) => r.destination === slow),
  ]);
  await core.start();
  t.teardown(() => core.stop());
  await first;
  const renders: string[] = [];
  core.on('result', (r) => renders.push(path.basename(r.destination)));
  const slowDone = nextResult(core, (r) => r.destination === slow);
  for (let i = 2; i <= 6; i++) {
    const r = web(i);
    const seen = once(core, 'snapshot'); // the templates' waits start on it
    await store.put(r.key, r.value);
    await seen;
    const fastDone = nextResult(core, (x) => x.destination === fast);
    clock.advance(50); // the fast template's wait, far inside the slow one's
    t.equal((await fastDone).result, 'changed');
  }
  t.equal(
    readFileSync(fast, 'utf8'),
    'web1\nweb2\nweb3\nweb4\nweb5\nweb6\n',
    'fast template follows within its own wait',
  );
  t.equal(readFileSync(slow, 'utf8'), 'web1\n', 'slow template still waiting');
  clock.advance(1500);
  await slowDone;
  t.equal(readFileSync(slow, 'utf8'), 'web1\nweb2\nweb3\nweb4\nweb5\nweb6\n');
  t.equal(renders.filter((r) => r === 'slow').length, 1, 'the burst gave one render of the slow template');
});
