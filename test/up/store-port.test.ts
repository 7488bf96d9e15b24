/**
 * `shoal up` without --store never adopts a server it did not start: when 127.0.0.1:8500 (or :2379) is in use,
 * it stops with a one-line error naming the port, and the server there keeps running. Pure message cases,
 * then the real CLI in a network namespace of its own with a stand-in "system Consul" on 127.0.0.1:8500.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { storePortTaken } from '../../agents/up/store.js';
import { netns, poll } from './netns.js';

t.test('the refusal names the port and how to use that server on purpose', async (t) => {
  const consul = storePortTaken('consul', 8500, true);
  t.equal(consul.code, 'SHOAL_CONFIG_INVALID');
  t.match(consul.message, /^shoal up: 127\.0\.0\.1:8500 is in use: a Consul that shoal up did not start answers there/);
  t.match(consul.message, /give --store consul:\/\/127\.0\.0\.1:8500\/PREFIX to use it$/);
  const other = storePortTaken('etcd', 2379, false);
  t.match(other.message, /^shoal up: 127\.0\.0\.1:2379 is in use: something that is not etcd listens there/);
  t.match(other.message, /give --store URI, or --store-kind consul$/);
});

// A stand-in for an operator's Consul: answers /v1/status/leader like one, counts the requests it gets.
const FAKE_CONSUL = `require('http')
  .createServer((q, s) => s.end(q.url === '/v1/status/leader' ? '"127.0.0.1:8300"' : '[]'))
  .listen(8500, '127.0.0.1', () => console.log('listening'));`;

t.test('a Consul that up did not start on 127.0.0.1:8500: up refuses, names the port, leaves it running', async (t) => {
  const stateDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'shoal-up-port-')), 'state');
  t.teardown(() => rmSync(path.dirname(stateDir), { recursive: true, force: true }));
  const ns = await netns(t, async () => {});
  const argv = [`--net=/run/netns/${ns.name}`, process.execPath, '-e', FAKE_CONSUL];
  const fake = spawn('nsenter', argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => fake.kill('SIGKILL'));
  await new Promise((resolve) => fake.stdout.once('data', resolve));
  const url = 'http://127.0.0.1:8500/v1/status/leader';
  const leader = async () => String((await ns.run('curl', ['-s', '-m', '2', url])).stdout);
  t.equal(await leader(), '"127.0.0.1:8300"', 'the stand-in answers as a Consul');

  const only = ['--no-manager', '--no-edge', '--no-agents'];
  const r = await ns.shoal(['up', '--store-kind', 'consul', ...only, '--state-dir', stateDir]);
  t.equal(r.exitCode, 1, String(r.all));
  t.match(String(r.all), /127\.0\.0\.1:8500 is in use: a Consul that shoal up did not start answers there/);
  t.equal(fake.exitCode, null, 'the stand-in still runs');
  t.equal(await poll(leader, (b) => b !== ''), '"127.0.0.1:8300"', 'and still answers');
});
