/**
 * `shoal render` under a Type=notify unit: READY=1 reaches the notify socket only after the first render is
 * on disk (systemd then orders the proxy after it), and STOPPING=1 on SIGTERM.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { openStore } from '../../agents/store/open.js';
import { service } from '../harness/services.js';
import { notifyReceiver } from '../helpers/notify-receiver.js';

const ROOT = path.resolve('.');

t.test('READY=1 after the first render, STOPPING=1 on SIGTERM', async (t) => {
  const consul = await service('consul');
  const uri = `consul://${consul.address}/shoal-render-ready-${randomBytes(3).toString('hex')}`;
  const store = await openStore(uri, { timeoutMs: 3000 });
  t.teardown(async () => {
    await store.deleteTree('');
    await store.close();
  });
  await store.put('web-80/dockerhost01:web1:80', '127.0.1.1:32001');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-render-ready-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dest = path.join(dir, 'haproxy.cfg');
  const rx = await notifyReceiver(t);
  const daemon = execa(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'agents/cli.ts'),
      'render',
      '--log-format',
      'json',
      '--template',
      `${path.join(ROOT, 'templates/haproxy.cfg.hbs')}:${dest}:true`,
      uri,
    ],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NOTIFY_SOCKET: rx.socket, SHOAL_HAPROXY_SOCKET: path.join(dir, 'h.sock') },
      extendEnv: false,
      reject: false,
    },
  );
  t.teardown(() => void daemon.kill('SIGKILL'));
  const ready = await Promise.race([
    rx.next(),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000).unref()),
  ]);
  t.ok(ready, 'a notify message arrived');
  t.match(ready?.msg ?? '', /READY=1/);
  t.match(ready?.msg ?? '', /STATUS=rendered 1 template/);
  t.ok(existsSync(dest) && /web-80/.test(readFileSync(dest, 'utf8')), 'the config was on disk when READY was sent');
  daemon.kill('SIGTERM');
  const stopping = await rx.next();
  t.match(stopping.msg, /STOPPING=1/);
  const res = await daemon;
  t.equal(res.exitCode, 0, 'clean exit on SIGTERM');
});
