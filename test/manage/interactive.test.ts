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

/**
 * Run a docker command under a pseudo-terminal: type `first` until its answer (`answered`) shows (what is
 * typed before the stream is attached is lost, so it is typed again each second), then type `exit`.
 */
async function pty(cmd: string, first: string, answered: RegExp): Promise<string> {
  const child = execa('script', ['-qec', cmd, '/dev/null'], {
    env: { DOCKER_HOST: tm.host },
    reject: false,
    timeout: 30_000,
    stdin: 'pipe',
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const seen = () => answered.test(out.replace(/\r/g, ''));
  for (let i = 0; i < 25 && !seen() && child.exitCode === null; i++) {
    child.stdin?.write(`${first}\n`);
    for (let k = 0; k < 10 && !seen(); k++) await new Promise((r) => setTimeout(r, 100));
  }
  child.stdin?.write('exit\n');
  const r = await child;
  return String(r.stdout).replace(/\r/g, '');
}

t.test('docker run -it: an interactive shell on a scheduled node', async (t) => {
  const out = await pty(
    `docker run -it --rm --name ${P}-run -e constraint:node==dockerhost03 ${IMAGE} sh`,
    'echo sum-$((40+2)) on $(hostname)',
    /sum-42 on /,
  );
  t.match(out, /sum-42 on /);
});

t.test('docker exec -it into a container found by name', async (t) => {
  await tm.docker(['run', '-d', '--name', `${P}-ex`, '-e', 'constraint:node==dockerhost02', IMAGE, 'sleep', '600']);
  const out = await pty(`docker exec -it ${P}-ex sh`, 'echo exec-$((6*7))', /exec-42/);
  t.match(out, /exec-42/);
});

t.test('docker attach to a running shell', async (t) => {
  await tm.docker(['run', '-dit', '--name', `${P}-at`, IMAGE, 'sh']);
  const out = await pty(`docker attach ${P}-at`, 'echo attached-$((5+5))', /attached-10/);
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
