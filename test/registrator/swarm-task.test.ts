/**
 * A swarm task container, created on a real engine from the body `shoal manage` builds for it, is registered
 * by a real registrator under its service name (`com.docker.swarm.service.name`) on the ephemeral host port
 * the engine bound for its ingress port: the same key a classic `-e SERVICE_NAME=<svc> -p 80` container
 * gets, so the edge routes `<svc>.<domain>` to it. An explicit SERVICE_NAME on a task still wins.
 */
import t from 'tap';
import { containerCreate } from '../../agents/manage/services/container.js';
import type { NodeFacts } from '../../agents/manage/services/constraints.js';
import { parseServiceSpec } from '../../agents/manage/services/spec.js';
import { specKey } from '../../agents/manage/services/speckey.js';
import { busyboxImage, engine, type EngineHandle } from '../harness/engines.js';
import { asObject, liveBackends, rand, readerFor, startRegistrator, storeAddress, waitEntries } from './helpers.js';

const E = 1;
const [b] = await liveBackends(['consul']);

async function hostPort(e: EngineHandle, name: string): Promise<string> {
  return ((await e.cli(['port', name, '80/tcp'])).stdout.split('\n')[0] ?? '').trim();
}

t.test(`a task container registers under its service name (${b})`, async (t) => {
  const e = await engine(E);
  const image = await busyboxImage(e);
  const s = rand();
  const svc = `web${s}`;
  const root = `shoaltest-regtask-${s}`;
  const uri = `${b}://${await storeAddress(b!)}/${root}/services`;
  const names: string[] = [];
  t.teardown(async () => {
    if (names.length) await e.cli(['rm', '-f', ...names], { reject: false });
  });
  const store = await readerFor(uri);
  t.teardown(async () => {
    await store.deleteTree('').catch(() => undefined);
    await store.close();
  });

  const node: NodeFacts = {
    id: 'n1',
    hostname: e.name,
    role: 'manager',
    labels: {},
    engineLabels: {},
    platform: { os: 'linux', arch: 'amd64' },
  };
  const createTask = async (slot: number, env: string[] = []) => {
    const spec = parseServiceSpec({
      Name: svc,
      TaskTemplate: { ContainerSpec: { Image: image, Args: ['httpd', '-f', '-p', '80'], Env: env } },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 30080, PublishMode: 'ingress' }] },
    });
    const task = { id: `t${s}${slot}`, serviceId: `s${s}`, slot, nodeId: 'n1', specKey: specKey(spec) };
    const { name, body } = containerCreate(task, spec, node);
    // The body as the orchestrator posts it; dockerode sends `name` as the query parameter.
    const c = await e.docker.createContainer({ ...body, name } as Parameters<typeof e.docker.createContainer>[0]);
    names.push(name);
    await c.start();
    return name;
  };
  const one = await createTask(1);
  const two = await createTask(2, ['SERVICE_NAME=named' + s]);
  const classic = `classic-${s}`;
  names.push(classic);
  await e.cli([
    'run',
    '-d',
    '--name',
    classic,
    '-e',
    `SERVICE_NAME=${svc}`,
    '-p',
    '80',
    image,
    'httpd',
    '-f',
    '-p',
    '80',
  ]);

  const reg = startRegistrator(uri, { dockerHost: e.dockerHost });
  t.teardown(() => reg.stop());
  const mine = (kv: { key: string }) => kv.key.includes(s);
  const got = await waitEntries(store, (kvs) => kvs.length === 3, 30_000, mine);
  const [p1, p2, pc] = [await hostPort(e, one), await hostPort(e, two), await hostPort(e, classic)];
  t.match(p1, /^127\.0\.1\.1:\d+$/, 'the ingress port is bound on the engine address, on an ephemeral port');
  t.same(asObject(got), {
    [`${svc}-80/dockerhost01:${one}:80`]: p1,
    [`named${s}-80/dockerhost01:${two}:80`]: p2,
    [`${svc}-80/dockerhost01:${classic}:80`]: pc,
  });
});
