/** Engine lifecycle on engine 9 (free for tests that stop engines): concurrent starts, stop, start. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { busyboxImage, engine, engineRunning } from './engines.js';
import { readPid, withLock } from './proc.js';

const N = 9;
const HERE = path.dirname(fileURLToPath(import.meta.url));

function dockerdPids(): number[] {
  try {
    return execFileSync('pgrep', ['-f', `^dockerd .*/run/shoal-test/docker${N}\\.sock`])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

t.test('withLock runs holders one at a time', async (t) => {
  const name = `test-${randomBytes(3).toString('hex')}`;
  const log: string[] = [];
  const hold = (id: string) =>
    withLock(name, async () => {
      log.push(`${id}+`);
      await new Promise((r) => setTimeout(r, 50));
      log.push(`${id}-`);
      return id;
    });
  t.same(await Promise.all([hold('a'), hold('b'), hold('c')]), ['a', 'b', 'c']);
  for (let i = 0; i < log.length; i += 2) t.equal(log[i]?.[0], log[i + 1]?.[0], `no overlap at ${i}`);
});

t.test(`engine ${N}: two processes starting it at once make one dockerd; stop and start keep its data`, async (t) => {
  const first = await engine(N);
  await first.stop();
  t.equal(await engineRunning(N), false, 'stopped');
  t.same(dockerdPids(), []);

  const script = `import { engine } from ${JSON.stringify(path.join(HERE, 'engines.ts'))}; const e = await engine(${N}); console.log((await e.docker.info()).Name);`;
  const starts = await Promise.all(
    [1, 2].map(() =>
      execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        reject: false,
        timeout: 180_000,
        env: { SHOAL_TEST_ENGINE_HELD: '1' },
      }),
    ),
  );
  t.same(
    starts.map((s) => [s.exitCode, String(s.stdout).trim()]),
    [
      [0, `dockerhost0${N}`],
      [0, `dockerhost0${N}`],
    ],
    String(starts.map((s) => s.stderr)),
  );
  const pids = dockerdPids();
  t.equal(pids.length, 1, 'one dockerd');
  t.equal(readPid(`docker${N}`), pids[0], 'the pidfile names the dockerd that runs (so stop() can stop it)');

  const e = await engine(N);
  await busyboxImage(e);
  const name = `lifecycle-${randomBytes(3).toString('hex')}`;
  await e.cli(['create', '--name', name, 'shoal/busybox:latest', 'true']);
  await e.restart();
  t.equal(await e.running(), true);
  const after = await e.cli(['inspect', '--format', '{{.Name}}', name]);
  t.equal(after.stdout.trim(), `/${name}`, 'containers survive a restart');
  await e.cli(['rm', '-f', name]);
  t.equal((await e.docker.info()).Name, `dockerhost0${N}`);
  await e.stop();
  t.equal(await engineRunning(N), false);
});
