/**
 * `shoal up` / `shoal status` / `shoal down` through the real CLI: a whole cluster (3 engines, manager, HAProxy
 * edge, the demo) on the harness Consul under a unique prefix, then down removes exactly what up created:
 * its processes, bridges, data, state, containers and keys, and nothing of what existed before.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import t from 'tap';
import { busyboxImage, engine, service } from '../harness/index.js';
import { openStore } from '../../agents/store/open.js';
import { httpGet } from '../../agents/up/probe.js';
import { isAlive } from '../../agents/up/proc.js';
import { readState } from '../../agents/up/state.js';
import { withLock } from '../harness/proc.js';
import { freePort } from '../harness/proxies.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'agents/cli.ts');
const RAND = Math.random().toString(36).slice(2, 8);

function shoal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return execa(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    reject: false,
    all: true,
    env: { ...process.env, ...env },
    timeout: 240_000,
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function bridgeExists(name: string): Promise<boolean> {
  return (await execa('ip', ['link', 'show', name], { reject: false })).exitCode === 0;
}

const consul = await service('consul');
const e1 = await engine(1);
await busyboxImage(e1);
const store = await openStore(`consul://${consul.address}`, { timeoutMs: 5000 });
t.teardown(() => store.close());

// What exists before `up` and must survive `down`.
const other = `up-other-${RAND}`;
const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
t.teardown(() => sleeper.kill());
const preName = `up-pre-${RAND}`;
await e1.cli([
  'run',
  '-d',
  '--name',
  preName,
  '-e',
  'SERVICE_NAME=pre',
  '-p',
  '80',
  'shoal/busybox:latest',
  'httpd',
  '-f',
  '-p',
  '80',
  '-h',
  '/www',
]);
t.teardown(() => e1.cli(['rm', '-f', preName], { reject: false }));

// one `shoal up` cluster at a time on this machine (test/e2e/seed.test.ts too): the lock spans the test and its teardown
await withLock(
  'shoal-up',
  () =>
    t.test('up --engines 3 --demo, status, a second up refused, then down removes exactly what up made', async (t) => {
      const prefix = `up-${RAND}`;
      const stateDir = mkdtempSync(path.join(os.tmpdir(), 'shoal-up-test-'));
      rmSync(stateDir, { recursive: true }); // up creates it, so down removes it whole
      t.teardown(async () => {
        if (existsSync(stateDir)) await shoal(['down', '--state-dir', stateDir]);
      });
      const [mport, eport] = [await freePort(), await freePort()];
      const foreign = `${prefix}/services/other-80/otherhost:x:80`;
      await store.put(foreign, '10.9.9.9:80');
      await store.put(`${other}/services/web-80/dockerhost01:web:80`, '127.0.2.1:1');
      t.teardown(async () => {
        await store.deleteTree(prefix);
        await store.deleteTree(other);
      });

      const r = await shoal([
        'up',
        '--store',
        `consul://${consul.address}`,
        '--prefix',
        prefix,
        '--engines',
        '3',
        '--manager',
        `127.0.0.1:${mport}`,
        '--edge',
        `127.0.0.1:${eport}`,
        '--state-dir',
        stateDir,
        '--demo',
      ]);
      const out = String(r.all);
      t.equal(r.exitCode, 0, out);
      if (r.exitCode !== 0) return;
      for (const re of [
        /ok {2}engine 1 .*dockerhost01 tcp:\/\/127\.0\.2\.1:2375/,
        /ok {2}manager on tcp:\/\/127\.0\.0\.1:\d+ .*: 3 healthy node\(s\)/,
        /engine +dockerhost03 +tcp:\/\/127\.0\.2\.3:2375 +up, joined +zone=internal,disk=ssd,status=worker/,
        /edge +haproxy +http:\/\/127\.0\.0\.1:\d+ +running/,
      ]) {
        t.match(out, re);
      }
      // the demo: placed by constraints, registered, routed to each
      const placed = [...out.matchAll(/^(shoal-demo-(proxy|webapp)-\d) +\w+ +(dockerhost0\d)$/gm)].map((m) => ({
        name: m[1],
        node: m[3],
      }));
      t.equal(placed.length, 5, 'five demo containers');
      for (const p of placed) {
        if (p.name!.includes('proxy'))
          t.ok(['dockerhost01', 'dockerhost02'].includes(p.node!), `${p.name} on zone=external (${p.node})`);
        else t.ok(['dockerhost02', 'dockerhost03'].includes(p.node!), `${p.name} on status=worker (${p.node})`);
      }
      for (const p of placed) {
        t.match(
          out,
          new RegExp(
            `${prefix}/services/${p.name!.includes('proxy') ? 'proxy' : 'webapp'}-80/${p.node}:${p.name}:80 +127\\.0\\.2\\.\\d:\\d+`,
          ),
          `key of ${p.name}`,
        );
        t.match(
          out,
          new RegExp(`Host: (proxy|webapp)\\.local' http://127\\.0\\.0\\.1:${eport}/  ->  ${p.name}$`, 'm'),
          `${p.name} answered through the edge`,
        );
      }
      // the README's first steps
      const dockerEnv = { DOCKER_CONFIG: path.join(stateDir, 'docker-cli') };
      const run = await execa(
        'docker',
        [
          '-H',
          `127.0.0.1:${mport}`,
          'run',
          '-d',
          '-e',
          'SERVICE_NAME=web',
          '-p',
          '80',
          'shoal/busybox',
          'httpd',
          '-f',
          '-p',
          '80',
          '-h',
          '/www',
        ],
        { reject: false, env: dockerEnv },
      );
      t.equal(run.exitCode, 0, String(run.stderr));
      let body = '';
      for (let i = 0; i < 60 && body !== 'shoal busybox'; i++) {
        await new Promise((res) => setTimeout(res, 250));
        // (fetch drops a Host header: a forbidden header name)
        body = await httpGet(`http://127.0.0.1:${eport}/`, { headers: { Host: 'web.local' } }).then(
          (x) => x.body.trim(),
          () => '',
        );
      }
      t.equal(body, 'shoal busybox', 'docker run through the manager -> curl through the edge');

      const st = await shoal(['status', '--state-dir', stateDir]);
      t.equal(st.exitCode, 0);
      t.match(String(st.stdout), /nodes as the manager sees them:[\s\S]*dockerhost01 +127\.0\.2\.1:2375 +Healthy/);
      t.match(String(st.stdout), new RegExp(`${prefix}/services/web-80/dockerhost0\\d:`));

      const again = await shoal(['up', '--engines', '1', '--state-dir', stateDir]);
      t.equal(again.exitCode, 2);
      t.match(String(again.stderr).trim(), /^shoal up: a cluster is already up .*shoal down/);

      const state = readState(stateDir);
      t.ok(state && state.processes.length >= 13, 'processes recorded');
      const d = await shoal(['down', '--state-dir', stateDir]);
      t.equal(d.exitCode, 0, String(d.all));
      for (const p of state!.processes) t.notOk(isAlive(p), `${p.name} stopped`);
      for (const n of [1, 2, 3]) t.notOk(await bridgeExists(`shoalup${n}`), `bridge shoalup${n} deleted`);
      t.notOk(existsSync(stateDir), 'state, data and logs removed');
      t.notOk(await portOpen(mport), 'manager port closed');
      t.notOk(await portOpen(eport), 'edge port closed');
      const left = (await store.list(prefix)).map((kv) => kv.key);
      t.same(left, [foreign], 'only the key that was there before is left under the prefix');
      t.equal(
        await store.get(`${other}/services/web-80/dockerhost01:web:80`),
        '127.0.2.1:1',
        'another prefix untouched',
      );
      t.ok(sleeper.exitCode === null && !sleeper.killed, 'an unrelated process still runs');
      t.equal(
        String((await e1.cli(['inspect', '--format', '{{.State.Running}}', preName])).stdout).trim(),
        'true',
        'a container up did not create still runs',
      );
    }),
  900_000,
);

// one `shoal up` cluster at a time on this machine (test/e2e/seed.test.ts too): the lock spans the test and its teardown
await withLock(
  'shoal-up',
  () =>
    t.test('a failed step rolls back what was started, and says which step failed', async (t) => {
      const stateDir = mkdtempSync(path.join(os.tmpdir(), 'shoal-up-test-'));
      t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
      const busy = net.createServer().listen(0, '127.0.0.1');
      await new Promise((r) => busy.once('listening', r));
      t.teardown(() => busy.close());
      const port = (busy.address() as net.AddressInfo).port;
      const r = await shoal([
        'up',
        '--store',
        `consul://${consul.address}/up-fail-${RAND}`,
        '--engines',
        '1',
        '--manager',
        `127.0.0.1:${port}`,
        '--no-edge',
        '--state-dir',
        stateDir,
      ]);
      const out = String(r.all);
      t.equal(r.exitCode, 1, out);
      t.match(
        out,
        new RegExp(`ERR manager on tcp://127\\.0\\.0\\.1:${port}: 127\\.0\\.0\\.1:${port} is already in use`),
      );
      t.match(out, /rolling back/);
      const pids = [...out.matchAll(/ok {2}(\S+) \(pid (\d+)\) stopped/g)].map((m) => ({
        name: m[1],
        pid: Number(m[2]),
      }));
      t.same(
        pids.map((p) => p.name).sort(),
        ['containerd-dockerhost01', 'dockerd-dockerhost01', 'join-dockerhost01', 'registrator-dockerhost01'].sort(),
      );
      for (const p of pids)
        t.notOk(
          existsSync(`/proc/${p.pid}`) &&
            !/\) Z /.test(String(await execa('cat', [`/proc/${p.pid}/stat`], { reject: false }).then((x) => x.stdout))),
          `${p.name} gone`,
        );
      t.notOk(await bridgeExists('shoalup1'), 'bridge deleted');
      t.notOk(existsSync(path.join(stateDir, 'state.json')), 'state removed');
      t.ok(existsSync(stateDir), 'the state dir existed before: kept');
      t.same(await store.list(`up-fail-${RAND}`), [], 'no keys left');
    }),
  900_000,
);

// one `shoal up` cluster at a time on this machine (test/e2e/seed.test.ts too): the lock spans the test and its teardown
await withLock(
  'shoal-up',
  () =>
    t.test(
      'the local engine (harness engine 1, by its unix socket): reached through a forwarder; its image and containers are not ours to remove',
      async (t) => {
        const prefix = `up-local-${RAND}`;
        const stateDir = path.join(os.tmpdir(), `shoal-up-test-local-${RAND}`);
        t.teardown(() => rmSync(stateDir, { recursive: true, force: true }));
        t.teardown(() => store.deleteTree(prefix));
        // a Consul up did not start (the harness's), given with --store: used, not stopped
        const mport = await freePort();
        const r = await shoal([
          'up',
          '--store',
          `consul://${consul.address}`,
          '--prefix',
          prefix,
          '--docker-host',
          e1.dockerHost,
          '--manager',
          `127.0.0.1:${mport}`,
          '--no-edge',
          '--state-dir',
          stateDir,
        ]);
        t.equal(r.exitCode, 0, String(r.all));
        const reused = `consul://${consul.address.replace(/\./g, '\\.')} \\(already running: reused\\)`;
        t.match(String(r.all), new RegExp(`ok {2}store .*${reused}`));
        t.match(String(r.all), /ok {2}image shoal\/busybox:latest on dockerhost01 .*already there/);
        let keys: string[] = [];
        for (let i = 0; i < 40 && !keys.some((k) => k.includes(`:${preName}:80`)); i++) {
          await new Promise((res) => setTimeout(res, 250));
          keys = (await store.list(prefix)).map((kv) => kv.key);
        }
        t.ok(
          keys.includes(`${prefix}/services/pre-80/dockerhost01:${preName}:80`),
          "the engine's containers registered under our prefix",
        );
        t.match(String(r.all), /ok {2}local engine unix:\/\/\S+ .*: dockerhost01 \(manager dials 127\.0\.0\.1:\d+\)/);
        t.match(String(r.all), /ok {2}manager on tcp:\/\/127\.0\.0\.1:\d+ .*: 1 healthy node\(s\)/);
        t.ok(
          keys.some((k) => /\/swarm\/127\.0\.0\.1:\d+$/.test(k)),
          'joined with the forwarder address',
        );
        let ps = { stdout: '' as unknown };
        for (let i = 0; i < 40 && !String(ps.stdout).includes(preName); i++) {
          if (i > 0) await new Promise((res) => setTimeout(res, 250));
          ps = await execa('docker', ['-H', `127.0.0.1:${mport}`, 'ps', '--format', '{{.Names}}'], {
            reject: false,
            env: { DOCKER_CONFIG: path.join(stateDir, 'docker-cli') },
          });
        }
        t.match(
          String(ps.stdout),
          new RegExp(`dockerhost01/${preName}`),
          "the manager lists the local engine's containers",
        );
        const d = await shoal(['down', '--state-dir', stateDir]);
        t.equal(d.exitCode, 0, String(d.all));
        t.same(await store.list(prefix), [], 'our entries removed');
        t.equal(
          (await e1.cli(['image', 'inspect', '--format', '{{.Id}}', 'shoal/busybox:latest'], { reject: false }))
            .exitCode,
          0,
          'image kept',
        );
        t.equal(
          String((await e1.cli(['inspect', '--format', '{{.State.Running}}', preName])).stdout).trim(),
          'true',
          'container kept',
        );
        t.ok(await e1.running(), 'engine still up');
        t.ok(await consul.running(), 'the reused Consul still runs');
      },
    ),
  900_000,
);

// one `shoal up` cluster at a time on this machine (test/e2e/seed.test.ts too): the lock spans the test and its teardown
await withLock(
  'shoal-up',
  () =>
    t.test('etcd store and the Nginx edge: docker run through the manager is routed, down cleans up', async (t) => {
      const prefix = `up-nginx-${RAND}`;
      const etcd = await service('etcd');
      const estore = await openStore(`etcd://${etcd.address}/${prefix}`, { timeoutMs: 5000 });
      t.teardown(async () => {
        await estore.deleteTree('services').catch(() => {});
        await estore.deleteTree('swarm').catch(() => {});
        await estore.close();
      });
      const stateDir = path.join(os.tmpdir(), `shoal-up-test-nginx-${RAND}`);
      t.teardown(async () => {
        if (existsSync(stateDir)) await shoal(['down', '--state-dir', stateDir]);
      });
      const [mport, eport] = [await freePort(), await freePort()];
      const r = await shoal([
        'up',
        '--store',
        `etcd://${etcd.address}/${prefix}`,
        '--engines',
        '1',
        '--proxy',
        'nginx',
        '--manager',
        `127.0.0.1:${mport}`,
        '--edge',
        `127.0.0.1:${eport}`,
        '--state-dir',
        stateDir,
      ]);
      t.equal(r.exitCode, 0, String(r.all));
      if (r.exitCode !== 0) return;
      t.match(String(r.all), /edge +nginx +http:\/\/127\.0\.0\.1:\d+ +running/);
      t.ok(await estore.get('swarm/127.0.2.1:2375'), 'joined in etcd');
      const run = await execa(
        'docker',
        [
          '-H',
          `127.0.0.1:${mport}`,
          'run',
          '-d',
          '-e',
          'SERVICE_NAME=web',
          '-p',
          '80',
          'shoal/busybox',
          'httpd',
          '-f',
          '-p',
          '80',
          '-h',
          '/www',
        ],
        { reject: false, env: { DOCKER_CONFIG: path.join(stateDir, 'docker-cli') } },
      );
      t.equal(run.exitCode, 0, String(run.stderr));
      let body = '';
      for (let i = 0; i < 60 && body !== 'shoal busybox'; i++) {
        await new Promise((res) => setTimeout(res, 250));
        body = await httpGet(`http://127.0.0.1:${eport}/`, { headers: { Host: 'web.local' } }).then(
          (x) => x.body.trim(),
          () => '',
        );
      }
      t.equal(body, 'shoal busybox', 'routed through nginx');
      const state = readState(stateDir);
      const d = await shoal(['down', '--state-dir', stateDir]);
      t.equal(d.exitCode, 0, String(d.all));
      for (const p of state!.processes) t.notOk(isAlive(p), `${p.name} stopped`);
      t.notOk(await portOpen(eport), 'nginx stopped');
      t.same(
        [...(await estore.list('services')), ...(await estore.list('swarm'))],
        [],
        'no keys of this cluster left in etcd',
      );
    }),
  900_000,
);

t.test('down and status without a cluster', async (t) => {
  const dir = path.join(os.tmpdir(), `shoal-up-none-${RAND}`);
  const d = await shoal(['down', '--state-dir', dir]);
  t.equal(d.exitCode, 0);
  t.match(String(d.stdout), /nothing to do/);
  const s = await shoal(['status', '--state-dir', dir]);
  t.equal(s.exitCode, 2);
  t.match(String(s.stderr).trim(), /^shoal status: no cluster/);
});
