/**
 * Swarm-mode services healing, with the stock docker CLI against a real `shoal manage`:
 * - a node whose engine stops, or is cut off while its containers keep running, goes Down in `docker node ls`,
 *   its task is re-placed on the healthy node, and when it returns the stale copy on it is stopped and shown
 *   Shutdown (the slot is not doubled; the exited container stays as task history, as swarm keeps it);
 * - the restart policy: `on-failure --restart-max-attempts 2` stops replacing after 2 restarts, `none` never
 *   replaces, and a task container removed by hand under the default policy is replaced.
 * Engine 7 is ours to stop (the harness's per-file lock); engine 1 is shared and only holds our tasks.
 */
import t, { type Test } from 'tap';
import { engine, busyboxImage } from '../harness/index.js';
import { relay } from './relay.js';
import { swarmSetup, taskContainers } from './swarm-setup.js';
import { startTestManager, suffix, waitUntil, type TestManager } from './helpers.js';

const e1 = await engine(1);
const e7 = await engine(7);
await busyboxImage(e7);
const engines = [e1, e7];

/** Every task container of a service (any state) on engines 1 and 7, straight from the engines. */
const containers = (serviceId: string) => taskContainers(engines, serviceId, { skipStopped: true });

const kind = (process.env.SHOAL_SWARM_STORES ?? 'consul').split(',')[0]!;

t.test(`services heal on ${kind}`, async (t) => {
  // dockerhost07 is reached through a relay the test can cut (a partition: its containers keep running)
  const seven = await relay(e7.tcp);
  t.teardown(() => seven.cut());
  const { config } = await swarmSetup(t, kind, 'mgheal', [e1.tcp, seven.address()]);
  const tm: TestManager = await startTestManager(config);
  t.teardown(() => tm.stop());
  const docker = (args: string[], reject = true) => tm.docker(args, { reject });
  const ids: string[] = [];
  t.teardown(async () => {
    if (!(await e7.running())) await e7.start();
    for (const id of ids)
      for (const c of await containers(id).catch(() => []))
        await engines[c.engine]!.cli(['rm', '-f', c.name], { reject: false });
  });
  await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  /** waitUntil, with the service's tasks and the nodes in the error when it times out. */
  const until = (name: string, check: () => Promise<boolean>, what: string) =>
    waitUntil(check, 60_000, what).catch(async (err: Error) => {
      const ps = await docker(['service', 'ps', name, '--no-trunc'], false);
      const nodes = await docker(['node', 'ls'], false);
      throw new Error(`${err.message}\n${ps.stdout}${ps.stderr}\n${nodes.stdout}`);
    });
  const create = async (name: string, args: string[]) => {
    const out = await docker(['service', 'create', '--detach', '--name', name, ...args]);
    const id = out.stdout.trim();
    ids.push(id);
    return id;
  };
  /** `docker service ps` rows as `name|desired|current|error`. */
  const nodes = async () =>
    `${(await docker(['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])).stdout.trim()}\n`;
  const ps = async (name: string) =>
    (
      await docker([
        'service',
        'ps',
        name,
        '--no-trunc',
        '--format',
        '{{.ID}}|{{.Name}}|{{.DesiredState}}|{{.CurrentState}}|{{.Error}}',
      ])
    ).stdout
      .split('\n')
      .filter(Boolean);
  /** A pass of the orchestrator certainly ran after this: a fresh service created and converged (CLI waits). */
  const passes = async () => {
    const probe = `probe${suffix()}`;
    const out = await docker([
      'service',
      'create',
      '--name',
      probe,
      '--update-monitor',
      '2s',
      'shoal/busybox',
      'sleep',
      '3600',
    ]);
    ids.push(out.stdout.split('\n')[0]!.trim());
    await docker(['service', 'rm', probe]);
  };

  /**
   * A service with one task on each node; `fail` takes dockerhost07 away, `heal` brings it back. Its task is
   * re-placed on dockerhost01 while it is Down; once back, the stale copy is stopped (Shutdown in `service ps`,
   * kept as history as swarm does), never run beside its replacement.
   */
  const downAndBack = async (t: Test, fail: () => Promise<void>, heal: () => Promise<void>) => {
    const name = `nd${suffix()}`;
    const id = await create(name, ['--replicas', '2', '--stop-grace-period', '1s', 'shoal/busybox', 'sleep', '3600']);
    await until(
      name,
      async () => {
        const c = (await containers(id)).filter((x) => x.state === 'running');
        return c.length === 2 && c.some((x) => x.engine === 1);
      },
      'one task on each engine',
    );
    const stale = (await containers(id)).find((x) => x.engine === 1)!;
    const staleTask = stale.name.split('.')[2]!;
    await fail();
    await until(name, async () => /dockerhost07 Down\n/.test(await nodes()), 'dockerhost07 Down in node ls');
    // an engine call may time out on a loaded machine (the task is then rejected and retried): wait for the end state
    // while cut off, the stale copy may still run on dockerhost07 (nothing can stop it): it is not counted
    let cutOff = true;
    const settled = async () => {
      const running = (await containers(id)).filter((x) => x.state === 'running' && !(cutOff && x.name === stale.name));
      const rows = await ps(name);
      const ls = await docker(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Replicas}}']);
      return (
        running.length === 2 &&
        running.every((x) => x.engine === 0) &&
        rows.filter((r) => /\|Running\|Running /.test(r)).length === 2 &&
        ls.stdout.trim() === '2/2'
      );
    };
    await until(name, settled, 'both tasks running on dockerhost01, 2/2 in service ls');
    const rows = await ps(name);
    t.ok(
      rows.some((r) => r.startsWith(`${staleTask}|`) && /\|Shutdown\|/.test(r)),
      `the task of the Down node is desired Shutdown:\n${rows.join('\n')}`,
    );

    await heal();
    cutOff = false;
    await until(name, async () => /dockerhost07 Ready\n/.test(await nodes()), 'dockerhost07 Ready again');
    await until(
      name,
      async () => (await ps(name)).some((r) => r.startsWith(`${staleTask}|`) && /\|Shutdown\|Shutdown /.test(r)),
      'the stale task Shutdown',
    );
    await until(name, settled, 'still exactly 2 running, none back on dockerhost07');
    const all = await containers(id);
    t.equal(all.find((x) => x.name === stale.name)?.state, 'exited', 'the stale copy stopped');
    t.same(
      all
        .filter((x) => x.state === 'running')
        .map((x) => x.name.split('.')[1])
        .sort(),
      ['1', '2'],
      `one running task per slot: ${all.map((x) => `${x.name}@${x.engine}:${x.state}`).join(' ')}`,
    );
    await docker(['service', 'rm', name]);
    await until(name, async () => (await containers(id)).length === 0, 'its containers removed');
  };

  t.test('an engine that stops: its task re-placed, the stale copy shut down when it returns', (t) =>
    downAndBack(
      t,
      () => e7.stop(),
      () => e7.start(),
    ),
  );

  t.test('an engine cut off (its task still running): re-placed, then the stale copy stopped', (t) =>
    downAndBack(
      t,
      () => seven.cut(),
      () => seven.restore(),
    ),
  );

  t.test('on-failure with 2 max attempts: the slot is replaced twice, then left failed', async (t) => {
    const name = `of${suffix()}`;
    const id = await create(name, [
      '--restart-condition',
      'on-failure',
      '--restart-max-attempts',
      '2',
      '--restart-delay',
      '1s',
      'shoal/busybox',
      'sh',
      '-c',
      'exit 3',
    ]);
    await waitUntil(
      async () =>
        (await ps(name)).filter((r) => /\|Shutdown\|Failed .*"task: non-zero exit \(3\)"$/.test(r)).length >= 3,
      60_000,
      '3 failed tasks',
    );
    await passes();
    const rows = await ps(name);
    t.equal(rows.length, 3, `the first run and 2 restarts, no more:\n${rows.join('\n')}`);
    t.ok(
      rows.every((r) => /\|Shutdown\|Failed /.test(r)),
      rows.join('\n'),
    );
    t.equal((await containers(id)).length, 3, 'three task containers, all exited');
    const ls = await docker(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Replicas}}']);
    t.equal(ls.stdout.trim(), '0/1');
    await docker(['service', 'rm', name]);
  });

  t.test('restart condition none: a task that ended is never replaced', async (t) => {
    const name = `nr${suffix()}`;
    await create(name, ['--restart-condition', 'none', 'shoal/busybox', 'sh', '-c', 'exit 4']);
    await waitUntil(
      async () => (await ps(name)).some((r) => /\|Failed .*"task: non-zero exit \(4\)"$/.test(r)),
      60_000,
      'the task failed',
    );
    await passes();
    const rows = await ps(name);
    t.equal(rows.length, 1, rows.join('\n'));
    const done = `nd0${suffix()}`;
    await create(done, ['--restart-condition', 'none', 'shoal/busybox', 'true']);
    await waitUntil(async () => (await ps(done)).some((r) => /\|Complete /.test(r)), 60_000, 'the task completed');
    await passes();
    t.equal((await ps(done)).length, 1, 'a completed task is not replaced either');
    await docker(['service', 'rm', name, done]);
  });

  t.test('a task container removed by hand on its engine is replaced', async (t) => {
    const name = `rm${suffix()}`;
    const id = await create(name, ['--stop-grace-period', '1s', 'shoal/busybox', 'sleep', '3600']);
    await waitUntil(async () => (await containers(id)).some((x) => x.state === 'running'), 60_000, 'the task running');
    const victim = (await containers(id))[0]!;
    await engines[victim.engine]!.cli(['rm', '-f', victim.name]);
    await waitUntil(
      async () => (await containers(id)).some((x) => x.state === 'running' && x.name !== victim.name),
      60_000,
      'a replacement running',
    );
    const rows = await ps(name);
    t.equal(rows.filter((r) => /\|Running\|Running /.test(r)).length, 1, rows.join('\n'));
    t.ok(
      rows.some((r) => /\|Shutdown\|Failed .*container removed/.test(r)),
      rows.join('\n'),
    );
    await docker(['service', 'rm', name]);
  });
});
