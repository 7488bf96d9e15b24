/**
 * `shoal manage --ui` in a real headless Chromium against a running cluster: a real manager over the 3 harness
 * engines (and one address where no engine answers), its store on the harness Consul behind a TCP relay the
 * test cuts. The page shows the nodes as columns (the dead one as down, with a node alert), a hostile node
 * label as text, the service's task cards, the edge's routes from the store; after `docker service scale` the
 * new task cards appear within the 2 s (a deadline on a DOM poll); with the store cut it shows the store
 * alert over the last state (not an empty cluster), and clears it once the store is back. Screenshots are kept
 * under .tap/screenshots/.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../agents/store/open.js';
import { service } from '../harness/index.js';
import { freePort } from '../harness/proxies.js';
import { launchChromium, type Page } from '../helpers/chromium.js';
import { managerConfig, sharedEngines, startTestManager, suffix } from './helpers.js';
import { relay } from './relay.js';

const engines = await sharedEngines();
const ENGINES = ['127.0.1.1:2375', '127.0.1.2:2375', '127.0.1.3:2375'];
const SHOTS = path.resolve('.tap/screenshots');
const HOSTILE = '<img src=x onerror="window.pwned=1">';

/** Poll `expression` in the page until it is truthy; the last value on timeout. */
async function pageUntil<T>(page: Page, expression: string, timeoutMs: number, what: string): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await page.evaluate<T>(expression);
    if (last) return last;
    if (Date.now() >= until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const cards = (name: string, state = 'running') =>
  `document.querySelectorAll('#nodes .task[data-service="${name}"][data-state="${state}"]').length`;
const banners = (kind: string) =>
  `[...document.querySelectorAll('#banners .banner[data-kind="${kind}"]')].map((b) => b.textContent)`;

t.test('the cluster view in Chromium: nodes, tasks live, routes, store and node outages', async (t) => {
  const consul = await service('consul', 'main');
  const prefix = `mgui${suffix()}`;
  const direct = await openStore(`consul://${consul.address}/${prefix}`, { timeoutMs: 5000 });
  t.teardown(async () => {
    await direct.deleteTree('').catch(() => {});
    await direct.close();
  });
  const routes = await openStore(`consul://${consul.address}/${prefix}routes`, { timeoutMs: 5000 });
  t.teardown(async () => {
    await routes.deleteTree('').catch(() => {});
    await routes.close();
  });
  const dead = `127.0.0.1:${await freePort()}`;
  for (const a of [...ENGINES, dead]) await direct.put(a, a);
  const r = await relay(consul.address);
  t.teardown(() => r.cut());
  const caDir = mkdtempSync(path.join(os.tmpdir(), 'mgui-ca-'));
  t.teardown(() => rmSync(caDir, { recursive: true, force: true }));
  const tm = await startTestManager(
    managerConfig(`consul://${r.address()}/${prefix}`, {
      swarmCaDir: caDir,
      store: { timeoutMs: 2000 },
      ui: { host: '127.0.0.1', port: await freePort() },
      uiRoutes: `consul://${r.address()}/${prefix}routes`,
    }),
  );
  t.teardown(() => tm.stop());
  const url = tm.manager.uiUrl as string;
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const docker = (args: string[]) => tm.docker(args);
  const name = `uiweb${suffix()}`;
  t.teardown(async () => {
    for (const e of engines) {
      const ids = (await e.cli(['ps', '-aq', '--filter', `label=com.docker.swarm.service.name=${name}`])).stdout;
      const list = ids.split('\n').filter(Boolean);
      if (list.length) await e.cli(['rm', '-f', ...list], { reject: false });
    }
  });

  await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  const [first] = (await docker(['node', 'ls', '-q'])).stdout.trim().split('\n');
  await docker(['node', 'update', '--label-add', `xss=${HOSTILE}`, first as string]);
  // --detach: the page itself is what waits for the tasks (a loaded machine may take longer than the CLI's 60 s)
  await docker(['service', 'create', '--detach', '--name', name, '--replicas', '2', 'shoal/busybox', 'sleep', '3600']);
  await routes.put(`${name}-80/h1:${name}.1:80`, '127.0.1.1:32768');

  const page = await launchChromium();
  t.teardown(() => page.close());
  await page.goto(url);
  mkdirSync(SHOTS, { recursive: true });

  t.test('nodes as columns, the dead one down with a node alert; task cards; services; routes', async (t) => {
    t.equal(await pageUntil<number>(page, `${cards(name)} === 2 && 2`, 120_000, 'the 2 running task cards'), 2);
    await pageUntil(
      page,
      `document.querySelectorAll('#nodes .node[data-state="down"]').length === 1`,
      30_000,
      'the dead node',
    );
    t.equal(await page.evaluate<number>(`document.querySelectorAll('#nodes .node').length`), 4, 'four node columns');
    const alerts = await page.evaluate<string[]>(banners('node'));
    t.equal(alerts.length, 1);
    t.match(alerts[0], `(${dead}) is down`);
    t.same(await page.evaluate<string[]>(banners('store')), [], 'no store alert while it answers');
    const row = await page.evaluate<string[]>(
      `[...document.querySelectorAll('#services tr[data-service="${name}"] td')].map((c) => c.textContent)`,
    );
    t.same(row.slice(0, 4), [name, 'replicated', '2/2', 'shoal/busybox:latest']);
    const route = await pageUntil<string[]>(
      page,
      `(() => { const r = document.querySelector('#routes tr[data-route="${name}-80"]'); return r && [...r.cells].map((c) => c.textContent); })()`,
      10_000,
      'the route row',
    );
    t.same(route, [`${name}:80`, '127.0.1.1:32768']);
    await routes.put(`${name}-80/h2:${name}.2:80`, '127.0.1.2:32769');
    await pageUntil(
      page,
      `document.querySelector('#routes tr[data-route="${name}-80"]').cells[1].textContent === '127.0.1.1:32768, 127.0.1.2:32769'`,
      10_000,
      'the second backend',
    );
  });

  t.test('a hostile label is shown as text, never run or parsed as markup', async (t) => {
    const texts = await page.evaluate<string[]>(
      `[...document.querySelectorAll('#nodes .label')].map((e) => e.textContent)`,
    );
    t.ok(texts.includes(`xss=${HOSTILE}`), 'the label as written');
    t.equal(await page.evaluate<number>(`document.querySelectorAll('#nodes img, #banners img').length`), 0);
    t.equal(await page.evaluate<string>(`typeof window.pwned`), 'undefined');
  });

  t.test('docker service scale: the new task cards appear within 2 s', async (t) => {
    await docker(['service', 'scale', `${name}=5`]);
    const scaledAt = Date.now();
    // the acceptance bound, as a deadline on the DOM poll
    t.equal(await pageUntil<boolean>(page, `${cards(name)} === 5`, 2000, '5 running task cards'), true);
    t.comment(`the page showed 5 running tasks ${Date.now() - scaledAt} ms after the scale converged`);
    writeFileSync(path.join(SHOTS, 'ui-scaled.png'), await page.screenshot());
  });

  t.test('the store cut: a store alert over the last state, not an empty cluster; cleared when back', async (t) => {
    await r.cut();
    const alert = await pageUntil<string[]>(
      page,
      `(${banners('store')}).length === 2 && ${banners('store')}`,
      30_000,
      'the store alerts (swarm state and routes)',
    );
    const since = 'unreachable since \\d\\d:\\d\\d:\\d\\d UTC: consul://127\\.0\\.0\\.1:\\d+/\\S+ did not answer';
    t.match(alert[0], new RegExp(`^store ${since}; showing the last state read$`));
    t.match(alert[1], new RegExp(`^routes store ${since}; showing the last state read$`));
    t.same(
      await page.evaluate<string[]>(
        `[...document.querySelectorAll('#routes tr[data-route] td')].map((c) => c.textContent)`,
      ),
      [`${name}:80`, '127.0.1.1:32768, 127.0.1.2:32769'],
      'the last routes still shown',
    );
    t.equal(
      await page.evaluate<number>(`document.querySelectorAll('#nodes .node').length`),
      4,
      'the nodes still shown',
    );
    t.equal(await page.evaluate<number>(cards(name)), 5, 'the last tasks still shown');
    t.match(await page.evaluate<string>(`document.getElementById('summary').textContent`), /stale/);
    writeFileSync(path.join(SHOTS, 'ui-store-out.png'), await page.screenshot());
    await r.restore();
    await pageUntil(page, `(${banners('store')}).length === 0`, 30_000, 'the store alert cleared');
    t.notMatch(await page.evaluate<string>(`document.getElementById('summary').textContent`), /stale/);
    t.equal(await page.evaluate<number>(cards(name)), 5);
  });
});
