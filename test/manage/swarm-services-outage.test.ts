/**
 * The services orchestrator through a store outage: the manager reaches the store through a TCP relay the
 * test cuts. Service reads fail clearly (503 naming the store); a task container removed meanwhile is replaced
 * once the store is back, and the service ends with exactly its replicas, one per slot.
 */
import t from 'tap';
import { relay } from './relay.js';
import { swarmSetup } from './swarm-setup.js';
import { sharedEngines, startTestManager, suffix, waitUntil } from './helpers.js';

const engines = await sharedEngines();

/** The running task containers of a service, straight from the engines. */
async function running(serviceId: string): Promise<{ name: string; engine: number }[]> {
  const out: { name: string; engine: number }[] = [];
  for (const [i, e] of engines.entries()) {
    const r = await e.cli([
      'ps',
      '--filter',
      `label=com.docker.swarm.service.id=${serviceId}`,
      '--format',
      '{{.Names}}',
    ]);
    for (const name of r.stdout.split('\n').filter(Boolean)) out.push({ name, engine: i });
  }
  return out;
}

for (const kind of ['consul', 'etcd'] as const) {
  t.test(`services through a store outage on ${kind}`, async (t) => {
    const { uri, config } = await swarmSetup(t, kind, 'mgsvout');
    // the manager reaches the store through the relay, under the same prefix
    const server = new URL(uri).host;
    const r = await relay(server);
    t.teardown(() => r.cut());
    const tm = await startTestManager({
      ...config,
      discovery: uri.replace(server, r.address()),
      store: { timeoutMs: 2000 },
    });
    t.teardown(() => tm.stop());
    const docker = (args: string[], reject = true) => tm.docker(args, { reject });
    let serviceId = '';
    t.teardown(async () => {
      for (const [i, e] of engines.entries()) {
        const ps = await e.cli(['ps', '-aq', '--filter', `label=com.docker.swarm.service.id=${serviceId}`], {
          reject: false,
        });
        for (const c of ps.stdout.split('\n').filter(Boolean))
          await engines[i]!.cli(['rm', '-f', c], { reject: false });
      }
    });

    await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    const name = `out${suffix()}`;
    const created = await docker([
      'service',
      'create',
      '--name',
      name,
      '--replicas',
      '2',
      '--stop-grace-period',
      '1s',
      'shoal/busybox',
      'sleep',
      '3600',
    ]);
    serviceId = created.stdout.split('\n')[0]!.trim();
    const before = await running(serviceId);
    t.equal(before.length, 2);

    await r.cut();
    const ls = await docker(['service', 'ls'], false);
    t.equal(ls.exitCode, 1);
    t.match(ls.stderr, /the store did not answer/);
    const victim = before[0]!;
    await engines[victim.engine]!.cli(['rm', '-f', victim.name]);

    await r.restore();
    await waitUntil(
      async () => {
        const now = await running(serviceId);
        return now.length === 2 && !now.some((c) => c.name === victim.name);
      },
      60_000,
      'the removed task replaced once the store is back',
    );
    const slots = (await running(serviceId)).map((c) => c.name.split('.')[1]).sort();
    t.same(slots, ['1', '2'], 'one task per slot');
    const ps = await docker(['service', 'ps', name, '--filter', 'desired-state=running', '--format', '{{.Name}}']);
    t.same(ps.stdout.split('\n').filter(Boolean).sort(), [`${name}.1`, `${name}.2`]);
    await docker(['service', 'rm', name]);
    await waitUntil(async () => (await running(serviceId)).length === 0, 60_000, 'removed');
  });
}
