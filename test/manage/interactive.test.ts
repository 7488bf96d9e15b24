/** Hijacked connections through the manager: `docker run -it`, `docker exec -it`, `docker attach`, under a pty (script). */
import t from 'tap';
import { execa } from 'execa';
import { cleanup, ENGINE_ADDRS, IMAGE, managerConfig, sharedEngines, startTestManager } from './helpers.js';
import { suffix } from './helpers.js';

const engines = await sharedEngines();
const P = `mgit${suffix()}`;
const tm = await startTestManager(managerConfig(ENGINE_ADDRS));
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
});

/** Run a docker command under a pseudo-terminal, typing `input` line by line. */
async function pty(cmd: string, lines: string[]): Promise<string> {
  const child = execa('script', ['-qec', cmd, '/dev/null'], {
    env: { DOCKER_HOST: tm.host },
    reject: false,
    timeout: 30_000,
    stdin: 'pipe',
  });
  for (const l of lines) {
    await new Promise((r) => setTimeout(r, 700));
    child.stdin?.write(`${l}\n`);
  }
  const r = await child;
  return String(r.stdout).replace(/\r/g, '');
}

t.test('docker run -it: an interactive shell on a scheduled node', async (t) => {
  const out = await pty(`docker run -it --rm --name ${P}-run -e constraint:node==dockerhost03 ${IMAGE} sh`, [
    'echo sum-$((40+2)) on $(hostname)',
    'exit',
  ]);
  t.match(out, /sum-42 on /);
});

t.test('docker exec -it into a container found by name', async (t) => {
  await tm.docker(['run', '-d', '--name', `${P}-ex`, '-e', 'constraint:node==dockerhost02', IMAGE, 'sleep', '600']);
  const out = await pty(`docker exec -it ${P}-ex sh`, ['echo exec-$((6*7))', 'exit']);
  t.match(out, /exec-42/);
});

t.test('docker attach to a running shell', async (t) => {
  await tm.docker(['run', '-dit', '--name', `${P}-at`, IMAGE, 'sh']);
  const out = await pty(`docker attach ${P}-at`, ['echo attached-$((5+5))', 'exit']);
  t.match(out, /attached-10/);
  const state = (await tm.docker(['inspect', '-f', '{{.State.Status}}', `${P}-at`])).stdout.trim();
  t.equal(state, 'exited', 'exit in the attached shell ended the container');
});

t.test('stdin without a tty: docker run -i pipes through the hijacked stream', async (t) => {
  const r = await tm.docker(['run', '-i', '--rm', '--name', `${P}-pipe`, IMAGE, 'sh', '-c', 'tr a-z A-Z'], {
    input: 'shout\n',
  });
  t.equal(r.stdout.trim(), 'SHOUT');
});
