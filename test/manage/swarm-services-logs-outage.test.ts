/**
 * `docker service logs -f` while one engine goes away: the manager reaches the third engine through a TCP
 * relay the test cuts mid-stream. The stream stays open and the tasks on the other engines keep printing.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { openStore } from '../../agents/store/open.js';
import { service } from '../harness/index.js';
import { freePort } from '../harness/proxies.js';
import { relay } from './relay.js';
import { managerConfig, sharedEngines, startTestManager, suffix, waitUntil } from './helpers.js';

const engines = await sharedEngines();
const TICK = 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done';

t.test('service logs -f survives an engine cut mid-stream', async (t) => {
  const server = await service('consul', 'main');
  const uri = `consul://${server.address}/mglogsout${suffix()}`;
  const store = await openStore(uri, { timeoutMs: 5000 });
  t.teardown(async () => {
    await store.deleteTree('').catch(() => {});
    await store.close();
  });
  const third = await relay('127.0.1.3:2375');
  t.teardown(() => third.cut());
  for (const a of ['127.0.1.1:2375', '127.0.1.2:2375', third.address()]) await store.put(a, a);
  const caDir = mkdtempSync(path.join(os.tmpdir(), 'mglogsout-ca-'));
  t.teardown(() => rmSync(caDir, { recursive: true, force: true }));
  const port = await freePort();
  const config = managerConfig(uri, { hosts: [{ kind: 'tcp', host: '127.0.0.1', port }], swarmCaDir: caDir });
  const tm = await startTestManager(config);
  t.teardown(() => tm.stop());
  const name = `web${suffix()}`;
  let serviceId = '';
  t.teardown(async () => {
    if (!serviceId) return;
    for (const e of engines) {
      const ps = await e.cli(['ps', '-aq', '--filter', `label=com.docker.swarm.service.id=${serviceId}`], {
        reject: false,
      });
      for (const id of ps.stdout.split('\n').filter(Boolean)) await e.cli(['rm', '-f', id], { reject: false });
    }
  });

  await tm.docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  const r = await tm.docker([
    'service',
    'create',
    '--name',
    name,
    '--replicas',
    '3',
    'shoal/busybox',
    'sh',
    '-c',
    TICK,
  ]);
  serviceId = r.stdout.split('\n')[0]!.trim();
  // which slot runs on the relayed engine
  const onThird = await engines[2]!.cli([
    'ps',
    '--filter',
    `label=com.docker.swarm.service.id=${serviceId}`,
    '--format',
    '{{.Names}}',
  ]);
  const cutSlots = new Set(
    onThird.stdout
      .split('\n')
      .filter(Boolean)
      .map((n) => n.split('.')[1]!),
  );
  const others = ['1', '2', '3'].filter((s) => !cutSlots.has(s));
  t.ok(others.length > 0, `tasks off the relayed engine: slots ${others.join(',')}`);

  const proc = execa('docker', ['service', 'logs', '-f', '--tail', '0', name], {
    env: { DOCKER_HOST: tm.host },
    reject: false,
  });
  t.teardown(() => {
    proc.kill();
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const re = new RegExp(`^${name}\\.(\\d+)\\.[0-9a-z]{12}@\\S+\\s+\\| tick \\d+$`);
  const count = (slot: string) =>
    out
      .split('\n')
      .slice(0, -1)
      .filter((l) => re.exec(l)?.[1] === slot).length;
  await waitUntil(() => ['1', '2', '3'].every((s) => count(s) >= 1), 30_000, 'ticks from all three tasks');
  await third.cut();
  const at = new Map(others.map((s) => [s, count(s)]));
  await waitUntil(() => others.every((s) => count(s) >= at.get(s)! + 3), 30_000, 'the other tasks keep printing');
  t.equal(proc.exitCode, null, 'the stream is still open');
  proc.kill();
  await proc;
});
