/** The unit tier's runner (unit.ts) and guard (unit-guard.ts): a unit file that needs a server fails loudly. */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { connectTarget } from './unit-guard.js';
import { unitFiles } from './unit-files.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

t.test('connectTarget reads every spelling of socket.connect', async (t) => {
  t.same(connectTarget([{ port: 8500, host: '127.0.0.1' }]), { key: 'port:8500', text: '127.0.0.1:8500' });
  t.same(connectTarget([{ port: '2379' }]), { key: 'port:2379', text: 'localhost:2379' });
  t.same(connectTarget([{ path: '/run/docker.sock' }]), { key: 'path:/run/docker.sock', text: '/run/docker.sock' });
  t.same(connectTarget([{ path: '', port: 443, host: 'h' }]), { key: 'port:443', text: 'h:443' }, 'empty path: TCP');
  t.same(connectTarget([2181, '127.0.0.1']), { key: 'port:2181', text: '127.0.0.1:2181' });
  t.same(connectTarget(['/tmp/x.sock']), { key: 'path:/tmp/x.sock', text: '/tmp/x.sock' });
  t.same(connectTarget([[{ port: 1, host: 'a' }, () => undefined]]), { key: 'port:1', text: 'a:1' }, 'normalized args');
  t.equal(connectTarget([{}]), undefined);
});

t.test('the list: directories expand to their test files; a path that does not exist is an error', async (t) => {
  const files = unitFiles('# comment\n\ntest/tools/\ntest/common/duration.test.ts\n');
  t.same(files, ['test/tools/unit.test.ts', 'test/common/duration.test.ts']);
  const missing = /test\/unit-files\.txt names paths that do not exist: test\/nothing-here/;
  t.throws(() => unitFiles('test/nothing-here.test.ts\n'), missing);
});

const runUnit = (file: string, env: NodeJS.ProcessEnv = {}) =>
  execa(process.execPath, ['--import', 'tsx', 'test/tools/unit.ts', file], {
    cwd: ROOT,
    reject: false,
    env,
    timeout: 120_000,
  });

t.test('a unit file that reaches a server of another process fails, naming the file and the address', async (t) => {
  const server = net.createServer((c) => c.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const port = (server.address() as net.AddressInfo).port;
  const file = 'test/tools/fixtures/unit-reaches-server.ts';
  const r = await runUnit(file, { UNIT_FIXTURE_PORT: String(port) });
  t.not(r.exitCode, 0, 'the run fails');
  const named = `${file} is a unit file but reached 127.0.0.1:${port}, a server this process did not start`;
  t.match(r.stdout, `not ok 2 - ${named}`);
});

t.test('a unit file that asks the harness to start a server fails', async (t) => {
  const r = await runUnit('test/tools/fixtures/unit-starts-server.ts');
  t.not(r.exitCode, 0, 'the run fails');
  const refused = /not ok 1 - the unit tier starts no server, and unit-fixture was asked for/;
  t.match(r.stdout, /# Subtest: starts a server\n/);
  t.match(r.stdout, refused);
});
