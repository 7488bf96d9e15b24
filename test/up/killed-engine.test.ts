/**
 * `shoal down` after an engine died unclean: `shoal up --engines 2`, containers running on both, then engine 2's
 * dockerd and containerd are SIGKILLed, and engine 1's dockerd alone. What they leave (containerd-shim processes with their containers, the
 * shims' sockets, mounts under the engine's data and exec roots) used to make `down` fail with EBUSY; now
 * `down` succeeds and leaves nothing. Runs in its own network namespace (netns.ts): its bridges and
 * 127.0.2.N engines cannot meet those of another `shoal up` test running at the same time.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { isAlive } from '../../agents/up/proc.js';
import { readState } from '../../agents/up/state.js';
import { mountsUnder, netns, poll, processesNaming, shimSocketsUnder } from './netns.js';

t.test('an engine SIGKILLed with containers running: down stops its shims, unmounts, removes everything', async (t) => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'shoal-up-killed-'));
  rmSync(stateDir, { recursive: true }); // up creates it, so down removes it whole
  const ns = await netns(t, async (ns) => {
    const shimSockets = existsSync(stateDir) ? shimSocketsUnder(stateDir) : [];
    if (existsSync(stateDir)) await ns.shoal(['down', '--state-dir', stateDir]);
    for (const s of shimSockets) rmSync(s, { force: true });
    // a down that failed leaves mounts: the namespace teardown must not leave them either
    for (const m of mountsUnder(stateDir).reverse()) await execa('umount', ['-l', m], { reject: false });
    rmSync(stateDir, { recursive: true, force: true });
  });

  const r = await ns.shoal(['up', '--engines', '2', '--no-edge', '--state-dir', stateDir]);
  t.equal(r.exitCode, 0, String(r.all));
  if (r.exitCode !== 0) return;
  const state = readState(stateDir)!;
  const docker = (n: number, args: string[]) =>
    execa('docker', ['-H', `unix://${path.join(stateDir, 'engines', `docker${n}.sock`)}`, ...args], {
      reject: false,
      all: true,
      env: { DOCKER_CONFIG: path.join(stateDir, 'docker-cli') },
    });
  for (const [n, name, publish] of [
    [2, 'k-web', true],
    [2, 'k-sleep', false],
    [1, 'k-other', true],
  ] as const) {
    const run = await docker(n, [
      'run',
      '-d',
      '--name',
      name,
      ...(publish ? ['-p', '80'] : []),
      'shoal/busybox',
      ...(publish ? ['httpd', '-f', '-p', '80', '-h', '/www'] : ['sleep', '600']),
    ]);
    t.equal(run.exitCode, 0, `${name} runs on engine ${n}: ${String(run.all)}`);
  }

  // engine 1: only its dockerd dies (its containerd is still there for down to stop, its shims stay)
  const dockerd1 = state.processes.find((p) => p.name === 'dockerd-dockerhost01')!;
  const socket1 = path.join(stateDir, 'engines', 'containerd1', 'containerd.sock');
  process.kill(dockerd1.pid, 'SIGKILL');
  const dockerd = state.processes.find((p) => p.name === 'dockerd-dockerhost02')!;
  const containerd = state.processes.find((p) => p.name === 'containerd-dockerhost02')!;
  t.match(readFileSync(`/proc/${dockerd.pid}/cmdline`, 'utf8'), /^dockerd\0/, 'the recorded pid is the dockerd itself');
  const socket2 = path.join(stateDir, 'engines', 'containerd2', 'containerd.sock');
  process.kill(dockerd.pid, 'SIGKILL');
  process.kill(containerd.pid, 'SIGKILL');
  await poll(
    async () => isAlive(dockerd) || isAlive(containerd) || isAlive(dockerd1),
    (alive) => !alive,
    40,
  );
  t.notOk(
    isAlive(dockerd) || isAlive(containerd) || isAlive(dockerd1),
    "engine 2's dockerd and containerd, engine 1's dockerd are dead",
  );

  // what the dead engine left behind, so the test proves something
  const shims = processesNaming(socket2).filter((p) => p.includes('containerd-shim'));
  t.equal(shims.length, 2, `two shims of engine 2 survive it:\n${shims.join('\n')}`);
  const engine2Mounts = mountsUnder(stateDir).filter((m) => /\/(engine2|docker2-exec)(\/|$)/.test(m));
  t.ok(engine2Mounts.length >= 2, `mounts under engine 2's folders survive it: ${engine2Mounts.join(', ')}`);
  const sockets = shimSocketsUnder(stateDir);
  t.ok(sockets.length >= 3 && sockets.every(existsSync), `shim sockets exist: ${sockets.join(', ')}`);
  t.equal(
    processesNaming(socket1).filter((p) => p.includes('containerd-shim')).length,
    1,
    'the shim of engine 1 survives its dockerd',
  );

  const d = await ns.shoal(['down', '--state-dir', stateDir]);
  const out = String(d.all);
  t.equal(d.exitCode, 0, out);
  t.match(
    out,
    new RegExp(
      `ok {2}\\d+ leftover shim/container process\\(es\\) of ${socket2.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} stopped`,
    ),
  );
  t.match(out, /ok {2}\d+ leftover mount\(s\) under .*engine2.* unmounted/);
  t.match(
    out,
    new RegExp(
      `ok {2}\\d+ leftover shim/container process\\(es\\) of ${socket1.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} stopped`,
    ),
    'engine 1 (dockerd killed, containerd stopped by down): its shim too',
  );
  t.notMatch(out, /EBUSY|ERR/);

  for (const p of state.processes) t.notOk(isAlive(p), `${p.name} (${p.pid}) stopped`);
  t.same(processesNaming(stateDir), [], 'no shim (nor any process) left that names the state dir');
  t.same(mountsUnder(stateDir), [], 'no mounts left under the state and data dirs');
  t.same(sockets.filter(existsSync), [], "the shims' sockets in /run/containerd/s removed");
  for (const b of ['shoalup1', 'shoalup2']) t.notOk(await ns.hasLink(b), `bridge ${b} deleted`);
  t.same(
    await poll(
      () => ns.links(),
      (l) => l.length === 1,
      20,
    ),
    ['lo'],
    'no bridge or container veth left: only lo, as before up',
  );
  t.notOk(existsSync(stateDir), 'state and data dirs removed');
  t.same(
    await poll(
      () => ns.pids(),
      (p) => p.length === 0,
      20,
    ),
    [],
    'no process left in the namespace',
  );
});
