/**
 * `shoal up` on a machine where no store runs: it starts its own (a Consul dev agent, or etcd when consul is
 * not installed), brings the cluster up on it (an engine, registrator + join, the manager, the HAProxy edge),
 * `docker run` through the manager is answered through the edge, and `shoal down` stops the store it started
 * and removes everything it created. Each case runs in its own network namespace (see netns.ts), where
 * 127.0.0.1:8500/:2379 are free even though the harness stores hold them on the host.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { isAlive } from '../../agents/up/proc.js';
import { readState } from '../../agents/up/state.js';
import { mountsUnder, netns, poll, processesNaming, type Netns } from './netns.js';

/** A fresh state dir that `up` creates itself (so `down` removes it whole), unique to this run. */
function freshStateDir(tag: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `shoal-up-${tag}-`));
  rmSync(dir, { recursive: true });
  return dir;
}

/** PATH with every command of this machine's PATH but `consul`: how `up` sees a machine without Consul. */
function pathWithout(binary: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-up-path-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(dir, { recursive: true });
  for (const d of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean)) {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names)
      if (n !== binary && !existsSync(path.join(dir, n))) symlinkSync(path.join(d, n), path.join(dir, n));
  }
  return dir;
}

const down =
  (stateDir: string, env: NodeJS.ProcessEnv = {}) =>
  async (ns: Netns) => {
    if (existsSync(stateDir)) await ns.shoal(['down', '--state-dir', stateDir], env);
    rmSync(stateDir, { recursive: true, force: true });
  };

/** The README's first steps inside the namespace: docker run through the manager, curl through the edge. */
async function routed(t: Test, ns: Netns, stateDir: string): Promise<void> {
  const env = { DOCKER_CONFIG: path.join(stateDir, 'docker-cli') };
  const run = await ns.run(
    'docker',
    [
      '-H',
      '127.0.0.1:2375',
      'run',
      '-d',
      '--name',
      'web1',
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
    { env },
  );
  t.equal(run.exitCode, 0, `docker run through the manager: ${String(run.all)}`);
  const body = await poll(
    async () =>
      String(
        (await ns.run('curl', ['-s', '-m', '2', '-H', 'Host: web.local', 'http://127.0.0.1:8080/'])).stdout,
      ).trim(),
    (b) => b === 'shoal busybox',
  );
  t.equal(body, 'shoal busybox', "curl -H 'Host: web.local' 127.0.0.1:8080 answers from the container");
}

/** After `down`: the store, every process, the bridge, mounts, files: all gone; the namespace is empty again. */
async function nothingLeft(
  t: Test,
  ns: Netns,
  stateDir: string,
  pids: { name: string; pid: number; startTime: number }[],
  storePort: number,
): Promise<void> {
  for (const p of pids) t.notOk(isAlive(p), `${p.name} (${p.pid}) stopped`);
  const answer = await ns.run('curl', ['-s', '-m', '2', '-o', '/dev/null', `http://127.0.0.1:${storePort}/`]);
  t.equal(answer.exitCode, 7, `nothing listens on 127.0.0.1:${storePort} any more (curl: could not connect)`);
  t.notOk(await ns.hasLink('shoalup1'), 'bridge shoalup1 deleted');
  t.same(
    await poll(
      () => ns.links(),
      (l) => l.length === 1,
      20,
    ),
    ['lo'],
    'no bridge or container veth left: only lo, as before up',
  );
  t.notOk(existsSync(stateDir), 'state, data, logs and store data removed');
  t.same(mountsUnder(stateDir), [], 'no mounts left under the state dir');
  t.same(processesNaming(stateDir), [], 'no process left that names the state dir');
  t.same(
    await poll(
      () => ns.pids(),
      (p) => p.length === 0,
      20,
    ),
    [],
    'no process left in the namespace',
  );
}

t.test(
  'no store running, consul installed: up starts a Consul dev agent, runs the cluster on it; down stops it',
  async (t) => {
    const stateDir = freshStateDir('consul');
    const ns = await netns(t, down(stateDir));
    const pre = await ns.run('curl', ['-s', '-m', '2', 'http://127.0.0.1:8500/v1/status/leader']);
    t.equal(pre.exitCode, 7, 'nothing answers on 127.0.0.1:8500 in the namespace before up');

    // as on a fresh machine or in CI: no stdin, nothing in the environment but PATH (no HOME, no DOCKER_*)
    const r = await ns.shoal(['up', '--engines', '1', '--state-dir', stateDir], {}, true);
    const out = String(r.all);
    t.equal(r.exitCode, 0, out);
    if (r.exitCode !== 0) return;
    t.match(out, /ok {2}store \(.*\): consul:\/\/127\.0\.0\.1:8500 \(started\)/);
    t.match(out, /^store +consul +consul:\/\/127\.0\.0\.1:8500 +running \(pid \d+\)$/m);
    t.match(out, /^engine +dockerhost01 +tcp:\/\/127\.0\.2\.1:2375 +up, joined/m);
    t.match(out, /ok {2}manager on tcp:\/\/127\.0\.0\.1:2375 .*: 1 healthy node\(s\)/);
    const state = readState(stateDir)!;
    t.same(
      state.store,
      { kind: 'consul', base: 'consul://127.0.0.1:8500', started: true },
      'recorded as started by up',
    );
    const consul = state.processes.find((p) => p.name === 'consul');
    t.ok(consul && isAlive(consul), 'the Consul agent up started runs');
    t.equal(consul?.cmd, 'consul');

    await routed(t, ns, stateDir);
    const kv = await ns.run('curl', ['-s', '-m', '2', 'http://127.0.0.1:8500/v1/kv/?keys']);
    t.match(String(kv.stdout), /"swarm\/127\.0\.2\.1:2375"/, 'join heartbeats into the Consul up started');
    t.match(String(kv.stdout), /"services\/web-80\/dockerhost01:web1:80"/, 'registrator registers into it');

    const d = await ns.shoal(['down', '--state-dir', stateDir], {}, true);
    t.equal(d.exitCode, 0, String(d.all));
    t.match(String(d.all), new RegExp(`ok {2}consul \\(pid ${consul!.pid}\\) stopped`));
    await nothingLeft(t, ns, stateDir, state.processes, 8500);
  },
);

t.test(
  'no store running, consul not installed: up falls back to etcd, runs the cluster on it; down stops it',
  async (t) => {
    const stateDir = freshStateDir('etcd');
    const env = { PATH: pathWithout('consul') };
    const ns = await netns(t, down(stateDir, env));
    t.not((await ns.run('sh', ['-c', 'command -v consul'], { env })).exitCode, 0, 'consul is not on the PATH up gets');
    t.equal((await ns.run('sh', ['-c', 'command -v etcd'], { env })).exitCode, 0, 'etcd is');

    const r = await ns.shoal(['up', '--engines', '1', '--state-dir', stateDir], env);
    const out = String(r.all);
    t.equal(r.exitCode, 0, out);
    if (r.exitCode !== 0) return;
    t.match(out, /ok {2}store \(.*\): etcd:\/\/127\.0\.0\.1:2379 \(started\)/);
    t.match(out, /^store +etcd +etcd:\/\/127\.0\.0\.1:2379 +running \(pid \d+\)$/m);
    const state = readState(stateDir)!;
    t.same(state.store, { kind: 'etcd', base: 'etcd://127.0.0.1:2379', started: true });
    t.notOk(
      state.processes.some((p) => p.name === 'consul'),
      'no Consul started',
    );
    const etcd = state.processes.find((p) => p.name === 'etcd');
    t.ok(etcd && isAlive(etcd), 'the etcd up started runs');

    await routed(t, ns, stateDir);
    // every key from '/' up to '0' (the etcd backend keeps a store without a prefix under '/'), through etcd's
    // JSON gateway: curl is all the namespace needs (etcdctl is not always installed beside etcd)
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const range = await ns.run('curl', [
      '-s',
      '-m',
      '5',
      '-X',
      'POST',
      'http://127.0.0.1:2379/v3/kv/range',
      '-d',
      JSON.stringify({ key: b64('/'), range_end: b64('0'), keys_only: true }),
    ]);
    const keys = ((JSON.parse(String(range.stdout)) as { kvs?: { key: string }[] }).kvs ?? []).map((kv) =>
      Buffer.from(kv.key, 'base64').toString(),
    );
    t.ok(keys.includes('/swarm/127.0.2.1:2375'), `join heartbeats into the etcd up started: ${keys.join(' ')}`);
    t.ok(keys.includes('/services/web-80/dockerhost01:web1:80'), 'registrator registers into it');

    const d = await ns.shoal(['down', '--state-dir', stateDir], env);
    t.equal(d.exitCode, 0, String(d.all));
    t.match(String(d.all), new RegExp(`ok {2}etcd \\(pid ${etcd!.pid}\\) stopped`));
    await nothingLeft(t, ns, stateDir, state.processes, 2379);
  },
);
