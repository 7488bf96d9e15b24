/**
 * Published ingress ports under concurrency, against a real `shoal manage` and store (consul, etcd): two
 * `service create -p P:80` sent at once (through two managers on one store) give one service and one
 * Docker-style 400 naming the port, with nothing of the loser written; two creates of `-p 80` at once get two
 * different ports; `service update` moves the port claim and `service rm` frees it.
 */
import t from 'tap';
import { PORTS_PREFIX, portKey } from '../../agents/manage/orchestrator/port-claims.js';
import { NAMES_PREFIX, SERVICES_PREFIX } from '../../agents/manage/orchestrator/store.js';
import { swarmSetup } from './swarm-setup.js';
import { startTestManager, suffix, type TestManager } from './helpers.js';
import { freePort } from '../harness/proxies.js';

async function call(host: string, method: string, p: string, body?: unknown) {
  const res = await fetch(`${host.replace(/^tcp:/, 'http:')}/v1.41${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, any> };
}

/** A service of no replicas (no containers are made) publishing `published` (0: from the range) for port 80. */
const spec = (name: string, published: number) => ({
  Name: name,
  TaskTemplate: { ContainerSpec: { Image: 'shoal/busybox', Args: ['sleep', '1d'] } },
  Mode: { Replicated: { Replicas: 0 } },
  EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: published, PublishMode: 'ingress' }] },
});

const kinds = (process.env.SHOAL_SWARM_STORES ?? 'consul,etcd').split(',');

for (const kind of kinds) {
  t.test(`ingress port claims on ${kind}`, async (t) => {
    const { store, config } = await swarmSetup(t, kind, 'mgports');
    const a: TestManager = await startTestManager(config);
    t.teardown(() => a.stop());
    const port2 = await freePort();
    const b: TestManager = await startTestManager({
      ...config,
      hosts: [{ kind: 'tcp', host: '127.0.0.1', port: port2 }],
    });
    t.teardown(() => b.stop());
    await a.docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
    const published = async () =>
      (await store.list(SERVICES_PREFIX)).map((kv) => JSON.parse(kv.value) as { id: string; endpointPorts: any[] });

    t.test('two creates of one port at once: one service, one 400 naming the port', async (t) => {
      for (let round = 0; round < 4; round++) {
        const port = 18080 + round;
        const names = [`pa${round}${suffix()}`, `pb${round}${suffix()}`];
        const [r1, r2] = await Promise.all([
          call(a.host, 'POST', '/services/create', spec(names[0]!, port)),
          call(b.host, 'POST', '/services/create', spec(names[1]!, port)),
        ]);
        const codes = [r1.status, r2.status].sort();
        t.same(codes, [201, 400], `round ${round}: one create wins`);
        const [won, lost] = r1.status === 201 ? [r1, r2] : [r2, r1];
        const winner = won.json().ID as string;
        t.match(
          lost.json().message,
          new RegExp(`port '${port}' is already in use by service '.+' \\(${winner}\\) as an ingress port`),
        );
        const holding = (await published()).filter((s) => s.endpointPorts.some((p) => p.PublishedPort === port));
        t.same(
          holding.map((s) => s.id),
          [winner],
          'only the winner publishes the port',
        );
        const loserName = names[r1.status === 201 ? 1 : 0]!;
        t.equal(await store.get(`${NAMES_PREFIX}/${loserName}`), undefined, "the loser's name claim is released");
        t.equal(JSON.parse((await store.get(portKey({ port, protocol: 'tcp' })))!).service, winner);
      }
    });

    t.test('two creates of a range port at once get two ports', async (t) => {
      for (let round = 0; round < 3; round++) {
        const rs = await Promise.all([
          call(a.host, 'POST', '/services/create', spec(`da${round}${suffix()}`, 0)),
          call(b.host, 'POST', '/services/create', spec(`db${round}${suffix()}`, 0)),
        ]);
        t.same(
          rs.map((r) => r.status),
          [201, 201],
        );
        const ids = rs.map((r) => r.json().ID as string);
        const mine = (await published()).filter((s) => ids.includes(s.id));
        const ports = mine.map((s) => s.endpointPorts[0].PublishedPort as number);
        t.equal(new Set(ports).size, 2, `round ${round}: two different ports ${ports.join(', ')}`);
        for (const p of ports) t.ok(p >= 30000 && p <= 32767);
      }
    });

    t.test('update moves the claim, rm frees it', async (t) => {
      const name = `mv${suffix()}`;
      const r = await call(a.host, 'POST', '/services/create', spec(name, 18100));
      t.equal(r.status, 201, r.text);
      const id = r.json().ID as string;
      const upd = await call(a.host, 'POST', `/services/${id}/update?version=1`, spec(name, 18101));
      t.equal(upd.status, 200, upd.text);
      t.equal(await store.get(portKey({ port: 18100, protocol: 'tcp' })), undefined, 'the old port is free');
      t.equal(JSON.parse((await store.get(portKey({ port: 18101, protocol: 'tcp' })))!).service, id);
      const other = await call(b.host, 'POST', '/services/create', spec(`o${suffix()}`, 18101));
      t.equal(other.status, 400, 'the moved-to port is taken');
      t.equal((await call(a.host, 'DELETE', `/services/${id}`)).status, 200);
      t.notOk(
        (await store.list(PORTS_PREFIX)).some((kv) => JSON.parse(kv.value).service === id),
        'rm released every claim of the service',
      );
      const again = await call(b.host, 'POST', '/services/create', spec(`o${suffix()}`, 18101));
      t.equal(again.status, 201, again.text);
    });
  });
}
