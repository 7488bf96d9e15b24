/**
 * Swarm-mode services routed by the edge, end to end: a real `shoal manage` over the 3 harness engines, the
 * stock docker CLI creating a 2-replica service with `-p 80`, a real registrator per engine and HAProxy rendered
 * by `shoal render` from the same store. Each task publishes its target port on an ephemeral host port, the
 * registrator keys it under the service name, and `Host: <service>.<domain>` reaches both tasks. `service ls`
 * shows the assigned ingress port as Docker does (`*:30000->80/tcp`), and a second service asking for that
 * published port is refused.
 */
import t from 'tap';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../agents/store/open.js';
import { RenderCore } from '../../agents/render/core.js';
import { silentLogger } from '../../agents/common/log.js';
import { service } from '../harness/index.js';
import { freePort, proxy } from '../harness/proxies.js';
import { startRegistrator, waitEntries } from '../registrator/helpers.js';
import { nextResult, renderConfig } from '../render/helpers.js';
import { managerConfig, sharedEngines, startTestManager, suffix, waitUntil } from './helpers.js';

const engines = await sharedEngines();
const ENGINES = ['127.0.1.1:2375', '127.0.1.2:2375', '127.0.1.3:2375'];

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/', headers: { host }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

t.test('a swarm service created with the stock CLI is routed by Host to every task', async (t) => {
  const consul = await service('consul', 'main');
  const root = `mgroute${suffix()}`;
  const uri = `consul://${consul.address}/${root}`;
  const store = await openStore(uri, { timeoutMs: 5000 });
  t.teardown(async () => {
    await store.deleteTree('').catch(() => {});
    await store.close();
  });
  for (const a of ENGINES) await store.put(a, a);
  const caDir = mkdtempSync(path.join(os.tmpdir(), 'mgroute-ca-'));
  t.teardown(() => rmSync(caDir, { recursive: true, force: true }));
  const port = await freePort();
  const tm = await startTestManager(
    managerConfig(uri, { hosts: [{ kind: 'tcp', host: '127.0.0.1', port }], swarmCaDir: caDir }),
  );
  t.teardown(() => tm.stop());
  const docker = (args: string[], reject = true) => tm.docker(args, { reject });
  const name = `web${suffix()}`;
  const cleanup = async () => {
    for (const e of engines) {
      const ids = (await e.cli(['ps', '-aq', '--filter', `label=com.docker.swarm.service.name=${name}`])).stdout;
      const list = ids.split('\n').filter(Boolean);
      if (list.length) await e.cli(['rm', '-f', ...list], { reject: false });
    }
  };
  t.teardown(cleanup);

  for (const e of engines) {
    const reg = startRegistrator(`${uri}/services`, { dockerHost: e.dockerHost, ip: e.ip });
    t.teardown(() => reg.stop());
  }

  await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  const script = 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www';
  const created = await docker(
    ['service', 'create', '--name', name, '--replicas', '2', '-p', '80'].concat(['shoal/busybox', 'sh', '-c', script]),
  );
  t.match(created.stdout, /overall progress: 2 out of 2 tasks/);

  const ls = await docker(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Name}} {{.Ports}}']);
  t.equal(ls.stdout.trim(), `${name} *:30000->80/tcp`, 'service ls PORTS: the assigned ingress port');
  const inspect = JSON.parse((await docker(['service', 'inspect', name])).stdout) as any[];
  t.same(inspect[0].Endpoint.Ports, [
    { Protocol: 'tcp', TargetPort: 80, PublishedPort: 30000, PublishMode: 'ingress' },
  ]);
  const taken = await docker(
    ['service', 'create', '--detach', '--name', `${name}b`, '-p', '30000:80', 'shoal/busybox'],
    false,
  );
  t.not(taken.exitCode, 0);
  t.match(taken.stderr, /port '30000' is already in use by service '.+' \(.+\) as an ingress port/);

  // both tasks registered under the service name, at their engine's address and ephemeral port
  const services = await openStore(`${uri}/services`, { timeoutMs: 5000 });
  t.teardown(() => services.close());
  const entries = await waitEntries(
    services,
    (kvs) => kvs.length === 2,
    60_000,
    (kv) => kv.key.startsWith(`${name}-80/`),
  );
  for (const kv of entries) t.match(kv.value, /^127\.0\.1\.[123]:\d+$/, kv.key);

  const hap = await proxy('haproxy');
  t.teardown(() => hap.stop());
  const core = new RenderCore(
    renderConfig(
      [
        {
          source: path.resolve('templates/haproxy.cfg.hbs'),
          destination: hap.config,
          check: hap.check,
          reload: hap.reload,
        },
      ],
      { wait: { minMs: 100, maxMs: 400 } },
    ),
    { store: services, log: silentLogger(), env: { PATH: process.env.PATH, ...hap.env } },
  );
  const first = nextResult(core, (r) => r.destination === hap.config);
  await core.start();
  t.teardown(() => core.stop());
  await first;
  await hap.start();

  // the task containers' hostnames are what each one serves
  const hostnames = new Set<string>();
  for (const e of engines) {
    const r = await e.cli(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${name}`]);
    for (const id of r.stdout.split('\n').filter(Boolean))
      hostnames.add((await e.cli(['inspect', '-f', '{{.Config.Hostname}}', id])).stdout.trim());
  }
  t.equal(hostnames.size, 2, 'two running tasks');
  const seen = new Set<string>();
  await waitUntil(async () => {
    const r = await get(hap.port, `${name}.shoal.test`).catch(() => ({ status: 0, body: '' }));
    if (r.status === 200) seen.add(r.body.trim());
    return seen.size === 2;
  }, 30_000);
  t.same([...seen].sort(), [...hostnames].sort(), 'Host: <service>.shoal.test answered by both tasks');
});
