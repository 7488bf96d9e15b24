/**
 * Swarm-mode services beyond create/scale, with the stock docker CLI against a real `shoal manage` over the 3
 * harness engines: a global service (one task per node), `node update --availability drain` moving tasks off a
 * node, a rolling `service update --env-add` replacing every task, and `service rollback`.
 */
import t from 'tap';
import { swarmSetup } from './swarm-setup.js';
import { sharedEngines, startTestManager, suffix, waitUntil, type TestManager } from './helpers.js';

const engines = await sharedEngines();

interface Running {
  name: string;
  engine: number;
  env: string[];
}

/** The running task containers of a service, straight from the engines, with their environment. */
async function running(serviceId: string): Promise<Running[]> {
  const out: Running[] = [];
  for (const [i, e] of engines.entries()) {
    const r = await e.cli([
      'ps',
      '--filter',
      `label=com.docker.swarm.service.id=${serviceId}`,
      '--format',
      '{{.Names}}',
    ]);
    for (const name of r.stdout.split('\n').filter(Boolean)) {
      const env = await e.cli(['inspect', '--format', '{{json .Config.Env}}', name], { reject: false });
      out.push({ name, engine: i, env: env.exitCode === 0 ? (JSON.parse(env.stdout) as string[]) : [] });
    }
  }
  return out;
}

const kinds = (process.env.SHOAL_SWARM_STORES ?? 'consul,etcd').split(',');

for (const kind of kinds) {
  t.test(`swarm service modes on ${kind}`, async (t) => {
    const { config } = await swarmSetup(t, kind, 'mgsvm');
    const tm: TestManager = await startTestManager(config);
    t.teardown(() => tm.stop());
    const docker = (args: string[]) => tm.docker(args);
    const ids: string[] = [];
    t.teardown(async () => {
      for (const id of ids)
        for (const [i, e] of engines.entries()) {
          const r = await e.cli(['ps', '-aq', '--filter', `label=com.docker.swarm.service.id=${id}`], {
            reject: false,
          });
          for (const c of r.stdout.split('\n').filter(Boolean))
            await engines[i]!.cli(['rm', '-f', c], { reject: false });
        }
    });
    await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    const g = `glob${suffix()}`;
    const r = `rep${suffix()}`;
    let gId = '';
    let rId = '';

    t.test('a global service runs one task per node', async (t) => {
      const out = await docker([
        'service',
        'create',
        '--name',
        g,
        '--mode',
        'global',
        '--stop-grace-period',
        '1s',
        'shoal/busybox',
        'sleep',
        '3600',
      ]);
      gId = out.stdout.split('\n')[0]!.trim();
      ids.push(gId);
      t.match(out.stdout, new RegExp(`verify: Service ${gId} converged`));
      const tasks = await running(gId);
      t.same(tasks.map((x) => x.engine).sort(), [0, 1, 2]);
      t.ok(
        tasks.every((x) => new RegExp(`^${g}\\.[0-9a-z]{25}\\.[0-9a-z]{25}$`).test(x.name)),
        'global task names',
      );
      const ls = await docker(['service', 'ls', '--filter', `name=${g}`]);
      t.match(ls.stdout, new RegExp(`${g}\\s+global\\s+3/3`));
    });

    t.test('drain moves the tasks off a node', async (t) => {
      const out = await docker([
        'service',
        'create',
        '--name',
        r,
        '--replicas',
        '3',
        '--stop-grace-period',
        '1s',
        'shoal/busybox',
        'sleep',
        '3600',
      ]);
      rId = out.stdout.split('\n')[0]!.trim();
      ids.push(rId);
      const nodes = (await docker(['node', 'ls', '--format', '{{.ID}} {{.Hostname}}'])).stdout
        .split('\n')
        .filter(Boolean);
      const before = await running(rId);
      const victimEngine = before[0]!.engine;
      const hostOf = (await engines[victimEngine]!.cli(['info', '--format', '{{.Name}}'])).stdout.trim();
      const node = nodes.find((l) => l.endsWith(` ${hostOf}`))?.split(' ')[0];
      t.ok(node, `the node of engine ${victimEngine} (${hostOf}) in ${nodes.join(', ')}`);
      await docker(['node', 'update', '--availability', 'drain', node!]);
      await waitUntil(
        async () => {
          const rep = await running(rId);
          const glob = await running(gId);
          return (
            rep.length === 3 &&
            rep.every((x) => x.engine !== victimEngine) &&
            glob.length === 2 &&
            glob.every((x) => x.engine !== victimEngine)
          );
        },
        60_000,
        'tasks moved off the drained node',
      );
      const ps = await docker(['service', 'ps', r, '--filter', 'desired-state=running', '--format', '{{.Node}}']);
      t.notOk(ps.stdout.split('\n').includes(hostOf), ps.stdout);
      await docker(['node', 'update', '--availability', 'active', node!]);
      await waitUntil(async () => (await running(gId)).length === 3, 60_000, 'the global task back on the node');
    });

    t.test('a rolling update replaces every task; rollback brings the old spec back', async (t) => {
      const before = new Set((await running(rId)).map((x) => x.name));
      const up = await docker(['service', 'update', '--env-add', 'SHOAL_A=1', r]);
      t.match(up.stdout, new RegExp(`verify: Service ${r} converged`));
      const after = await running(rId);
      t.equal(after.length, 3);
      t.ok(
        after.every((x) => !before.has(x.name) && x.env.includes('SHOAL_A=1')),
        'every task replaced, with the new env',
      );
      await waitUntil(
        async () => JSON.parse((await docker(['service', 'inspect', r])).stdout)[0].UpdateStatus?.State === 'completed',
        30_000,
        'UpdateStatus completed',
      );
      const ps = await docker(['service', 'ps', r, '--format', '{{.DesiredState}}']);
      const states = ps.stdout.split('\n').filter(Boolean);
      t.equal(states.filter((l) => l === 'Running').length, 3, ps.stdout);
      // the 3 tasks the update replaced, and the one the drain moved
      t.equal(states.filter((l) => l === 'Shutdown').length, 4, ps.stdout);
      const rb = await docker(['service', 'rollback', r]);
      t.match(rb.stdout, /rollback: manually requested rollback/);
      t.match(rb.stdout, new RegExp(`verify: Service ${r} converged`));
      const back = await running(rId);
      t.equal(back.length, 3);
      t.ok(
        back.every((x) => !x.env.includes('SHOAL_A=1')),
        'the old env again',
      );
      const inspect = JSON.parse((await docker(['service', 'inspect', r])).stdout)[0];
      t.notOk((inspect.Spec.TaskTemplate.ContainerSpec.Env ?? []).includes('SHOAL_A=1'));
      t.ok(inspect.PreviousSpec.TaskTemplate.ContainerSpec.Env.includes('SHOAL_A=1'));
    });

    t.test('service rm of both removes their task containers', async (t) => {
      await docker(['service', 'rm', g, r]);
      await waitUntil(
        async () => (await running(gId)).length === 0 && (await running(rId)).length === 0,
        60_000,
        'no task container left',
      );
      t.pass();
    });
  });
}
