/**
 * Classic Swarm compatibility of volumes and slow engine calls, with the stock CLI on three nodes: whitelist
 * labels on `volume create` (VO1); an engine that takes longer than 10 s to fail (a missing volume plugin)
 * has its own answer relayed, not a timeout (VO2).
 */
import t from 'tap';
import { cleanup, ENGINE_ADDRS, IMAGE, managerConfig, sharedEngines, startTestManager, suffix } from '../helpers.js';

const engines = await sharedEngines();
const P = `cpvol${suffix()}`;
const tm = await startTestManager(managerConfig(ENGINE_ADDRS));
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
  for (const e of engines) {
    const vols = (await e.cli(['volume', 'ls', '-q', '--filter', `name=${P}`])).stdout.trim().split('\n');
    for (const v of vols.filter(Boolean)) await e.cli(['volume', 'rm', v], { reject: false });
  }
});

t.test('VO1: com.docker.swarm.whitelists on volume create picks the nodes', async (t) => {
  const label = 'com.docker.swarm.whitelists=["node==dockerhost02|dockerhost03"]';
  await tm.docker(['volume', 'create', `--name=${P}-v`, '--label', label]);
  const listed = (await tm.docker(['volume', 'ls', '-q', '--filter', `name=${P}-v`])).stdout.trim().split('\n');
  t.same(listed.sort(), [`dockerhost02/${P}-v`, `dockerhost03/${P}-v`]);
  const none = await tm.docker(
    ['volume', 'create', `--name=${P}-w`, '--label', 'com.docker.swarm.whitelists=["node==nosuch"]'],
    { reject: false },
  );
  t.equal(none.exitCode, 1);
  t.equal(
    none.stderr.trim(),
    'Error response from daemon: Unable to find a node that satisfies the following conditions \n[available container slots]\n[node==nosuch (soft=false)]',
  );
  t.equal((await tm.docker(['volume', 'ls', '-q', '--filter', `name=${P}-w`])).stdout.trim(), '');
});

t.test('VO2: an engine slower than 10 s to refuse a create: its answer is relayed', async (t) => {
  const vol = await tm.docker(['volume', 'create', '-d', 'not_exist_volume_driver', `${P}-x`], { reject: false });
  t.equal(vol.exitCode, 1);
  t.match(vol.stderr, /plugin "not_exist_volume_driver" not found/);
  const run = await tm.docker(
    [
      'run',
      '-d',
      '--pull',
      'never',
      '--name',
      `${P}-r`,
      '--volume-driver=not_exist_volume_driver',
      '-v',
      `${P}-testvolume:/testvolume`,
      IMAGE,
      'sleep',
      '100',
    ],
    { reject: false },
  );
  t.equal(run.exitCode, 125);
  t.match(
    run.stderr,
    /error looking up volume plugin not_exist_volume_driver: plugin "not_exist_volume_driver" not found/,
  );
  t.notMatch(run.stderr, /no answer within/);
});
