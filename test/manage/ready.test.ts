/**
 * `shoal manage` under a Type=notify unit: READY=1 reaches the notify socket once the API listens (the docker
 * CLI can be pointed at it as soon as systemd says the unit is up), STOPPING=1 on SIGTERM.
 */
import t from 'tap';
import path from 'node:path';
import { execa } from 'execa';
import { engine } from '../harness/engines.js';
import { freePort } from '../harness/proxies.js';
import { notifyReceiver } from '../helpers/notify-receiver.js';

const ROOT = path.resolve('.');

t.test('READY=1 when the API listens, STOPPING=1 on SIGTERM', async (t) => {
  const e1 = await engine(1);
  const port = await freePort();
  const rx = await notifyReceiver(t);
  const daemon = execa(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'agents/cli.ts'),
      'manage',
      '--log-format',
      'json',
      '-H',
      `127.0.0.1:${port}`,
      `nodes://${e1.tcp}`,
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NOTIFY_SOCKET: rx.socket }, extendEnv: false, reject: false },
  );
  t.teardown(() => void daemon.kill('SIGKILL'));
  const ready = await Promise.race([
    rx.next(),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000).unref()),
  ]);
  t.ok(ready, 'a notify message arrived');
  t.match(ready?.msg ?? '', /READY=1/);
  t.match(ready?.msg ?? '', new RegExp(`STATUS=listening on .*127\\.0\\.0\\.1:${port}`));
  const ping = await fetch(`http://127.0.0.1:${port}/_ping`);
  t.equal(ping.status, 200, 'the API answered right after READY');
  daemon.kill('SIGTERM');
  t.match((await rx.next()).msg, /STOPPING=1/);
  t.equal((await daemon).exitCode, 0, 'clean exit on SIGTERM');
});
