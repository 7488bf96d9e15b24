/**
 * `docker service logs` with the stock CLI against a real `shoal manage` over the 3 harness engines, per store
 * backend: a 2-replica ticking service's lines come from both tasks with the `web.N.<task>@<node> |` prefix;
 * `--tail 1` gives one line per task; `-f` keeps printing and picks up the task added by `service scale` and the one replacing a removed task
 * container;
 * the logs of one task by its ID; an unknown name answers the CLI's not-found error.
 */
import t from 'tap';
import { execa } from 'execa';
import { swarmSetup } from './swarm-setup.js';
import { sharedEngines, startTestManager, suffix, waitUntil, type TestManager } from './helpers.js';

const engines = await sharedEngines();
const TICK = 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done';

/** The printed lines of `service logs`, as [slot, task id prefix, message]. */
function parse(out: string, name: string): { slot: string; task: string; msg: string }[] {
  const re = new RegExp(`^${name}\\.(\\d+)\\.([0-9a-z]{12})@\\S+\\s+\\| (.*)$`);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = re.exec(l);
      if (!m) throw new Error(`unexpected line: ${JSON.stringify(l)}`);
      return { slot: m[1]!, task: m[2]!, msg: m[3]! };
    });
}

const kinds = (process.env.SHOAL_SWARM_STORES ?? 'consul,etcd').split(',');

for (const kind of kinds) {
  t.test(`service logs on ${kind}`, async (t) => {
    const { config } = await swarmSetup(t, kind, 'mglogs');
    const tm: TestManager = await startTestManager(config);
    t.teardown(() => tm.stop());
    const docker = (args: string[], reject = true) => tm.docker(args, { reject });
    const name = `web${suffix()}`;
    let serviceId = '';
    t.teardown(async () => {
      if (!serviceId) return;
      for (const e of engines) {
        const ps = await e.cli(['ps', '-aq', '--filter', `label=com.docker.swarm.service.id=${serviceId}`], {
          reject: false,
        });
        for (const id of ps.stdout.split('\n').filter(Boolean)) await e.cli(['rm', '-f', id], { reject: false });
      }
    });

    await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    const r = await docker(['service', 'create', '--name', name, '--replicas', '2', 'shoal/busybox', 'sh', '-c', TICK]);
    serviceId = r.stdout.split('\n')[0]!.trim();
    t.match(serviceId, /^[0-9a-z]{25}$/);

    t.test('lines from both tasks, with the swarm prefix', async (t) => {
      let lines: ReturnType<typeof parse> = [];
      await waitUntil(
        async () => {
          lines = parse((await docker(['service', 'logs', name])).stdout, name);
          return new Set(lines.map((l) => l.slot)).size === 2 && lines.length >= 4;
        },
        30_000,
        'two lines from each task',
      );
      t.same([...new Set(lines.map((l) => l.slot))].sort(), ['1', '2']);
      t.ok(
        lines.every((l) => /^tick \d+$/.test(l.msg)),
        'every message is a tick',
      );
      const ps = await docker(['service', 'ps', name, '--no-trunc', '--format', '{{.ID}}']);
      const ids = ps.stdout.split('\n').filter(Boolean);
      t.same(
        [...new Set(lines.map((l) => l.task))].sort(),
        ids.map((i) => i.slice(0, 12)).sort(),
        'the prefixes name the service tasks',
      );
    });

    t.test('--tail 1: one line per task', async (t) => {
      const lines = parse((await docker(['service', 'logs', '--tail', '1', name])).stdout, name);
      t.equal(lines.length, 2);
      t.same(lines.map((l) => l.slot).sort(), ['1', '2']);
    });

    t.test('logs of one task by its ID', async (t) => {
      const ps = await docker([
        'service',
        'ps',
        name,
        '--no-trunc',
        '--filter',
        'name=' + name + '.2',
        '--format',
        '{{.ID}}',
      ]);
      const task = ps.stdout.trim();
      t.match(task, /^[0-9a-z]{25}$/);
      const lines = parse((await docker(['service', 'logs', task])).stdout, name);
      t.ok(lines.length > 0);
      t.ok(
        lines.every((l) => l.slot === '2' && l.task === task.slice(0, 12)),
        'only that task',
      );
    });

    t.test('an unknown name: the CLI not-found error', async (t) => {
      const r = await docker(['service', 'logs', 'ghost' + suffix()], false);
      t.equal(r.exitCode, 1);
      t.match(r.stderr, /no such task or service: ghost/);
    });

    t.test('-f keeps printing and follows into the tasks added by scale and by a replacement', async (t) => {
      const proc = execa('docker', ['service', 'logs', '-f', '--tail', '0', name], {
        env: { DOCKER_HOST: tm.host },
        reject: false,
      });
      let out = '';
      proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      t.teardown(() => {
        proc.kill();
      });
      const ticks = (slot: string) => {
        const done = out.slice(0, out.lastIndexOf('\n') + 1);
        return parse(done, name).filter((l) => l.slot === slot).length;
      };
      await waitUntil(() => ticks('1') >= 2 && ticks('2') >= 2, 30_000, 'new ticks of both tasks');
      await docker(['service', 'scale', '--detach', `${name}=3`]);
      await waitUntil(() => ticks('3') >= 2, 60_000, 'ticks of the new task');
      // a task container removed behind the manager's back: its replacement's lines follow too
      const before = new Set(parse(out.slice(0, out.lastIndexOf('\n') + 1), name).map((l) => l.task));
      let removed = false;
      for (const e of engines) {
        const ps = await e.cli(['ps', '-q', '--filter', `name=^${name}\\.1\\.`], { reject: false });
        const ids = ps.stdout.split('\n').filter(Boolean);
        for (const id of ids) await e.cli(['rm', '-f', id]);
        removed ||= ids.length > 0;
      }
      t.ok(removed, 'removed the slot 1 task container');
      const fresh = () =>
        parse(out.slice(0, out.lastIndexOf('\n') + 1), name).filter((l) => l.slot === '1' && !before.has(l.task));
      await waitUntil(() => fresh().length >= 2, 60_000, 'ticks of the replacement task');
      t.ok(proc.exitCode === null, 'still following');
      proc.kill();
      await proc;
    });

    t.test('service rm', async () => {
      await docker(['service', 'rm', name]);
    });
  });
}
