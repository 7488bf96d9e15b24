/**
 * Start-up of `shoal render`: a store that refuses the token ends the start at once (exit 2, one line naming the
 * store, nothing rendered), in daemon mode, with --once and from the CLI; an accepted token renders; a store
 * that is away is waited for until shutdown.
 */
import t from 'tap';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { silentLogger } from '../../agents/common/log.js';
import { loadConfig } from '../../agents/config/load.js';
import { renderSpec } from '../../agents/render/config.js';
import { main } from '../../agents/render/main.js';
import { captureLog, until } from '../helpers/capture-log.js';
import { ACL_HCL, consulReady, throwawayConsul } from '../helpers/throwaway-consul.js';

const REFUSED = 'shoal render: store refused the credentials';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A template and the destination it would be rendered to, in a fresh directory. */
function files(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-render-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const src = path.join(dir, 'in.hbs');
  writeFileSync(src, 'rendered\n');
  return { template: `${src}:${path.join(dir, 'out.cfg')}`, dest: path.join(dir, 'out.cfg') };
}

const configFor = (uri: string, flags: Record<string, unknown>) =>
  loadConfig(renderSpec, { flags, positional: uri, env: {} }).config;

t.test('the store refuses the token: exit 2 at start, one line naming the store, nothing rendered', async (t) => {
  const port = await throwawayConsul(t, false, ACL_HCL);
  await consulReady(port);
  const uri = `consul://127.0.0.1:${port}/acl-render`;
  const { template, dest } = files(t);
  const refusal = { exitCode: 2, message: new RegExp(`^${REFUSED} \\(${escape(uri)}\\): .*ACL not found`) };
  const ctx = { log: silentLogger(), signal: new AbortController().signal, env: {} };

  // the daemon retries a store that is away for ever: only a refusal that is not retried ends this
  await t.rejects(main(configFor(uri, { templates: [template], storeToken: 'bogus-token' }), ctx), refusal);
  await t.rejects(main(configFor(uri, { templates: [template], storeToken: 'bogus-token', once: true }), ctx), refusal);
  t.notOk(existsSync(dest), 'nothing rendered');

  const argv = ['render', '--store-token', 'bogus-token', '--template', template, uri];
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'agents/cli.ts', ...argv], {
    cwd: new URL('../../', import.meta.url).pathname,
    encoding: 'utf8',
    env: { ...process.env, SHOAL_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  t.equal(cli.status, 2, 'exit code 2');
  t.match(cli.stderr.trim(), new RegExp(`^${REFUSED} \\(${escape(uri)}\\): [^\\n]*ACL not found[^\\n]*$`), 'one line');
  t.notOk(existsSync(dest), 'nothing rendered');

  // the same store with a token it accepts: the start goes on and renders
  const ac = new AbortController();
  const good = configFor(uri, { templates: [template], storeToken: 'shoal-root-token' });
  const running = main(good, { log: silentLogger(), signal: ac.signal, env: {} });
  await until(() => existsSync(dest), 30_000, 'the first render with an accepted token');
  t.equal(readFileSync(dest, 'utf8'), 'rendered\n');
  ac.abort();
  t.equal(await running, 0, 'stops cleanly');
});

t.test('a store that is away at start is waited for, until shutdown', async (t) => {
  const { template, dest } = files(t);
  const cap = captureLog('warn');
  const ac = new AbortController();
  // 127.0.0.1:1 refuses connections: a store that is down
  const uri = 'consul://127.0.0.1:1/shoaltest-render-down';
  const running = main(configFor(uri, { templates: [template], storeTimeout: '500ms' }), {
    log: cap.log,
    signal: ac.signal,
    env: {},
  });
  await until(() => cap.lines.filter((l) => l.msg === `store ${uri} failed; retrying`).length >= 2, 30_000, 'retries');
  ac.abort();
  t.equal(await running, 0, 'shutdown during the wait is a clean stop');
  t.notOk(existsSync(dest), 'nothing rendered');
});
