/**
 * `docker stack deploy|ls|services|ps|rm` with the stock CLI against a real `shoal manage` over the 3 harness
 * engines: a compose stack with image, command, environment, labels, ports, volumes, healthcheck and the deploy
 * keys; its cluster network (listed, inspected, label-filtered) and the same-named bridge on the node of its
 * tasks, where one service reaches the other by service name; a re-deploy with changed replicas and env; stack rm
 * removing services, task containers, the cluster network and the bridge; secrets refused clearly; an unsupported
 * compose key named; a deploy failing half-way leaving what it made listed and removable.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { swarmSetup } from './swarm-setup.js';
import { sharedEngines, startTestManager, suffix, waitUntil, type TestManager } from './helpers.js';

const engines = await sharedEngines();
const engine1 = engines[0]!;

/** The compose file of the main stack; `replicas` and `greeting` change on re-deploy. */
function compose(replicas: number, greeting: string): string {
  return `
services:
  web:
    image: shoal/busybox:latest
    command: ["sh", "-c", "echo web-$$GREETING > /tmp/i; exec httpd -f -p 80 -h /tmp"]
    environment:
      GREETING: ${greeting}
    labels:
      tier: front-container
    ports:
      - "18081:80"
    volumes:
      - data:/data
      - type: tmpfs
        target: /scratch
    healthcheck:
      test: ["CMD", "true"]
      interval: 2s
    deploy:
      mode: replicated
      replicas: ${replicas}
      placement:
        constraints: ["engine.labels.status == master"]
        preferences:
          - spread: node.labels.zone
      resources:
        limits: { cpus: "0.5", memory: 64M }
        reservations: { cpus: "0.1", memory: 16M }
      restart_policy: { condition: on-failure, delay: 1s, max_attempts: 3, window: 10s }
      update_config: { parallelism: 2, delay: 1s, order: stop-first, monitor: 1s }
      rollback_config: { parallelism: 1, monitor: 1s }
      labels:
        tier: front
  client:
    image: shoal/busybox:latest
    command: ["sleep", "3600"]
    deploy:
      replicas: 1
      placement:
        constraints: ["engine.labels.status == master"]
volumes:
  data:
`;
}

const kinds = (process.env.SHOAL_SWARM_STORES ?? 'consul').split(',');

for (const kind of kinds) {
  t.test(`docker stack on ${kind}`, async (t) => {
    const { config } = await swarmSetup(t, kind, 'mgstk');
    const tm: TestManager = await startTestManager(config);
    t.teardown(() => tm.stop());
    const docker = (args: string[], reject = true) => tm.docker(args, { reject });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stk-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string) => {
      const p = path.join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const stack = `stk${suffix()}`;
    const stacks = [stack, `${stack}s`, `${stack}h`, `${stack}u`];
    // whatever a failed run left: task containers, bridges and volumes of these stacks on the engines
    t.teardown(async () => {
      for (const e of engines)
        for (const s of stacks) {
          const ps = await e.cli(['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${s}`], { reject: false });
          for (const id of ps.stdout.split('\n').filter(Boolean)) await e.cli(['rm', '-f', id], { reject: false });
          await e.cli(['network', 'rm', `${s}_default`], { reject: false });
          await e.cli(['volume', 'rm', `${s}_data`], { reject: false });
        }
    });

    /** `stack services` as `name replicas`, one per line. */
    const services = async (s: string) =>
      (await docker(['stack', 'services', s, '--format', '{{.Name}} {{.Replicas}}'], false)).stdout
        .split('\n')
        .filter(Boolean)
        .sort();
    const taskContainers = async (s: string, e = engine1) =>
      (
        await e.cli([
          'ps',
          '--filter',
          `label=com.docker.stack.namespace=${s}`,
          '--format',
          '{{.ID}} {{.Label "com.docker.swarm.service.name"}}',
        ])
      ).stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => ({ id: l.split(' ')[0]!, service: l.split(' ')[1]! }));
    /** What `web` answers to a client task, asked by `host` over the stack's bridge on engine 1. */
    const ask = async (host: string) => {
      const client = (await taskContainers(stack)).find((c) => c.service === `${stack}_client`);
      if (!client) return '';
      const r = await engine1.cli(
        ['exec', client.id, 'sh', '-c', `printf 'GET /i HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} 80`],
        { reject: false },
      );
      return r.stdout;
    };

    t.test('stack deploy creates the network and both services; ls, services, ps show them', async (t) => {
      await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      for (const p of ['secrets', 'configs']) {
        const ls = await docker([p.slice(0, -1), 'ls', '--format', '{{.Name}}']);
        t.equal(ls.stdout, '', `${p}: GET /${p} answers []`);
      }
      const r = await docker(['stack', 'deploy', '-c', file('stack.yml', compose(2, 'hello')), stack]);
      t.match(r.stdout, new RegExp(`Creating network ${stack}_default`));
      t.match(r.stdout, new RegExp(`Creating service ${stack}_web`));
      t.match(r.stdout, new RegExp(`Creating service ${stack}_client`));
      await waitUntil(
        async () => (await services(stack)).join(',') === `${stack}_client 1/1,${stack}_web 2/2`,
        180_000,
        'the stack converged',
      );
      const ls = await docker(['stack', 'ls', '--format', '{{.Name}} {{.Services}}']);
      t.match(ls.stdout, new RegExp(`^${stack} 2$`, 'm'));
      const ps = await docker(['stack', 'ps', stack, '--format', '{{.Name}} {{.DesiredState}} {{.CurrentState}}']);
      const rows = ps.stdout.split('\n').filter(Boolean);
      t.equal(rows.length, 3, ps.stdout);
      t.ok(
        rows.every((l) => / Running Running /.test(l)),
        ps.stdout,
      );
      t.same(rows.map((l) => l.split(' ')[0]).sort(), [`${stack}_client.1`, `${stack}_web.1`, `${stack}_web.2`]);
    });

    t.test('the cluster network: listed by label, inspected as an overlay of the swarm', async (t) => {
      const ls = await docker([
        'network',
        'ls',
        '--filter',
        `label=com.docker.stack.namespace=${stack}`,
        '--format',
        '{{.Name}} {{.Driver}} {{.Scope}}',
      ]);
      t.equal(ls.stdout.trim(), `${stack}_default overlay swarm`);
      const net = JSON.parse((await docker(['network', 'inspect', `${stack}_default`])).stdout)[0];
      t.equal(net.Scope, 'swarm');
      t.equal(net.Driver, 'overlay');
      t.equal(net.Labels['com.docker.stack.namespace'], stack);
      const svc = JSON.parse((await docker(['service', 'inspect', `${stack}_web`])).stdout)[0];
      t.same(svc.Spec.TaskTemplate.Networks, [{ Target: net.Id, Aliases: ['web'] }], 'the target is stored as the ID');
      t.equal(svc.Spec.Labels.tier, 'front');
      t.equal(svc.Spec.Labels['com.docker.stack.namespace'], stack);
      t.same(svc.Spec.TaskTemplate.Placement.Constraints, ['engine.labels.status == master']);
      t.same(svc.Spec.TaskTemplate.RestartPolicy, {
        Condition: 'on-failure',
        Delay: 1e9,
        MaxAttempts: 3,
        Window: 10e9,
      });
      t.equal(svc.Spec.UpdateConfig.Parallelism, 2);
      t.equal(svc.Spec.RollbackConfig.Monitor, 1e9);
      t.same(svc.Endpoint.Ports, [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 18081, PublishMode: 'ingress' }]);
    });

    t.test('task containers: on a same-named bridge on their node, labelled, with the compose keys', async (t) => {
      const bridge = JSON.parse((await engine1.cli(['network', 'inspect', `${stack}_default`])).stdout)[0];
      t.equal(bridge.Driver, 'bridge');
      const onIt = new Set(Object.keys(bridge.Containers ?? {}));
      const tasks = await taskContainers(stack);
      t.equal(tasks.length, 3);
      const web = tasks.find((c) => c.service === `${stack}_web`)!;
      const c = JSON.parse((await engine1.cli(['inspect', web.id])).stdout)[0];
      t.ok(onIt.has(c.Id), 'the task container is on the bridge');
      t.ok(c.NetworkSettings.Networks[`${stack}_default`].Aliases.includes(`${stack}_web`), 'aliased by service name');
      t.equal(c.Config.Labels['com.docker.stack.namespace'], stack);
      t.equal(c.Config.Labels.tier, 'front-container');
      t.ok(c.Config.Env.includes('GREETING=hello'));
      t.equal(c.HostConfig.Memory, 64 * 1024 * 1024);
      t.equal(c.HostConfig.NanoCpus, 5e8);
      t.same(c.Config.Healthcheck.Test, ['CMD', 'true']);
      t.ok(
        c.Mounts.some((m: any) => m.Type === 'volume' && m.Name === `${stack}_data` && m.Destination === '/data'),
        'the named volume',
      );
      t.ok(
        c.HostConfig.Mounts.some((m: any) => m.Type === 'tmpfs' && m.Target === '/scratch'),
        'the tmpfs mount',
      );
      t.ok(c.HostConfig.PortBindings['80/tcp'], 'the ingress port is published on the node');
    });

    t.test('one service reaches the other by service name (and compose alias) on the node', async (t) => {
      await waitUntil(async () => (await ask(`${stack}_web`)).includes('web-hello'), 60_000, 'web answers');
      t.match(await ask(`${stack}_web`), /200 OK[\s\S]*web-hello/);
      t.match(await ask('web'), /web-hello/);
    });

    t.test('a re-deploy with changed replicas and env updates the services', async (t) => {
      const r = await docker(['stack', 'deploy', '-c', file('stack2.yml', compose(3, 'changed')), stack]);
      t.match(r.stdout, new RegExp(`Updating service ${stack}_web \\(id: [0-9a-z]{25}\\)`));
      t.match(r.stdout, new RegExp(`Updating service ${stack}_client`));
      t.notMatch(r.stdout, /Creating network/);
      await waitUntil(
        async () => {
          if ((await services(stack)).join(',') !== `${stack}_client 1/1,${stack}_web 3/3`) return false;
          const web = (await taskContainers(stack)).filter((c) => c.service === `${stack}_web`);
          if (web.length !== 3) return false;
          const envs = await Promise.all(
            web.map(async (c) => (await engine1.cli(['inspect', '-f', '{{json .Config.Env}}', c.id])).stdout),
          );
          return envs.every((e) => e.includes('GREETING=changed'));
        },
        240_000,
        '3 web tasks with the new env',
      );
      await waitUntil(async () => (await ask(`${stack}_web`)).includes('web-changed'), 60_000, 'the new web answers');
      const svc = JSON.parse((await docker(['service', 'inspect', `${stack}_web`])).stdout)[0];
      t.equal(svc.Spec.Mode.Replicated.Replicas, 3);
      const nets = await docker(['network', 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '-q']);
      t.equal(nets.stdout.trim().split('\n').length, 1, 'the network was not made again');
    });

    t.test('stack rm removes services, task containers, the network and the bridge', async (t) => {
      const r = await docker(['stack', 'rm', stack]);
      t.match(r.stdout, new RegExp(`Removing service ${stack}_client`));
      t.match(r.stdout, new RegExp(`Removing service ${stack}_web`));
      t.match(r.stdout, new RegExp(`Removing network ${stack}_default`));
      t.same(await services(stack), []);
      const ls = await docker(['network', 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '-q']);
      t.equal(ls.stdout.trim(), '');
      await waitUntil(
        async () => {
          for (const e of engines) if ((await taskContainers(stack, e)).length > 0) return false;
          const nets = await engine1.cli(['network', 'ls', '--filter', `name=${stack}_default`, '-q']);
          return nets.stdout.trim() === '';
        },
        180_000,
        'no task container and no bridge left',
      );
      const again = await docker(['stack', 'rm', stack]);
      t.match(again.stderr, new RegExp(`Nothing found in stack: ${stack}`));
    });

    t.test('a compose file with secrets is refused with a clear error', async (t) => {
      const s = `${stack}s`;
      file('secret.txt', 'x');
      const yml = file(
        'secrets.yml',
        `
services:
  app:
    image: shoal/busybox:latest
    command: ["sleep", "3600"]
    secrets: [token]
secrets:
  token:
    file: ./secret.txt
`,
      );
      const r = await docker(['stack', 'deploy', '-c', yml, s], false);
      t.equal(r.exitCode, 1);
      t.match(r.stderr, /failed to create secret .*token.*does not support swarm secrets/);
      t.same(await services(s), [], 'no service created');
      const rm = await docker(['stack', 'rm', s]);
      t.match(rm.stdout, new RegExp(`Removing network ${s}_default`));
    });

    t.test('an unsupported compose key is named', async (t) => {
      const s = `${stack}u`;
      const yml = file(
        'unsupported.yml',
        `
services:
  app:
    image: shoal/busybox:latest
    command: ["sleep", "3600"]
    extra_hosts: ["db:10.0.0.1"]
`,
      );
      const r = await docker(['stack', 'deploy', '-c', yml, s], false);
      t.equal(r.exitCode, 1);
      t.match(r.stderr, /TaskTemplate\.ContainerSpec\.Hosts: not supported by shoal .*extra_hosts/);
      t.same(await services(s), []);
      await docker(['stack', 'rm', s]);
    });

    t.test('a deploy failing half-way leaves what it created listed; stack rm removes it', async (t) => {
      const s = `${stack}h`;
      // both ask for ingress port 18090: whichever the CLI creates first gets it, the other is refused
      const svc = (n: string) => `
  ${n}:
    image: shoal/busybox:latest
    command: ["sleep", "3600"]
    ports: ["18090:80"]
    deploy:
      placement:
        constraints: ["engine.labels.status == master"]`;
      const yml = file('half.yml', `services:${svc('one')}${svc('two')}\n`);
      const r = await docker(['stack', 'deploy', '-c', yml, s], false);
      t.equal(r.exitCode, 1);
      t.match(r.stderr, /port '18090' is already in use by service/);
      const listed = await services(s);
      t.equal(listed.length, 1, listed.join('\n'));
      t.match(listed[0], new RegExp(`^${s}_(one|two) `));
      await waitUntil(async () => (await taskContainers(s)).length === 1, 120_000, 'its task runs');
      const rm = await docker(['stack', 'rm', s]);
      t.match(rm.stdout, new RegExp(`Removing service ${s}_(one|two)`));
      t.match(rm.stdout, new RegExp(`Removing network ${s}_default`));
      t.same(await services(s), []);
      await waitUntil(
        async () =>
          (await taskContainers(s)).length === 0 &&
          (await engine1.cli(['network', 'ls', '--filter', `name=${s}_default`, '-q'])).stdout.trim() === '',
        180_000,
        'its task container and bridge removed',
      );
    });
  });
}
