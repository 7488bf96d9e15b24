/**
 * `shoal registrator` and `shoal join` under Type=notify units: READY=1 reaches the notify socket only once
 * the first sync is in the store (registrator: the running container's entry; join: the engine's key), and
 * STOPPING=1 on SIGTERM.
 */
import t from 'tap';
import path from 'node:path';
import { execa } from 'execa';
import { busyboxImage, engine } from '../harness/engines.js';
import { service } from '../harness/services.js';
import { notifyReceiver, type Received } from '../helpers/notify-receiver.js';
import { openStore } from '../../agents/store/open.js';
import { rand } from './helpers.js';

const ROOT = path.resolve('.');
const CLI = path.join(ROOT, 'agents/cli.ts');

function within(p: Promise<Received>, ms: number): Promise<Received | undefined> {
  return Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);
}

t.test('registrator: READY=1 after the first sync wrote the running containers', async (t) => {
  const e1 = await engine(1);
  const image = await busyboxImage(e1);
  const consul = await service('consul');
  const id = rand();
  const uri = `consul://${consul.address}/shoal-ready-${id}`;
  const name = `ready-${id}`;
  await e1.cli([
    'run',
    '-d',
    '--name',
    name,
    '-e',
    'SERVICE_NAME=readyweb',
    '-p',
    '80',
    image,
    'httpd',
    '-f',
    '-p',
    '80',
  ]);
  t.teardown(() => e1.cli(['rm', '-f', name]).then(() => undefined));
  const store = await openStore(uri, { timeoutMs: 3000 });
  t.teardown(async () => {
    await store.deleteTree('');
    await store.close();
  });
  const rx = await notifyReceiver(t);
  const daemon = execa(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'registrator',
      '--log-format',
      'json',
      '--hostname',
      `readyhost-${id}`,
      '--docker-host',
      e1.dockerHost,
      uri,
    ],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NOTIFY_SOCKET: rx.socket },
      extendEnv: false,
      reject: false,
    },
  );
  t.teardown(() => void daemon.kill('SIGKILL'));
  const ready = await within(rx.next(), 60_000);
  t.match(ready?.msg ?? '', /READY=1/);
  // engine 1 is shared: other tests' containers are synced too, so only the format of the count is fixed
  t.match(ready?.msg ?? '', /STATUS=first sync done: [1-9]\d* put, 0 deleted/);
  const entries = await store.list('readyweb-80');
  t.same(
    entries.map((e) => e.key),
    [`readyweb-80/readyhost-${id}:${name}:80`],
    'our entry was in the store when READY was sent',
  );
  daemon.kill('SIGTERM');
  t.match((await rx.next()).msg, /STOPPING=1/);
  t.equal((await daemon).exitCode, 0);
});

t.test('join: READY=1 after the first heartbeat advertised the engine', async (t) => {
  const e1 = await engine(1);
  const consul = await service('consul');
  const uri = `consul://${consul.address}/shoal-ready-swarm-${rand()}`;
  const store = await openStore(uri, { timeoutMs: 3000 });
  t.teardown(async () => {
    await store.deleteTree('');
    await store.close();
  });
  const rx = await notifyReceiver(t);
  const daemon = execa(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'join',
      '--log-format',
      'json',
      '--addr',
      e1.tcp,
      '--docker-host',
      e1.dockerHost,
      '--heartbeat',
      '2s',
      '--ttl',
      '6s',
      uri,
    ],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NOTIFY_SOCKET: rx.socket },
      extendEnv: false,
      reject: false,
    },
  );
  t.teardown(() => void daemon.kill('SIGKILL'));
  const ready = await within(rx.next(), 60_000);
  t.match(ready?.msg ?? '', /READY=1/);
  t.match(ready?.msg ?? '', new RegExp(`STATUS=advertising ${e1.tcp.replace(/\./g, '\\.')}`));
  t.equal(await store.get(e1.tcp), e1.tcp, 'the key was in the store when READY was sent');
  daemon.kill('SIGTERM');
  t.match((await rx.next()).msg, /STOPPING=1/);
  t.equal((await daemon).exitCode, 0);
});
