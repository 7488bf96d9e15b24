/**
 * Swarm-mode services end to end with the stock docker CLI against a real `shoal manage` over the 3 harness
 * engines, per store backend: `service create` without --detach ends converged, `service ls` / `ps` / `inspect`,
 * task containers named and labelled as swarm's in `docker ps` through the manager, `service scale`, the
 * `version` rule, a removed task container replaced, hostile specs refused with nothing written, `service rm`
 * removing every task container.
 */
import t from 'tap';
import { SERVICES_PREFIX, TASKS_PREFIX } from '../../agents/manage/orchestrator/store.js';
import { swarmSetup, taskContainers } from './swarm-setup.js';
import { sharedEngines, startTestManager, suffix, waitUntil, type TestManager } from './helpers.js';

const engines = await sharedEngines();

async function call(host: string, method: string, p: string, body?: unknown) {
  const res = await fetch(`${host.replace(/^tcp:/, 'http:')}/v1.41${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, any> };
}

/** The task containers of a service on all three engines, straight from the engines. */
const containersOf = (serviceId: string) => taskContainers(engines, serviceId);

const kinds = (process.env.SHOAL_SWARM_STORES ?? 'consul,etcd').split(',');

for (const kind of kinds) {
  t.test(`swarm services on ${kind}`, async (t) => {
    const { store, config } = await swarmSetup(t, kind, 'mgsvc');
    const tm: TestManager = await startTestManager(config);
    t.teardown(() => tm.stop());
    const docker = (args: string[], reject = true) => tm.docker(args, { reject });
    const name = `web${suffix()}`;
    let serviceId = '';
    t.teardown(async () => {
      if (!serviceId) return;
      for (const c of await containersOf(serviceId).catch(() => []))
        await engines[c.engine]!.cli(['rm', '-f', c.name], { reject: false });
    });

    t.test('before init: /services and /tasks answer the non-swarm 503', async (t) => {
      const ls = await docker(['service', 'ls'], false);
      t.equal(ls.exitCode, 1);
      t.match(ls.stderr, /This node is not a swarm manager\. Use "docker swarm init"/);
      const tasks = await call(tm.host, 'GET', '/tasks');
      t.equal(tasks.status, 503);
      t.equal((await call(tm.host, 'GET', '/secrets')).status, 503);
    });

    t.test('service create without --detach waits until converged', async (t) => {
      await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      const r = await docker([
        'service',
        'create',
        '--name',
        name,
        '--replicas',
        '3',
        'shoal/busybox',
        'sleep',
        '3600',
      ]);
      serviceId = r.stdout.split('\n')[0]!.trim();
      t.match(serviceId, /^[0-9a-z]{25}$/);
      t.match(r.stdout, /overall progress: 3 out of 3 tasks/);
      t.match(r.stdout, new RegExp(`verify: Service ${serviceId} converged`));
      for (const p of ['/secrets', '/configs']) t.same((await call(tm.host, 'GET', p)).json(), [], `${p} answers []`);
    });

    t.test('service ls shows 3/3; service ps 3 Running tasks over the 3 engines', async (t) => {
      const ls = await docker(['service', 'ls']);
      t.match(ls.stdout, new RegExp(`${serviceId.slice(0, 12)}\\s+${name}\\s+replicated\\s+3/3\\s+shoal/busybox`));
      const ps = await docker([
        'service',
        'ps',
        name,
        '--format',
        '{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}}',
      ]);
      const lines = ps.stdout.split('\n').filter(Boolean);
      t.equal(lines.length, 3, ps.stdout);
      t.ok(
        lines.every((l) => / Running Running /.test(l)),
        ps.stdout,
      );
      t.same(new Set(lines.map((l) => l.split(' ')[0])), new Set([1, 2, 3].map((i) => `${name}.${i}`)));
      t.equal(new Set(lines.map((l) => l.split(' ')[1])).size, 3, 'one task per engine');
    });

    t.test('docker ps through the manager shows the task containers, named and labelled as swarm does', async (t) => {
      const ps = await docker([
        'ps',
        '--filter',
        `label=com.docker.swarm.service.id=${serviceId}`,
        '--format',
        '{{.Names}}|{{.Label "com.docker.swarm.service.name"}}|{{.Label "com.docker.swarm.task.id"}}|{{.Label "com.docker.swarm.node.id"}}',
      ]);
      const rows = ps.stdout.split('\n').filter(Boolean);
      t.equal(rows.length, 3, ps.stdout);
      for (const row of rows) {
        const [names, svc, taskId, nodeId] = row.split('|');
        t.match(names, new RegExp(`(^|/)${name}\\.[123]\\.${taskId}$`));
        t.equal(svc, name);
        t.match(nodeId, /^[0-9a-z]{25}$/);
      }
    });

    t.test('service scale to 6 converges; inspect shows it; a stale version is out of sequence', async (t) => {
      const r = await docker(['service', 'scale', `${name}=6`]);
      t.match(r.stdout, new RegExp(`verify: Service ${name} converged`));
      const running = (await containersOf(serviceId)).filter((c) => c.state === 'running');
      t.equal(running.length, 6);
      t.same(
        [0, 1, 2].map((i) => running.filter((c) => c.engine === i).length),
        [2, 2, 2],
        'spread 2 per engine',
      );
      const inspect = JSON.parse((await docker(['service', 'inspect', name])).stdout) as any[];
      t.equal(inspect[0].ID, serviceId);
      t.equal(inspect[0].Spec.Mode.Replicated.Replicas, 6);
      t.equal(inspect[0].Spec.TaskTemplate.ContainerSpec.Image, 'shoal/busybox:latest');
      const version = inspect[0].Version.Index as number;
      const stale = await call(
        tm.host,
        'POST',
        `/services/${serviceId}/update?version=${version - 1}`,
        inspect[0].Spec,
      );
      t.equal(stale.status, 500);
      t.equal(stale.json().message, 'rpc error: code = Unknown desc = update out of sequence');
      const missing = await call(tm.host, 'POST', `/services/${serviceId}/update`, inspect[0].Spec);
      t.equal(missing.status, 400);
      const after = JSON.parse((await docker(['service', 'inspect', name])).stdout) as any[];
      t.equal(after[0].Version.Index, version, 'nothing written');
    });

    t.test('a task container removed on its engine is replaced', async (t) => {
      const before = (await containersOf(serviceId)).filter((c) => c.state === 'running');
      const victim = before[0]!;
      await engines[victim.engine]!.cli(['rm', '-f', victim.name]);
      const slot = victim.name.split('.')[1];
      await waitUntil(
        async () => {
          const now = (await containersOf(serviceId)).filter((c) => c.state === 'running');
          return now.length === 6 && now.some((c) => c.name.split('.')[1] === slot && c.name !== victim.name);
        },
        40_000,
        'the slot refilled',
      );
      const ps = await docker(['service', 'ps', name, '--format', '{{.Name}} {{.DesiredState}}']);
      t.equal(ps.stdout.split('\n').filter((l) => / Running$/.test(l)).length, 6, ps.stdout);
    });

    t.test('hostile create bodies: 400 naming the field, nothing written', async (t) => {
      const keysBefore = (await store.list(SERVICES_PREFIX)).length;
      const image = { ContainerSpec: { Image: 'shoal/busybox:latest' } };
      const cases: [unknown, RegExp][] = [
        [{ Name: 'bad name!', TaskTemplate: image }, /Name/],
        [
          { Name: 'ok1', TaskTemplate: { ContainerSpec: { Image: 'bad image!' } } },
          /TaskTemplate\.ContainerSpec\.Image/,
        ],
        [{ Name: 'ok2', TaskTemplate: image, Mode: { Replicated: { Replicas: -1 } } }, /Mode\.Replicated\.Replicas/],
        [
          { Name: 'ok3', TaskTemplate: { ...image, Placement: { Constraints: ['node.labels.zone=a'] } } },
          /TaskTemplate\.Placement\.Constraints\[0\]/,
        ],
        ['[1,2', /./],
      ];
      for (const [body, field] of cases) {
        const r = await call(tm.host, 'POST', '/services/create', body);
        t.equal(r.status, 400, r.text);
        t.match(r.json().message, field);
      }
      t.equal((await store.list(SERVICES_PREFIX)).length, keysBefore, 'no service written');
      const dup = await call(tm.host, 'POST', '/services/create', { Name: name, TaskTemplate: image });
      t.equal(dup.status, 409);
      t.match(dup.json().message, /name conflicts with an existing object: service .* already exists/);
    });

    t.test("an image no engine has: the task is rejected with the engine's error, and retried", async (t) => {
      const bad = `bad${suffix()}`;
      const r = await docker(['service', 'create', '--detach', '--name', bad, 'shoal/nosuchimage:1']);
      const badId = r.stdout.trim();
      await waitUntil(
        async () => {
          const ps = await docker(['service', 'ps', bad, '--no-trunc', '--format', '{{.CurrentState}}|{{.Error}}']);
          const lines = ps.stdout.split('\n').filter(Boolean);
          return lines.length >= 2 && lines.some((l) => /^Rejected .*\|"?No such image: shoal\/nosuchimage:1/.test(l));
        },
        40_000,
        'a rejected task and its retry',
      );
      await docker(['service', 'rm', bad]);
      await waitUntil(async () => (await containersOf(badId)).length === 0, 30_000, 'nothing left of it');
      t.pass();
    });

    t.test('service rm removes every task container', async (t) => {
      const r = await docker(['service', 'rm', name]);
      t.equal(r.stdout.trim(), name);
      await waitUntil(async () => (await containersOf(serviceId)).length === 0, 60_000, 'no task container left');
      await waitUntil(async () => (await store.list(TASKS_PREFIX)).length === 0, 20_000, 'task records dropped');
      const ls = await docker(['service', 'ls', '-q']);
      t.equal(ls.stdout.trim(), '');
    });
  });
}
