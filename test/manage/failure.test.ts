/**
 * Node failure and recovery on engine 5 (ours to stop): health turns unhealthy after --engine-failure-retry,
 * its containers show `Host Down`, `reschedule:on-node-failure` ones move to a healthy node, and the stale
 * copy goes when the node returns. Then a manager restart rebuilds everything from the engines.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { engine, busyboxImage } from '../harness/index.js';
import { cleanup, IMAGE, managerConfig, startTestManager, suffix, waitUntil, type TestManager } from './helpers.js';

const e1 = await engine(1);
const e5 = await engine(5);
await busyboxImage(e5);
const P = `mgfail${suffix()}`;
const discovery = 'nodes://127.0.1.1:2375,127.0.1.5:2375';
let tm: TestManager = await startTestManager(
  managerConfig(discovery, { refreshMinMs: 1000, refreshMaxMs: 2000, failureRetry: 2 }),
);
t.teardown(async () => {
  await tm.stop();
  if (!(await e5.running())) await e5.start();
  await cleanup([e1, e5], P);
});

const nodeOf = async (name: string) => (await tm.docker(['inspect', '-f', '{{.Node.Name}}', name])).stdout.trim();
const statusOf = (info: string, node: string) =>
  new RegExp(`${node}: [^\\n]+\\n\\s+└ ID: [^\\n]*\\n\\s+└ Status: (\\w+)`).exec(info)?.[1];

t.test('containers placed on dockerhost05', async (t) => {
  await tm.docker(['run', '-d', '--name', `${P}-plain`, '-e', 'constraint:node==dockerhost05', IMAGE, 'sleep', '600']);
  await tm.docker([
    'run',
    '-d',
    '--name',
    `${P}-resched`,
    '-e',
    'constraint:node==~dockerhost05',
    '-e',
    'reschedule:on-node-failure',
    IMAGE,
    'sleep',
    '600',
  ]);
  t.equal(await nodeOf(`${P}-plain`), 'dockerhost05');
  t.equal(await nodeOf(`${P}-resched`), 'dockerhost05');
});

t.test('the node fails: unhealthy, Host Down, rescheduled, new work goes elsewhere', async (t) => {
  await e5.stop();
  await waitUntil(
    async () => statusOf((await tm.docker(['info'])).stdout, 'dockerhost05') === 'Unhealthy',
    30_000,
    'dockerhost05 unhealthy',
  );
  const info = (await tm.docker(['info'])).stdout;
  t.match(info, /dockerhost05[\s\S]*└ Error: (?!\(none\))/, 'the node error is shown');
  const ps = (
    await tm.docker(['ps', '-a', '--filter', `name=${P}-plain`, '--format', '{{.Names}}|{{.Status}}'])
  ).stdout.trim();
  t.equal(ps, `dockerhost05/${P}-plain|Host Down`);
  await waitUntil(
    async () =>
      (
        await tm.docker(['inspect', '-f', '{{.Node.Name}} {{.State.Running}}', `${P}-resched`], { reject: false })
      ).stdout.trim() === 'dockerhost01 true',
    30_000,
    'rescheduled',
  );
  const r = await tm.docker(['run', '-d', '--name', `${P}-after`, IMAGE, 'sleep', '600']);
  t.equal(r.exitCode, 0);
  t.equal(await nodeOf(`${P}-after`), 'dockerhost01');
  const pinned = await tm.docker(
    ['run', '-d', '--name', `${P}-pinned`, '-e', 'constraint:node==dockerhost05', IMAGE, 'true'],
    { reject: false },
  );
  t.equal(pinned.exitCode, 125);
  // classic Swarm's layout: the health filter drops the node, the constraint then leaves none
  t.match(
    pinned.stderr,
    /Unable to find a node that satisfies the following conditions \n\[available container slots\]\n\[node==dockerhost05\]/,
  );
});

t.test('the node returns: healthy again, the stale rescheduled copy is removed', async (t) => {
  await e5.start();
  await waitUntil(
    async () => statusOf((await tm.docker(['info'])).stdout, 'dockerhost05') === 'Healthy',
    60_000,
    'dockerhost05 healthy',
  );
  await waitUntil(
    async () => (await e5.cli(['ps', '-aq', '--filter', `name=${P}-resched`])).stdout.toString().trim() === '',
    30_000,
    'stale copy removed',
  );
  t.equal(
    (await e1.cli(['inspect', '-f', '{{.State.Running}}', `${P}-resched`])).stdout.toString().trim(),
    'true',
    'the live copy stays',
  );
  const ps = (
    await tm.docker(['ps', '-a', '--filter', `name=${P}-plain`, '--format', '{{.Names}}|{{.Status}}'])
  ).stdout.trim();
  t.match(
    ps,
    new RegExp(`^dockerhost05/${P}-plain\\|Exited`),
    'the plain container is back from the node, exited by the dockerd stop',
  );
});

t.test('a restarted manager rebuilds names, placement labels and port holdings from the engines', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  await tm.docker([
    'run',
    '-d',
    '--name',
    `${P}-port`,
    '-p',
    `${port}:80`,
    '-e',
    'constraint:node==dockerhost01',
    IMAGE,
    'httpd',
    '-f',
    '-p',
    '80',
  ]);
  const before = (await tm.docker(['ps', '-a', '--filter', `name=${P}`, '--format', '{{.Names}}'])).stdout
    .trim()
    .split('\n')
    .sort();
  await tm.stop();
  tm = await startTestManager(managerConfig(discovery, { refreshMinMs: 1000, refreshMaxMs: 2000, failureRetry: 2 }));
  const after = (await tm.docker(['ps', '-a', '--filter', `name=${P}`, '--format', '{{.Names}}'])).stdout
    .trim()
    .split('\n')
    .sort();
  t.same(after, before);
  const labels = JSON.parse(
    (await tm.docker(['inspect', '-f', '{{json .Config.Labels}}', `${P}-resched`])).stdout,
  ) as Record<string, string>;
  t.same(JSON.parse(labels['com.docker.swarm.reschedule-policies'] as string), ['on-node-failure']);
  const dup = await tm.docker(['run', '-d', '--name', `${P}-port`, IMAGE, 'true'], { reject: false });
  t.match(dup.stderr, /already in use in the cluster/);
  const clash = await tm.docker(
    ['run', '-d', '--name', `${P}-port2`, '-p', `${port}:80`, '-e', 'constraint:node==dockerhost01', IMAGE, 'true'],
    { reject: false },
  );
  t.equal(clash.exitCode, 125);
  t.match(clash.stderr, new RegExp(`\\[port ${port} \\(Bridge mode\\)\\]`));
});

t.test(
  'a frozen engine (SIGSTOP: connections hang, nothing closes) turns unhealthy by ping, long before a refresh',
  async (t) => {
    const pid = Number(readFileSync('/run/shoal-test/docker5.pid', 'utf8').trim());
    t.ok(pid > 1, `dockerd 5 pid ${pid}`);
    // refreshes a minute apart: only the ping can notice in time
    const pinged = await startTestManager(
      managerConfig(discovery, { refreshMinMs: 60_000, refreshMaxMs: 120_000, failureRetry: 2, pingMs: 500 }),
    );
    t.teardown(async () => {
      process.kill(pid, 'SIGCONT');
      await pinged.stop();
    });
    const status = async () => statusOf((await pinged.docker(['info'])).stdout, 'dockerhost05');
    t.equal(await status(), 'Healthy');
    process.kill(pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    await waitUntil(async () => (await status()) === 'Unhealthy', 15_000, 'dockerhost05 unhealthy by ping');
    t.pass(`unhealthy ${Date.now() - stoppedAt} ms after the freeze (refresh interval 60 s)`);
    t.match(
      (await pinged.docker(['info'])).stdout,
      /dockerhost05[\s\S]*└ Error: ping: /,
      'the error says the ping failed',
    );
    process.kill(pid, 'SIGCONT');
    await waitUntil(async () => (await status()) === 'Healthy', 15_000, 'dockerhost05 healthy again after SIGCONT');
    t.pass('healthy again');
  },
);

t.test(
  'a failed ping below --engine-failure-retry, then an answer: the failure run, its start and its error are cleared',
  async (t) => {
    const pid = Number(readFileSync('/run/shoal-test/docker5.pid', 'utf8').trim());
    const pinged = await startTestManager(
      managerConfig(discovery, { refreshMinMs: 60_000, refreshMaxMs: 120_000, failureRetry: 100, pingMs: 300 }),
    );
    t.teardown(async () => {
      process.kill(pid, 'SIGCONT');
      await pinged.stop();
    });
    const node = pinged.manager.cluster.list().find((n) => n.addr === '127.0.1.5:2375');
    if (!node) return void t.fail('dockerhost05 is not listed');
    process.kill(pid, 'SIGSTOP');
    await waitUntil(() => node.failures > 0, 10_000, 'a failed ping');
    t.match(node.error, /^ping: /);
    t.type(node.firstFailureAt, 'number');
    process.kill(pid, 'SIGCONT');
    await waitUntil(() => node.failures === 0, 10_000, 'the next ping answered');
    t.equal(node.health, 'healthy');
    // a stale start would make a later failure claim containers that exited long before it (rescheduling)
    t.equal(node.firstFailureAt, undefined);
    t.equal(node.error, '');
    t.notMatch(
      (await pinged.docker(['info'])).stdout,
      /dockerhost05[\s\S]*└ Error: ping: /,
      'docker info shows no error',
    );
  },
);
