/**
 * Rolling updates and rollbacks with the stock docker CLI against a real `shoal manage` over the 3 harness
 * engines: `service update --image` (two tags of the local registry's busybox) without --detach ends
 * converged; start-first and stop-first are seen in the task timestamps, one slot at a time with parallelism 1;
 * `service ps` shows the Shutdown history, at most 5 tasks per slot; `service rollback`; an update whose new
 * tasks fail pauses (the CLI says so) or, with `--update-failure-action rollback`, rolls back by itself;
 * `service inspect` fills in Docker's defaults and `--pretty` prints.
 */
import t from 'tap';
import { pushed } from '../harness/index.js';
import { swarmSetup, taskContainers } from './swarm-setup.js';
import { sharedEngines, startTestManager, suffix, waitUntil, type TestManager } from './helpers.js';

const engines = await sharedEngines();
const repo = `svcupd${suffix()}`;
const V1 = await pushed(engines[0]!, repo, 'v1');
const V2 = await pushed(engines[0]!, repo, 'v2');

interface ApiTask {
  ID: string;
  Slot: number;
  CreatedAt: string;
  DesiredState: string;
  Spec: { ContainerSpec: { Image: string } };
  Status: { State: string; Timestamp: string; Err?: string };
}

/** Every task container of a service (any state), straight from the engines. */
const containers = (serviceId: string) => taskContainers(engines, serviceId);

const kind = (process.env.SHOAL_SWARM_STORES ?? 'consul').split(',')[0]!;

t.test(`service update and rollback on ${kind}`, async (t) => {
  const { config } = await swarmSetup(t, kind, 'mgupd');
  const tm: TestManager = await startTestManager(config);
  t.teardown(() => tm.stop());
  const docker = (args: string[], reject = true) => tm.docker(args, { reject });
  const ids: string[] = [];
  t.teardown(async () => {
    for (const id of ids)
      for (const c of await containers(id).catch(() => []))
        await engines[c.engine]!.cli(['rm', '-f', c.name], { reject: false });
  });
  await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  const api = async (p: string) => {
    const res = await fetch(`${tm.host.replace(/^tcp:/, 'http:')}/v1.41${p}`);
    return (await res.json()) as any;
  };
  const tasks = async (id: string): Promise<ApiTask[]> =>
    api(`/tasks?filters=${encodeURIComponent(JSON.stringify({ service: { [id]: true } }))}`);
  const inspect = async (name: string) => JSON.parse((await docker(['service', 'inspect', name])).stdout)[0];
  const create = async (name: string, args: string[]) => {
    const out = await docker(['service', 'create', '--name', name, ...args]);
    const id = out.stdout.split('\n')[0]!.trim();
    ids.push(id);
    return id;
  };
  const ms = (iso: string) => Date.parse(iso);

  /**
   * Per slot, the old task's end and the new task's start: start-first has the new one running before the old
   * one stops; stop-first the other way round. With parallelism 1 a slot's new task is made only once the
   * previous slot's new task runs.
   */
  const order = (all: ApiTask[], image: string) => {
    const fresh = all.filter((x) => x.Spec.ContainerSpec.Image === image && x.DesiredState === 'running');
    const old = all.filter((x) => x.Spec.ContainerSpec.Image !== image && x.Status.State === 'shutdown');
    return fresh
      .map((n) => ({ n, o: old.find((x) => x.Slot === n.Slot)! }))
      .sort((a, b) => ms(a.n.CreatedAt) - ms(b.n.CreatedAt));
  };

  t.test('start-first, parallelism 1: the new task runs before the old one stops, a slot at a time', async (t) => {
    const name = `sf${suffix()}`;
    const id = await create(name, [
      '--replicas',
      '3',
      '--stop-grace-period',
      '1s',
      '--update-parallelism',
      '1',
      '--update-order',
      'start-first',
      '--update-monitor',
      '1s',
      V1,
      'sleep',
      '3600',
    ]);
    const up = await docker(['service', 'update', '--image', V2, name]);
    t.match(up.stdout, /overall progress: 3 out of 3 tasks/);
    t.match(up.stdout, new RegExp(`verify: Service ${name} converged`));
    // the CLI counts only up-to-date tasks: the last old one may still be stopping when it returns
    await waitUntil(
      async () =>
        (await tasks(id)).filter((x) => x.Spec.ContainerSpec.Image === V1 && x.Status.State === 'shutdown').length ===
        3,
      30_000,
      'the 3 old tasks shut down',
    );
    const all = await tasks(id);
    const pairs = order(all, V2);
    t.equal(pairs.length, 3, JSON.stringify(all.map((x) => [x.Slot, x.Spec.ContainerSpec.Image, x.Status.State])));
    for (const { n, o } of pairs) {
      t.ok(o, `slot ${n.Slot} has its old task`);
      t.ok(ms(n.Status.Timestamp) <= ms(o.Status.Timestamp), `slot ${n.Slot}: new running before old stopped`);
    }
    for (let i = 1; i < pairs.length; i++)
      t.ok(
        ms(pairs[i]!.n.CreatedAt) >= ms(pairs[i - 1]!.n.Status.Timestamp),
        `slot ${pairs[i]!.n.Slot} begun after slot ${pairs[i - 1]!.n.Slot} ran`,
      );
    const running = (await containers(id)).filter((c) => c.state === 'running');
    t.equal(running.length, 3);
    const ps = await docker(['service', 'ps', name, '--format', '{{.Name}}|{{.Image}}|{{.DesiredState}}']);
    const rows = ps.stdout.split('\n').filter(Boolean);
    t.equal(rows.filter((r) => r.endsWith(`|${V2}|Running`)).length, 3, ps.stdout);
    t.equal(rows.filter((r) => r.endsWith(`|${V1}|Shutdown`)).length, 3, ps.stdout);
    await waitUntil(async () => (await inspect(name)).UpdateStatus?.State === 'completed', 30_000, 'completed');
    const s = await inspect(name);
    t.equal(s.Spec.TaskTemplate.ContainerSpec.Image, V2);
    t.equal(s.PreviousSpec.TaskTemplate.ContainerSpec.Image, V1);

    const rb = await docker(['service', 'rollback', name]);
    t.match(rb.stdout, /rollback: manually requested rollback/);
    t.match(rb.stdout, new RegExp(`verify: Service ${name} converged`));
    const back = await inspect(name);
    t.equal(back.Spec.TaskTemplate.ContainerSpec.Image, V1);
    const live = (await tasks(id)).filter((x) => x.DesiredState === 'running');
    t.same(
      live.map((x) => `${x.Spec.ContainerSpec.Image} ${x.Status.State}`),
      [1, 2, 3].map(() => `${V1} running`),
    );
    await waitUntil(
      async () => (await inspect(name)).UpdateStatus?.State === 'rollback_completed',
      30_000,
      'rollback_completed',
    );
  });

  t.test('stop-first: the old task stops before the new one starts; history kept to 5 per slot', async (t) => {
    const name = `sp${suffix()}`;
    const id = await create(name, [
      '--replicas',
      '2',
      '--stop-grace-period',
      '1s',
      '--update-parallelism',
      '1',
      '--update-order',
      'stop-first',
      '--update-monitor',
      '1s',
      V1,
      'sleep',
      '3600',
    ]);
    await docker(['service', 'update', '--image', V2, name]);
    await waitUntil(
      async () =>
        (await tasks(id)).filter((x) => x.Spec.ContainerSpec.Image === V1 && x.Status.State === 'shutdown').length ===
        2,
      30_000,
      'the 2 old tasks shut down',
    );
    const pairs = order(await tasks(id), V2);
    t.equal(pairs.length, 2);
    for (const { n, o } of pairs)
      t.ok(ms(o.Status.Timestamp) <= ms(n.Status.Timestamp), `slot ${n.Slot}: old stopped before new running`);
    // 4 more updates: 6 tasks made per slot, the oldest dropped (swarm's retention of 5)
    // (both slots at once from here on: the order was checked above)
    for (let i = 1; i <= 4; i++)
      await docker(['service', 'update', '--update-parallelism', '0', '--env-add', `STEP=${i}`, name]);
    const ps = await docker(['service', 'ps', name, '--format', '{{.Name}}|{{.DesiredState}}']);
    const rows = ps.stdout.split('\n').filter(Boolean);
    for (const slot of [1, 2]) {
      const mine = rows.filter((r) => r.replace(/^ \\_ /, '').startsWith(`${name}.${slot}|`));
      t.equal(mine.length, 5, ps.stdout);
      t.equal(mine.filter((r) => r.endsWith('|Running')).length, 1, ps.stdout);
    }
    await waitUntil(
      async () => (await containers(id)).length === 10,
      30_000,
      'the pruned tasks’ containers removed (5 per slot left)',
    );
  });

  t.test('new tasks that fail: FailureAction pause pauses the update, and the CLI says so', async (t) => {
    const name = `pa${suffix()}`;
    await create(name, ['--stop-grace-period', '1s', '--update-monitor', '15s', V1, 'sleep', '3600']);
    const up = await docker(['service', 'update', '--args', 'sh -c "exit 1"', name], false);
    t.equal(up.exitCode, 1, up.stdout);
    t.match(up.stderr, /service update paused: update paused due to failure or early termination of task \w+/);
    const s = await inspect(name);
    t.equal(s.UpdateStatus.State, 'paused');
    t.same(s.Spec.TaskTemplate.ContainerSpec.Args, ['sh', '-c', 'exit 1']);
  });

  t.test('FailureAction rollback: a failing healthcheck rolls the service back by itself', async (t) => {
    const name = `ar${suffix()}`;
    const id = await create(name, [
      '--replicas',
      '2',
      '--stop-grace-period',
      '1s',
      '--update-failure-action',
      'rollback',
      '--update-monitor',
      '10s',
      '--rollback-monitor',
      '1s',
      V1,
      'sleep',
      '3600',
    ]);
    const up = await docker(
      [
        'service',
        'update',
        '--detach',
        '--image',
        V2,
        '--health-cmd',
        'false',
        '--health-interval',
        '1s',
        '--health-retries',
        '1',
        name,
      ],
      false,
    );
    t.equal(up.exitCode, 0, up.stderr);
    await waitUntil(
      async () => (await inspect(name)).UpdateStatus?.State === 'rollback_completed',
      90_000,
      'rolled back',
    );
    const s = await inspect(name);
    t.match(s.UpdateStatus.Message, /rollback completed/);
    t.equal(s.Spec.TaskTemplate.ContainerSpec.Image, V1);
    t.notOk(s.Spec.TaskTemplate.ContainerSpec.Healthcheck, 'the healthcheck gone with the rollback');
    const all = await tasks(id);
    t.ok(
      all.some((x) => x.Spec.ContainerSpec.Image === V2 && x.Status.State === 'failed'),
      'a new task failed its healthcheck',
    );
    const live = all.filter((x) => x.DesiredState === 'running');
    t.same(
      live.map((x) => `${x.Spec.ContainerSpec.Image} ${x.Status.State}`),
      [V1, V1].map((i) => `${i} running`),
    );
  });

  t.test('service inspect fills in the defaults; --pretty prints', async (t) => {
    const name = `in${suffix()}`;
    await create(name, ['--detach', 'shoal/busybox', 'sleep', '3600']);
    const s = await inspect(name);
    t.same(s.Spec.UpdateConfig, {
      Parallelism: 1,
      FailureAction: 'pause',
      Monitor: 5e9,
      MaxFailureRatio: 0,
      Order: 'stop-first',
    });
    t.same(s.Spec.RollbackConfig, s.Spec.UpdateConfig);
    t.same(s.Spec.TaskTemplate.RestartPolicy, { Condition: 'any', Delay: 5e9, MaxAttempts: 0 });
    t.equal(s.Spec.TaskTemplate.ContainerSpec.StopGracePeriod, 10e9);
    const raw = await api(`/services/${name}?insertDefaults=false`);
    t.notOk(raw.Spec.UpdateConfig, 'without insertDefaults: as stored');
    const pretty = await docker(['service', 'inspect', '--pretty', name], false);
    t.equal(pretty.exitCode, 0, pretty.stderr);
    t.equal(pretty.stderr, '');
    t.match(pretty.stdout, new RegExp(`Name:\\s+${name}`));
    t.match(pretty.stdout, /Replicated\s*\n\s*Replicas:\s+1/);
    t.match(pretty.stdout, /UpdateConfig:\s*\n\s*Parallelism:\s+1/);
    t.match(pretty.stdout, /On failure:\s+pause/);
    t.match(pretty.stdout, /Update order:\s+stop-first/);
    t.match(pretty.stdout, /RollbackConfig:/);
    t.match(pretty.stdout, /Image:\s+shoal\/busybox/);
    t.match(pretty.stdout, /Args:\s+sleep 3600/);
  });
});
