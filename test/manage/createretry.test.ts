/**
 * --cluster-opt swarm.createretry: a create the chosen engine refuses (here `--ipc container:X` with X only on
 * dockerhost02: the engine answers 404 at create, and no filter foresees it, as in classic Swarm) is retried
 * on the next node. The soft constraint makes dockerhost01 the first choice every time.
 */
import t from 'tap';
import { cleanup, ENGINE_ADDRS, IMAGE, managerConfig, sharedEngines, startTestManager, suffix } from './helpers.js';
import { DEFAULT_CLUSTER_OPTS } from '../../agents/manage/config.js';

const engines = await sharedEngines();
const P = `mgretry${suffix()}`;
const target = `${P}-ipc`;
await engines[1]!.cli(['run', '-d', '--name', target, '--ipc', 'shareable', IMAGE, 'sleep', '600']);
t.teardown(() => cleanup(engines, P));
const args = (name: string) => [
  'run',
  '-d',
  '--name',
  name,
  '--ipc',
  `container:${target}`,
  '-e',
  'constraint:zone==external',
  '-e',
  'constraint:node==~dockerhost01',
  IMAGE,
  'sleep',
  '600',
];

t.test('without retries the first node’s refusal is the answer', async (t) => {
  const clusterOpts = { ...DEFAULT_CLUSTER_OPTS, createRetry: 0 };
  const tm = await startTestManager(managerConfig(ENGINE_ADDRS, { clusterOpts }));
  t.teardown(() => tm.stop());
  const r = await tm.docker(args(`${P}-noretry`), { reject: false });
  t.not(r.exitCode, 0);
  t.match(r.stderr, new RegExp(`No such container: ${target}`));
});

t.test('with swarm.createretry=1 the create lands on the node that can take it', async (t) => {
  const clusterOpts = { ...DEFAULT_CLUSTER_OPTS, createRetry: 1 };
  const tm = await startTestManager(managerConfig(ENGINE_ADDRS, { clusterOpts }));
  t.teardown(() => tm.stop());
  const r = await tm.docker(args(`${P}-retry`), { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.equal((await tm.docker(['inspect', '-f', '{{.Node.Name}}', `${P}-retry`])).stdout.trim(), 'dockerhost02');
});
