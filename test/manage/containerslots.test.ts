/**
 * The containerslots filter on a real labelled engine: engine 9 (this file holds it) runs with
 * `--label containerslots=2`. Through the manager, with the real docker CLI: creates stop at 2 containers on
 * the node (any state) with swarm's error naming the filter, concurrent creates never exceed the slots,
 * removing a container frees its slot, and a full node does not block the rest of the cluster.
 */
import t from 'tap';
import { engine, busyboxImage } from '../harness/index.js';
import { IMAGE, managerConfig, startTestManager, suffix, type CliResult } from './helpers.js';

const E = 9;
const SLOTS = 2;
const e9 = await engine(E, { extraArgs: ['--label', `containerslots=${SLOTS}`] });
await busyboxImage(e9);
const e1 = await engine(1);
await busyboxImage(e1);

/** Every container on engine 9, straight from the engine. */
const onEngine = async () => (await e9.cli(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
const removeAll = async () => {
  const ids = await onEngine();
  if (ids.length) await e9.cli(['rm', '-f', ...ids]);
};
// this file holds engine 9: whatever is on it was left by an earlier run
await removeAll();

const P = `mgslots${suffix()}`;
const tm = await startTestManager(managerConfig(`nodes://${e9.tcp}`));
t.teardown(async () => {
  await tm.stop();
  await removeAll();
  const left = (await e1.cli(['ps', '-aq', '--filter', `name=${P}`])).stdout.split('\n').filter(Boolean);
  if (left.length) await e1.cli(['rm', '-f', ...left]);
});

const FULL = 'Unable to find a node that satisfies the following conditions \n[available container slots]';
const run = (name: string, ...cmd: string[]) =>
  tm.docker(['run', '-d', '--name', name, IMAGE, ...(cmd.length ? cmd : ['sleep', '600'])], { reject: false });

t.test('docker info shows the node label the filter reads', async (t) => {
  t.match((await tm.docker(['info'])).stdout, /containerslots=2/);
});

t.test('creates stop at the slot count; stopped containers hold their slot', async (t) => {
  t.equal((await run(`${P}-a`)).exitCode, 0, 'first slot');
  t.equal((await run(`${P}-b`, 'true')).exitCode, 0, 'second slot (a container that exits at once)');
  await waitExited(`${P}-b`);
  const third = await run(`${P}-c`);
  t.equal(third.exitCode, 125, 'the third docker run is refused');
  t.match(third.stderr, FULL, 'swarm-style error naming the containerslots filter');
  const created = await tm.docker(['create', '--name', `${P}-d`, IMAGE, 'true'], { reject: false });
  t.equal(created.exitCode, 1, 'docker create is refused too');
  t.match(created.stderr, FULL);
  t.equal((await onEngine()).length, SLOTS, 'the engine holds exactly the slot count');
});

t.test('removing a container frees its slot at once', async (t) => {
  t.equal((await tm.docker(['rm', '-f', `${P}-b`])).exitCode, 0);
  const again = await run(`${P}-e`);
  t.equal(again.exitCode, 0, `the freed slot is taken by the next run: ${again.stderr}`);
  const over = await run(`${P}-f`);
  t.equal(over.exitCode, 125, 'and the node is full again');
  t.match(over.stderr, FULL);
});

t.test('concurrent creates never exceed the slots', async (t) => {
  await tm.docker(['rm', '-f', `${P}-a`, `${P}-e`]);
  t.same(await onEngine(), [], 'engine 9 is empty');
  const N = 6;
  const results: CliResult[] = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      tm.docker(['create', '--name', `${P}-par${i}`, IMAGE, 'sleep', '600'], { reject: false }),
    ),
  );
  const ok = results.filter((r) => r.exitCode === 0);
  const refused = results.filter((r) => r.exitCode !== 0);
  t.equal(ok.length, SLOTS, `${SLOTS} of ${N} concurrent creates succeed`);
  t.equal(refused.length, N - SLOTS);
  for (const r of refused) t.match(r.stderr, FULL, 'each refusal names the containerslots filter');
  t.equal((await onEngine()).length, SLOTS, 'the engine holds exactly the slot count');
});

t.test('a full node does not block the cluster: the next create goes to a node with slots left', async (t) => {
  const both = await startTestManager(managerConfig(`nodes://${e9.tcp},${e1.tcp}`));
  t.teardown(() => both.stop());
  t.match((await both.docker(['info'])).stdout, /Nodes: 2/);
  const r = await both.docker(['run', '-d', '--name', `${P}-spill`, IMAGE, 'sleep', '600'], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.equal((await both.docker(['inspect', '-f', '{{.Node.Name}}', `${P}-spill`])).stdout.trim(), 'dockerhost01');
  const pinned = await both.docker(
    ['run', '-d', '--name', `${P}-pinned`, '-e', 'constraint:node==dockerhost09', IMAGE, 'true'],
    { reject: false },
  );
  t.equal(pinned.exitCode, 125, 'a create pinned to the full node is refused');
  t.match(pinned.stderr, /available container slots/);
});

async function waitExited(name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await e9.cli(['inspect', '-f', '{{.State.Status}}', name])).stdout.trim() === 'exited') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not exit`);
}
