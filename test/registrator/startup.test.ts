/** Start-up rules of `shoal registrator`: --retry-attempts, retrying forever, unusable host names, refused tokens. */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { silentLogger } from '../../agents/common/log.js';
import { main } from '../../agents/registrator/main.js';
import { engine } from '../harness/engines.js';
import { registratorConfig, startRegistrator, storeAddress } from './helpers.js';
import { captureLog, until } from '../helpers/capture-log.js';
import { ACL_HCL, consulReady, throwawayConsul } from '../helpers/throwaway-consul.js';

const REFUSED = 'shoal registrator: store refused the credentials';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

// 127.0.0.1:1 refuses connections: a store that is down
const DOWN = 'consul://127.0.0.1:1/shoaltest-down';

t.test('--retry-attempts 2: gives up with a typed error', async (t) => {
  const ac = new AbortController();
  const cfg = registratorConfig(DOWN, {
    retryAttempts: '2',
    retryInterval: '50ms',
    storeTimeout: '500ms',
    dockerHost: 'unix:///nonexistent.sock',
  });
  await t.rejects(main(cfg, { log: silentLogger(), signal: ac.signal, env: {} }), { code: 'SHOAL_STORE_UNAVAILABLE' });
});

t.test('--retry-attempts -1 (default): keeps trying, stops cleanly on shutdown', async (t) => {
  const cap = captureLog('warn');
  const reg = startRegistrator(
    DOWN,
    { retryInterval: '50ms', storeTimeout: '500ms', dockerHost: 'unix:///nonexistent.sock' },
    cap.log,
  );
  // five failed attempts in a row, more than any --retry-attempts this test could be mistaken for
  const attempts = () => cap.lines.filter((l) => /failed; retrying$/.test(String(l.msg))).map((l) => l.attempt);
  await until(() => reg.settled() || attempts().length >= 5, 30_000, 'five retries');
  t.same(attempts().slice(0, 5), [1, 2, 3, 4, 5], 'retried five times');
  t.equal(reg.settled(), false, 'still trying');
  t.equal(await reg.stop(), 0);
});

t.test('a host name that cannot be part of a key is refused', async (t) => {
  const e = await engine(1);
  const ac = new AbortController();
  const cfg = registratorConfig(`consul://${await storeAddress('consul')}/shoaltest-badhost`, {
    hostname: 'bad/host',
    dockerHost: e.dockerHost,
  });
  await t.rejects(main(cfg, { log: silentLogger(), signal: ac.signal, env: {} }), { code: 'SHOAL_BAD_HOSTNAME' });
});

t.test('a refused ACL token ends the start at once: exit 2, one line naming the store', async (t) => {
  const port = await throwawayConsul(t, false, ACL_HCL);
  await consulReady(port);
  const ctx = { log: silentLogger(), signal: new AbortController().signal, env: {} };
  const kv = `consul://127.0.0.1:${port}/acl`;
  const flags = { storeToken: 'bogus-token', dockerHost: 'unix:///nonexistent.sock', hostname: 'h1' };
  // retrying for ever (the default): only a refusal that is not retried ends these
  await t.rejects(main(registratorConfig(kv, flags), ctx), {
    exitCode: 2,
    message: new RegExp(`^${REFUSED} \\(${escape(kv)}\\): .*ACL not found`),
  });
  await t.rejects(main(registratorConfig(`consul-catalog://127.0.0.1:${port}`, flags), ctx), {
    exitCode: 2,
    message: new RegExp(`^${REFUSED} \\(${escape(`consul-catalog://127.0.0.1:${port}`)}\\): .*ACL not found`),
  });
  const argv = ['registrator', '--store-token', 'bogus-token', '--docker-host', 'unix:///nonexistent.sock', kv];
  const cli = spawnSync(process.execPath, ['--import', 'tsx', 'agents/cli.ts', ...argv], {
    cwd: new URL('../../', import.meta.url).pathname,
    encoding: 'utf8',
    env: { ...process.env, SHOAL_LOG_LEVEL: 'silent' },
  });
  t.equal(cli.status, 2, 'exit code 2');
  t.match(cli.stderr.trim(), new RegExp(`^${REFUSED} \\(${escape(kv)}\\): [^\\n]*ACL not found[^\\n]*$`), 'one line');
});
