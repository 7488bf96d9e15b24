/**
 * The services orchestrator under replication, with the stock docker CLI: only the leader acts, a replica
 * proxies service writes to it, and a leader SIGKILLed right after a scale was accepted hands over to the
 * replica, which converges to exactly the desired replicas (one task container per slot, none doubled).
 */
import t from 'tap';
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../harness/proxies.js';
import { swarmSetup } from './swarm-setup.js';
import { dockerCli, sharedEngines, startTestManager, suffix, waitUntil } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const engines = await sharedEngines();
const TTL_MS = 3000;

/** Every task container of a service (any state), straight from the engines. */
async function containers(serviceId: string): Promise<{ name: string; state: string }[]> {
  const out: { name: string; state: string }[] = [];
  for (const e of engines) {
    const r = await e.cli([
      'ps',
      '-a',
      '--filter',
      `label=com.docker.swarm.service.id=${serviceId}`,
      '--format',
      '{{.Names}} {{.State}}',
    ]);
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [name, state] = line.split(' ');
      out.push({ name: name!, state: state! });
    }
  }
  return out;
}

const kinds = (process.env.SHOAL_SWARM_STORES ?? 'consul,etcd').split(',');

for (const kind of kinds) {
  t.test(`services failover on ${kind}`, async (t) => {
    // the replica's config (its own port, replication on); the leader runs as a process on a port of its own
    const { uri, config: base, port: portB } = await swarmSetup(t, kind, 'mgsvf');
    const caDir = base.swarmCaDir!;
    const portA = await freePort();
    const leader = execa(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'agents/cli.ts'),
        'manage',
        '-H',
        `127.0.0.1:${portA}`,
        '--replication',
        '--replication-ttl',
        `${TTL_MS / 1000}s`,
        '--advertise',
        `127.0.0.1:${portA}`,
        '--swarm-ca-dir',
        caDir,
        '--log-level',
        'warn',
        uri,
      ],
      { cwd: ROOT, reject: false },
    );
    t.teardown(async () => {
      leader.kill('SIGKILL');
      await leader.catch(() => undefined);
    });
    const A = `tcp://127.0.0.1:${portA}`;
    await waitUntil(
      async () => /Role: primary/.test((await dockerCli(A, ['info'], { reject: false })).stdout),
      60_000,
      `leader up on ${kind}`,
    );
    const replica = await startTestManager({
      ...base,
      replication: { advertise: `127.0.0.1:${portB}`, ttlMs: TTL_MS },
    });
    t.teardown(() => replica.stop());
    await waitUntil(
      async () => /Role: replica/.test((await replica.docker(['info'], { reject: false })).stdout),
      20_000,
      'the replica follows',
    );
    const name = `fo${suffix()}`;
    let serviceId = '';
    t.teardown(async () => {
      if (!serviceId) return;
      for (const e of engines) {
        const r = await e.cli(['ps', '-aq', '--filter', `label=com.docker.swarm.service.id=${serviceId}`], {
          reject: false,
        });
        for (const c of r.stdout.split('\n').filter(Boolean)) await e.cli(['rm', '-f', c], { reject: false });
      }
    });

    t.test('writes through the replica reach the leader, whose orchestrator runs the tasks', async (t) => {
      await dockerCli(A, ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      const r = await replica.docker([
        'service',
        'create',
        '--detach',
        '--name',
        name,
        '--replicas',
        '3',
        '--stop-grace-period',
        '1s',
        'shoal/busybox',
        'sleep',
        '3600',
      ]);
      serviceId = r.stdout.trim();
      t.match(serviceId, /^[0-9a-z]{25}$/);
      await waitUntil(
        async () => (await containers(serviceId)).filter((c) => c.state === 'running').length === 3,
        60_000,
        '3 tasks running',
      );
      t.pass();
    });

    t.test('leader SIGKILLed right after a scale: the replica takes over and converges to exactly 8', async (t) => {
      await replica.docker(['service', 'scale', '--detach', `${name}=8`]);
      leader.kill('SIGKILL');
      await leader.catch(() => undefined);
      await waitUntil(
        async () => /Role: primary/.test((await replica.docker(['info'], { reject: false })).stdout),
        30_000,
        'the replica promoted',
      );
      await waitUntil(
        async () => (await containers(serviceId)).filter((c) => c.state === 'running').length === 8,
        90_000,
        '8 tasks running',
      );
      const all = await containers(serviceId);
      const slots = all.map((c) => Number(c.name.split('.')[1]));
      t.same(
        [...slots].sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8],
        `one container per slot: ${all.map((c) => c.name).join(' ')}`,
      );
      const ps = await replica.docker([
        'service',
        'ps',
        name,
        '--filter',
        'desired-state=running',
        '--format',
        '{{.Name}}',
      ]);
      t.equal(ps.stdout.split('\n').filter(Boolean).length, 8, ps.stdout);
    });

    t.test('service rm through the new leader removes every task container', async (t) => {
      await replica.docker(['service', 'rm', name]);
      await waitUntil(async () => (await containers(serviceId)).length === 0, 60_000, 'no task container left');
      t.pass();
    });
  });
}
