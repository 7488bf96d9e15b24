/**
 * `shoal render` as users run it (the CLI from source): --once --dry prints and touches nothing; --once
 * exits non-zero on a failed check; the daemon serves /healthz and /metrics, re-reads its YAML config on
 * SIGHUP and exits cleanly on SIGTERM.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { openStore } from '../../agents/store/open.js';
import { service } from '../harness/services.js';
import { freePort } from '../harness/proxies.js';
import { sleepMs } from './helpers.js';

const ROOT = path.resolve('.');
const CLI = path.join(ROOT, 'agents/cli.ts');
const TPL = path.join(ROOT, 'templates/haproxy.cfg.hbs');

t.test('shoal render CLI', async (t) => {
  const consul = await service('consul');
  const uri = `consul://${consul.address}/shoal-render-cli-${randomBytes(3).toString('hex')}`;
  const store = await openStore(uri, { timeoutMs: 3000 });
  t.teardown(async () => {
    await store.deleteTree('');
    await store.close();
  });
  await store.put('web-80/dockerhost01:web1:80', '127.0.1.1:32001');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-render-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dest = path.join(dir, 'haproxy.cfg');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    SHOAL_HAPROXY_SOCKET: path.join(dir, 'h.sock'),
  };
  const run = (args: string[]) =>
    execa(process.execPath, ['--import', 'tsx', CLI, 'render', '--log-format', 'json', ...args], {
      cwd: ROOT,
      env,
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });

  const dry = await run(['--once', '--dry', '--template', `${TPL}:${dest}`, uri]);
  t.equal(dry.exitCode, 0, String(dry.stderr));
  t.match(dry.stdout, new RegExp(`^> ${dest}\\n# Rendered by shoal render`));
  t.match(dry.stdout, /server dockerhost01_web1_80 127\.0\.1\.1:32001 check/);
  t.notOk(existsSync(dest), '--dry wrote nothing');

  const yaml = path.join(dir, 'render.yaml');
  writeFileSync(
    yaml,
    `templates:\n  - source: ${TPL}\n    destination: ${dest}\n    check: "false"\n    reload: "true"\n`,
  );
  const bad = await run(['--once', '--config', yaml, uri]);
  t.equal(bad.exitCode, 1, '--once exits non-zero when the check fails');
  t.match(bad.stderr, /SHOAL_RENDER_CHECK_FAILED|check failed/);
  t.notOk(existsSync(dest));

  const port = await freePort();
  writeFileSync(
    yaml,
    `templates:\n  - source: ${TPL}\n    destination: ${dest}\n    check: haproxy -c -f {{path}}\n    reload: "true"\ndomain: one.test\nwait: 50ms:200ms\nstatus-addr: 127.0.0.1:${port}\n`,
  );
  const daemon = execa(
    process.execPath,
    ['--import', 'tsx', CLI, 'render', '--log-format', 'json', '--config', yaml, uri],
    { cwd: ROOT, env, extendEnv: false, reject: false },
  );
  t.teardown(() => void daemon.kill('SIGKILL'));
  // the config and the side files it names (HAProxy's host and path maps: `<dest>.<hash>.<name>`)
  const rendered = () =>
    readdirSync(path.dirname(dest))
      .filter((f) => f === path.basename(dest) || f.startsWith(`${path.basename(dest)}.`))
      .map((f) => readFileSync(path.join(path.dirname(dest), f), 'utf8'))
      .join('\n');
  const waitFile = async (re: RegExp) => {
    for (let i = 0; i < 600; i++) {
      if (existsSync(dest) && re.test(rendered())) return true;
      await sleepMs(100);
    }
    return false;
  };
  t.ok(await waitFile(/web\.one\.test/), 'daemon rendered');
  // the file is in place before the pass ends (its reload command still runs),
  // so the status turns healthy once the pass has finished, not with the file
  let health = await fetch(`http://127.0.0.1:${port}/healthz`);
  for (let i = 0; i < 300 && health.status !== 200; i++) {
    await sleepMs(100);
    health = await fetch(`http://127.0.0.1:${port}/healthz`);
  }
  t.equal(health.status, 200, 'healthy once the first pass has finished');
  t.match(await health.json(), { storeConnected: true, lastRenderOk: true });
  t.match(
    await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    /shoal_render_renders_total\{template="[^"]+",result="changed"\} 1/,
  );

  writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('domain: one.test', 'domain: two.test'));
  daemon.kill('SIGHUP');
  t.ok(await waitFile(/web\.two\.test/), 'SIGHUP re-read the config file');
  await store.put('api-9000/dockerhost02:api:9000', '127.0.1.2:32002');
  t.ok(await waitFile(/be_api-9000/), 'still following the store');
  daemon.kill('SIGTERM');
  const r = await daemon;
  t.equal(r.exitCode, 0, 'clean exit on SIGTERM');
});
