/**
 * Stage marks of a render pass (the PUT -> file breakdown): the pure durations, the marks a real pass carries
 * (MemoryStore, the shipped HAProxy template, the real `haproxy -c`), and that the core leaves quiescence to
 * its own `wait` instead of asking the store's watch for a second window.
 */
import t from 'tap';
import { once } from 'node:events';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { RenderCore } from '../../agents/render/core.js';
import { stageDurations, STAGES } from '../../agents/render/stages.js';
import { buildContext } from '../../agents/render/context.js';
import { compileTemplate } from '../../agents/render/template.js';
import { silentLogger } from '../../agents/common/log.js';
import type { Snapshot, WatchOptions } from '../../agents/store/store.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { nextResult, renderConfig } from './helpers.js';
import { HAPROXY_TPL, envFor, hcheck, tmp, web } from './fixtures.js';

t.test('stageDurations: one duration per stage whose two ends are marked', async (t) => {
  const all = { received: 1, accepted: 3, started: 9, built: 10, rendered: 12, staged: 13, checked: 20, swapped: 21 };
  t.same(stageDurations(all), { coalesce: 2, wait: 6, parse: 1, render: 2, write: 1, check: 7, swap: 1 });
  t.same(stageDurations({ accepted: 3, started: 9, built: 10, rendered: 12 }), { wait: 6, parse: 1, render: 2 });
  t.same(Object.keys(stageDurations(all)), [...STAGES]);
});

t.test('a pass that writes the file carries its marks in order, and the stage histogram counts them', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const dest = path.join(dir, 'haproxy.cfg');
  const core = new RenderCore(
    renderConfig([{ source: HAPROXY_TPL, destination: dest, check: hcheck, reload: 'true' }], {
      wait: { minMs: 0, maxMs: 0 },
    }),
    { store, log: silentLogger(), env: envFor(dir) },
  );
  const first = nextResult(core, (r) => r.result === 'changed');
  await core.start();
  t.teardown(() => core.stop());
  await first;
  const next = nextResult(core, (r) => r.result === 'changed');
  await store.put('web-80/h2:web2:80', '127.0.0.1:20002');
  const r = await next;
  t.match(readFileSync(dest, 'utf8'), /server h2_web2_80/);
  const m = r.marks;
  if (!m) return t.fail('no marks on the result');
  const order = [m.received, m.accepted, m.started, m.built, m.rendered, m.staged, m.checked, m.swapped];
  t.notOk(
    order.some((x) => x === undefined),
    'every stage marked',
  );
  t.same(
    [...(order as number[])].sort((a, b) => a - b),
    order,
    'received <= accepted <= started <= built <= rendered <= staged <= checked <= swapped',
  );
  const observed = (await core.metrics.stageDuration.get()).values.filter(
    (v) => v.metricName === 'shoal_render_stage_duration_seconds_count',
  );
  t.same(observed.map((v) => v.labels.stage).sort(), [...STAGES].sort(), 'one series per stage');
});

t.test('the core watches the store without a store-level coalescing window', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const asked: WatchOptions[] = [];
  const watch = store.watch.bind(store);
  store.watch = (prefix: string, opts: WatchOptions = {}): AsyncIterable<Snapshot> => {
    asked.push(opts);
    return watch(prefix, opts);
  };
  const core = new RenderCore(
    renderConfig([{ source: HAPROXY_TPL, destination: path.join(dir, 'h.cfg'), check: '', reload: 'true' }]),
    { store, log: silentLogger(), env: envFor(dir) },
  );
  const first = nextResult(core);
  await core.start();
  t.teardown(() => core.stop());
  await first;
  t.same(
    asked.map((o) => o.coalesceMs),
    [0],
    'coalesceMs 0: the runners wait (`--wait`) is the only quiescence, so --wait 0 renders at once',
  );
});

t.test('a burst of snapshots within the quiescence is parsed once, by the pass', async (t) => {
  const dir = tmp(t);
  const store = new MemoryStore();
  store.setAll([web(1)]);
  const clock = new FakeClock();
  const dest = path.join(dir, 'h.cfg');
  const core = new RenderCore(
    renderConfig([{ source: HAPROXY_TPL, destination: dest, check: '', reload: 'true' }], {
      wait: { minMs: 1000, maxMs: 5000 },
    }),
    { store, log: silentLogger(), env: envFor(dir), clock },
  );
  const count = async (m: { get(): Promise<{ values: { value: number }[] }> }) => (await m.get()).values[0]?.value;
  const first = nextResult(core);
  await core.start();
  t.teardown(() => core.stop());
  await first; // the first snapshot renders at once
  t.equal(await count(core.metrics.parses), 1);
  for (let i = 2; i <= 6; i++) {
    const seen = once(core, 'snapshot');
    await store.put(`web-80/h${i}:web${i}:80`, `127.0.0.1:${20000 + i}`);
    await seen;
  }
  t.equal(await count(core.metrics.snapshots), 6, 'five more snapshots taken from the watch');
  t.equal(await count(core.metrics.parses), 1, 'none parsed before a pass needs it');
  const next = nextResult(core);
  clock.advance(1000);
  t.equal((await next).result, 'changed');
  t.equal(await count(core.metrics.parses), 2, 'one parse for the burst');
  t.match(readFileSync(dest, 'utf8'), /server h6_web6_80/, 'of the latest snapshot');
});

t.test('the shipped HAProxy template keeps HAProxy from loading the system CAs (no Lua, no httpclient)', async (t) => {
  const b = buildContext([web(1)], { domain: 'shoal.test' });
  const text = compileTemplate(readFileSync(HAPROXY_TPL, 'utf8'), 'h')(b.context, b.entries, {}).text;
  const global = text.slice(text.indexOf('\nglobal\n'), text.indexOf('\ndefaults\n'));
  t.match(global, /^\s+httpclient\.ssl\.verify none$/m);
});
