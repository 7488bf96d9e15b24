/**
 * Classic Swarm compatibility of node health and rescheduling, with the stock CLI, over dockerhost01 and
 * engine 8 (ours to stop): a node never reached is `(unknown)` and Pending (RH5); once engine 8 stops, a
 * rescheduled container is listed once (RH1), a create that cannot reach the engine says so in the Docker
 * client's words (RH2), lowers the node's health so the next run goes elsewhere (RH3), and is retried on
 * another node with swarm.createretry (RH4); operations on a container of the unhealthy node are refused
 * as classic Swarm refuses them (RH6).
 */
import t from 'tap';
import { engine, busyboxImage } from '../../harness/index.js';
import { DEFAULT_CLUSTER_OPTS } from '../../../agents/manage/config.js';
import { cleanup, IMAGE, managerConfig, startTestManager, suffix, waitUntil, type TestManager } from '../helpers.js';

const e1 = await engine(1);
const e8 = await engine(8);
await busyboxImage(e8);
const P = `cphealth${suffix()}`;
const DISCOVERY = 'nodes://127.0.1.1:2375,127.0.1.8:2375';
const CANNOT = 'Cannot connect to the Docker daemon at tcp://127.0.1.8:2375. Is the docker daemon running?';
const managers: TestManager[] = [];
t.teardown(async () => {
  for (const m of managers) await m.stop();
  if (!(await e8.running())) await e8.start();
  await cleanup([e1, e8], P);
});

/** The block of one node in `docker info`: name line through ServerVersion. */
const block = (info: string, addr: string) =>
  new RegExp(`\\n  (\\S+): ${addr.replace(/\./g, '\\.')}\\n((?:   └ [^\\n]*\\n)+)`).exec(info);
const statusOf = (info: string, addr: string) => /└ Status: (\w+)/.exec(block(info, addr)?.[2] ?? '')?.[1];
const nodeOf = async (tm: TestManager, name: string) =>
  (await tm.docker(['inspect', '-f', '{{.Node.Name}}', name])).stdout.trim();

// fast health (refresh every second, one failure is enough): RH5, then RH1 and RH6
const fast = { refreshMinMs: 1000, refreshMaxMs: 1000, failureRetry: 1 };

t.test('RH5: a node never reached since startup is (unknown) and Pending, then Healthy', async (t) => {
  await e8.stop();
  const tm = await startTestManager(managerConfig(DISCOVERY, fast));
  managers.push(tm);
  const info = (await tm.docker(['info'])).stdout;
  const b = block(info, '127.0.1.8:2375');
  t.equal(b?.[1], '(unknown)', 'no name yet');
  t.match(b?.[2], /^   └ ID: \n   └ Status: Pending\n   └ Containers: 0\n/);
  t.match(b?.[2], new RegExp(`└ Error: ${CANNOT.replace(/[.?]/g, '\\$&')}\\n`));
  t.equal(statusOf(info, '127.0.1.1:2375'), 'Healthy');
  await e8.start();
  await waitUntil(
    async () => statusOf((await tm.docker(['info'])).stdout, '127.0.1.8:2375') === 'Healthy',
    30_000,
    'dockerhost08 healthy',
  );
  t.equal(block((await tm.docker(['info'])).stdout, '127.0.1.8:2375')?.[1], 'dockerhost08');
});

t.test('engine 8 stops under three managers', async (t) => {
  const fastTm = managers[0] as TestManager;
  await fastTm.docker([
    'run',
    '-d',
    '--name',
    `${P}-c1`,
    '-e',
    'constraint:node==~dockerhost08',
    '--label',
    'com.docker.swarm.reschedule-policies=["on-node-failure"]',
    IMAGE,
    'sleep',
    '1000',
  ]);
  await fastTm.docker(['run', '-d', '--name', `${P}-p`, '-e', 'constraint:node==dockerhost08', IMAGE, 'sleep', '1000']);
  // slow health (classic's RH2 setup: 20 s refreshes, 20 failures before unhealthy), without and with createretry
  const slow = { refreshMinMs: 20_000, refreshMaxMs: 20_000, failureRetry: 20 };
  managers.push(await startTestManager(managerConfig(DISCOVERY, slow)));
  const retryOpts = { ...slow, clusterOpts: { ...DEFAULT_CLUSTER_OPTS, createRetry: 1 } };
  managers.push(await startTestManager(managerConfig(DISCOVERY, retryOpts)));
  // dockerhost01 carries memory, so an unconstrained spread would prefer dockerhost08
  await fastTm.docker([
    'run',
    '-d',
    '--name',
    `${P}-m`,
    '-m',
    '50m',
    '-e',
    'constraint:node==dockerhost01',
    IMAGE,
    'sleep',
    '1000',
  ]);
  for (const m of managers) t.equal(statusOf((await m.docker(['info'])).stdout, '127.0.1.8:2375'), 'Healthy');
  await e8.stop();
});

t.test('RH1: a rescheduled container is listed once, on its new node', async (t) => {
  const tm = managers[0] as TestManager;
  await waitUntil(
    async () =>
      (
        await tm.docker(['inspect', '-f', '{{.Node.Name}} {{.State.Running}}', `${P}-c1`], { reject: false })
      ).stdout.trim() === 'dockerhost01 true',
    30_000,
    'c1 rescheduled to dockerhost01',
  );
  const ps = (await tm.docker(['ps', '-a', '--filter', `name=${P}-c1`, '--format', '{{.Names}}|{{.Status}}'])).stdout
    .trim()
    .split('\n');
  t.equal(ps.length, 1, ps.join(', '));
  t.match(ps[0], new RegExp(`^dockerhost01/${P}-c1\\|Up `));
  const ids = (await tm.docker(['ps', '-aq', '--filter', `name=${P}-c1`])).stdout.trim().split('\n');
  t.equal(ids.length, 1, 'ps -aq: one ID');
  t.equal((await tm.docker(['inspect', '-f', '{{.Id}}', `${P}-c1`])).stdout.trim().slice(0, 12), ids[0]);
  const plain = (await tm.docker(['ps', '-a', '--filter', `name=${P}-p`, '--format', '{{.Names}}|{{.Status}}'])).stdout;
  t.equal(plain.trim(), `dockerhost08/${P}-p|Host Down`, 'a container not rescheduled is still listed Host Down');
});

t.test('RH6: operations on a container of an unhealthy node are refused as classic Swarm does', async (t) => {
  const tm = managers[0] as TestManager;
  const refused = `Error response from daemon: Container ${P}-p running on unhealthy node dockerhost08`;
  for (const args of [
    ['logs', `${P}-p`],
    ['inspect', `${P}-p`],
    ['stop', `${P}-p`],
    ['restart', `${P}-p`],
    ['kill', `${P}-p`],
    ['exec', `${P}-p`, 'true'],
    ['top', `${P}-p`],
  ]) {
    const r = await tm.docker(args, { reject: false });
    t.equal(r.exitCode, 1, args.join(' '));
    t.match(r.stderr, refused, args.join(' '));
  }
  const byNode = await tm.docker(['inspect', `dockerhost08/${P}-p`], { reject: false });
  t.match(byNode.stderr, `Container dockerhost08/${P}-p running on unhealthy node dockerhost08`, 'node/name');
  const logs = await fetch(`${tm.host.replace(/^tcp:/, 'http:')}/containers/${P}-p/logs?stdout=1`);
  t.equal(logs.status, 500, 'logs: HTTP 500');
  // start and rm are tried on the engine, which cannot be reached
  for (const args of [
    ['start', `${P}-p`],
    ['rm', `${P}-p`],
    ['rm', '-f', `${P}-p`],
  ]) {
    const r = await tm.docker(args, { reject: false });
    t.equal(r.exitCode, 1, args.join(' '));
    t.match(r.stderr, `Error response from daemon: ${CANNOT}`, args.join(' '));
  }
});

// the soft constraint makes dockerhost08 the first choice while it is healthy, dockerhost01 the next
const softRun = (name: string) => [
  'run',
  '-d',
  '--name',
  name,
  '-m',
  '10m',
  '-e',
  'constraint:node==~dockerhost08',
  IMAGE,
  'sleep',
  '100',
];

t.test('RH2: a create that cannot reach the engine says so in the Docker client’s words', async (t) => {
  const tm = managers[1] as TestManager;
  const r = await tm.docker(softRun(`${P}-r1`), { reject: false });
  t.equal(r.exitCode, 125);
  t.match(r.stderr, `docker: Error response from daemon: ${CANNOT}`);
});

t.test('RH3: the failing node, still Healthy, is avoided by the next runs', async (t) => {
  const tm = managers[1] as TestManager;
  const b = block((await tm.docker(['info'])).stdout, '127.0.1.8:2375')?.[2] ?? '';
  t.match(b, /└ Status: Healthy\n/, 'not yet unhealthy (20 failures)');
  t.match(b, `└ Error: ${CANNOT}\n`);
  for (const name of [`${P}-r2`, `${P}-r3`]) {
    const r = await tm.docker(['run', '-d', '--name', name, '-m', '10m', IMAGE, 'sleep', '100'], { reject: false });
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(await nodeOf(tm, name), 'dockerhost01');
  }
});

t.test('RH4: with swarm.createretry=1 the create is retried on another node and succeeds', async (t) => {
  const tm = managers[2] as TestManager;
  const r = await tm.docker(softRun(`${P}-r4`), { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(await nodeOf(tm, `${P}-r4`), 'dockerhost01');
});
