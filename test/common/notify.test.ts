/**
 * sd_notify through the real systemd-notify to a real unix datagram socket (a python3 receiver, since node
 * cannot bind one), as systemd would receive it: the assignments and the sender's credentials.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { notifier, notifyArgs, sdNotify } from '../../agents/common/notify.js';
import { notifyReceiver as receiver, type Received } from '../helpers/notify-receiver.js';

t.test('notifyArgs: our pid as MAINPID, one-line values', async (t) => {
  t.same(notifyArgs({ READY: '1', STATUS: 'synced 3\ncontainers' }, 42), [
    '--pid=42',
    'READY=1',
    'STATUS=synced 3 containers',
  ]);
});

t.test('no NOTIFY_SOCKET: nothing is run', async (t) => {
  let ran = false;
  const sent = await sdNotify(
    { READY: '1' },
    { env: {}, run: async () => ((ran = true), { exitCode: 0, stderr: '' }) },
  );
  t.equal(sent, false);
  t.equal(ran, false);
});

t.test('ready, status and stopping reach the notify socket with our pid', async (t) => {
  const r = await receiver(t);
  const n = notifier({ env: { NOTIFY_SOCKET: r.socket, PATH: process.env.PATH } });
  t.equal(await n.ready('first sync done: 3 services'), true);
  const ready = await r.next();
  t.same(
    ready.msg.split('\n').filter(Boolean).sort(),
    [`MAINPID=${process.pid}`, 'READY=1', 'STATUS=first sync done: 3 services'].sort(),
  );
  // root here, so systemd-notify can send with our pid as the credential too (what systemd attributes)
  t.equal(ready.pid, process.pid);
  t.equal(await n.status('watching'), true);
  t.match((await r.next()).msg, /^STATUS=watching$/m);
  t.equal(await n.stopping(), true);
  t.match((await r.next()).msg, /^STOPPING=1$/m);
});

t.test('a socket that is not there: false and a warning, never a throw', async (t) => {
  const warnings: unknown[] = [];
  const log = { warn: (o: unknown) => warnings.push(o) } as unknown as import('../../agents/common/log.js').Logger;
  const sent = await sdNotify(
    { READY: '1' },
    { env: { NOTIFY_SOCKET: '/nonexistent/notify.sock', PATH: process.env.PATH }, log },
  );
  t.equal(sent, false);
  t.equal(warnings.length, 1);
});

t.test('systemd-notify not installed: false and a warning that it could not be run', async (t) => {
  const warnings: { msg: string; o: { err?: string } }[] = [];
  const log = {
    warn: (o: { err?: string }, msg: string) => warnings.push({ o, msg }),
  } as unknown as import('../../agents/common/log.js').Logger;
  const sent = await sdNotify(
    { READY: '1' },
    { env: { NOTIFY_SOCKET: '/run/notify.sock', PATH: '/nonexistent' }, log },
  );
  t.equal(sent, false);
  t.equal(warnings.length, 1);
  t.equal(warnings[0]?.msg, 'systemd-notify could not be run');
  t.match(warnings[0]?.o.err, /ENOENT/);
});

t.test('an agent run by the CLI tells systemd STOPPING=1 when SIGTERM arrives', async (t) => {
  const { service, engine } = await import('../harness/index.js');
  const { fileURLToPath } = await import('node:url');
  const consul = await service('consul');
  const e1 = await engine(1);
  const r = await receiver(t);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const prefix = `notify-${Math.random().toString(36).slice(2, 8)}`;
  const join = ['join', '--addr', e1.tcp, '--docker-host', e1.dockerHost, '--heartbeat', '1s', '--ttl', '5s'];
  const uri = `consul://${consul.address}/${prefix}`;
  const cli = path.join(root, 'agents/cli.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...join, '--log-format', 'json', uri], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, NOTIFY_SOCKET: r.socket },
  });
  t.teardown(() => child.kill('SIGKILL'));
  // signal only once join is in its main loop (its key is written), not while node is still loading
  const { openStore } = await import('../../agents/store/open.js');
  const store = await openStore(`consul://${consul.address}/${prefix}`, { timeoutMs: 5000 });
  t.teardown(() => store.close());
  for (let i = 0; i < 240 && (await store.get(e1.tcp)) === undefined; i++)
    await new Promise((res) => setTimeout(res, 250));
  t.ok(await store.get(e1.tcp), 'join advertised the engine');
  t.equal(child.exitCode, null, 'join is running');
  child.kill('SIGTERM');
  let got: Received | undefined;
  for (let i = 0; i < 5; i++) {
    got = await Promise.race([r.next(), new Promise<undefined>((res) => setTimeout(() => res(undefined), 10_000))]);
    if (!got || /^STOPPING=1$/m.test(got.msg)) break;
  }
  t.match(got?.msg ?? '', /^STOPPING=1$/m);
  t.equal(got?.pid, child.pid, 'sent on behalf of the agent process');
});
