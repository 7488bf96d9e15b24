/**
 * The harness uses only servers it started: a server answering on a harness port is reused only when its
 * marker names that live process (start time and command line) and that port. A foreign server there is
 * refused and left running; a pid file naming a foreign process never gets it stopped. No cluster needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { ensureOwned, notOurs, procSnapshot, type OwnerMarker } from './owned.js';
import { readPid, STATE_DIR, stopProcess } from './proc.js';
import { freePort } from './proxies.js';
import { PORTS, serviceAddress } from './services.js';

const rand = Math.random().toString(36).slice(2, 8);

t.test('notOurs: literal fixtures', async (t) => {
  const m: OwnerMarker = { pid: 4242, start: '1234', argv: ['consul', 'agent', '-dev'], port: 21500 };
  const same = { start: '1234', argv: ['consul', 'agent', '-dev'] };
  t.equal(notOurs(m, same, 21500), undefined, 'marker, live process, same start, same command, same port');
  t.match(notOurs(undefined, same, 21500), /no marker/);
  t.match(notOurs(m, same, 8500), /names port 21500, not 8500/);
  t.match(notOurs(m, undefined, 21500), /process 4242 is gone/);
  t.match(notOurs(m, { ...same, start: '9999' }, 21500), /another process now/);
  t.match(notOurs(m, { ...same, argv: ['consul', 'agent', '-server'] }, 21500), /runs another command \(consul\)/);
});

t.test('harness ports are never a store default; SHOAL_TEST_<KIND> points main at a server of yours', async (t) => {
  const defaults = [8500, 8300, 8301, 8302, 8600, 2379, 2380, 2181];
  for (const [kind, ports] of Object.entries(PORTS)) {
    for (const port of Object.values(ports)) t.notOk(defaults.includes(port), `${kind} ${port}`);
  }
  t.same(serviceAddress('consul', 'main', {}), { host: '127.0.0.1', port: PORTS.consul.main, external: false });
  t.same(serviceAddress('consul', 'main', { SHOAL_TEST_CONSUL: '10.0.0.5:8500' }), {
    host: '10.0.0.5',
    port: 8500,
    external: true,
  });
  t.same(
    serviceAddress('etcd', 'chaos', { SHOAL_TEST_ETCD: '10.0.0.5:2379' }).external,
    false,
    "chaos is always the harness's",
  );
  t.throws(() => serviceAddress('zk', 'main', { SHOAL_TEST_ZK: 'nope' }), /SHOAL_TEST_ZK="nope": expected HOST:PORT/);
});

/** A stand-in for someone else's server: a child process answering HTTP on `port`. */
async function foreignServer(t: Test, port: number): Promise<ChildProcess> {
  const code = `require('http').createServer((q, s) => s.end('"127.0.0.1:8300"')).listen(${port}, '127.0.0.1', () => console.log('up'))`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  return child;
}

const answers = (port: number) => async () =>
  (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) })).ok;

t.test('a foreign server on the port is refused, not adopted, and keeps running', async (t) => {
  const port = await freePort();
  const foreign = await foreignServer(t, port);
  const name = `owned-foreign-${rand}`;
  let launched = false;
  const argv = () => ((launched = true), ['sleep', '600']);
  await t.rejects(
    ensureOwned(name, port, answers(port), argv),
    new RegExp(`127\\.0\\.0\\.1:${port} is in use by a process the harness did not start \\(${name}: no marker`),
  );
  t.notOk(launched, 'nothing started in its place');
  t.equal(foreign.exitCode, null, 'the foreign server still runs');
  t.ok(await answers(port)(), 'and still answers');

  // a pid file naming the foreign process (a reused pid: another start time) does not get it stopped
  writeFileSync(path.join(STATE_DIR, `${name}.pid`), `${foreign.pid} 1`);
  t.teardown(() => rmSync(path.join(STATE_DIR, `${name}.pid`), { force: true }));
  t.equal(readPid(name), undefined);
  await stopProcess(name);
  t.equal(foreign.exitCode, null, 'stopProcess left it alone');
});

t.test('a server the harness started is reused while its marker holds, refused on another port', async (t) => {
  const port = await freePort();
  const name = `owned-own-${rand}`;
  t.teardown(async () => {
    await stopProcess(name);
    rmSync(path.join(STATE_DIR, `${name}.owner.json`), { force: true });
  });
  const code = `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
  let starts = 0;
  const argv = () => (starts++, [process.execPath, '-e', code]);
  await ensureOwned(name, port, answers(port), argv);
  const pid = readPid(name);
  t.ok(pid !== undefined && procSnapshot(pid)?.argv.includes(code), 'started, marker and pid file name it');
  await ensureOwned(name, port, answers(port), argv);
  t.equal(starts, 1, 'the second call reuses it');
  t.equal(readPid(name), pid);
  // the same process seen on a port its marker does not name is not ours there
  const other = await freePort();
  await t.rejects(ensureOwned(name, other, answers(port), argv), /names port/);
});
