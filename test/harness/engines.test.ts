import t from 'tap';
import { randomBytes } from 'node:crypto';
import { busyboxImage, engine, type EngineHandle } from './index.js';

const suffix = randomBytes(3).toString('hex');

t.test('three shared engines: own hostnames, labels and containers', async (t) => {
  const engines: EngineHandle[] = [];
  for (const n of [1, 2, 3]) engines.push(await engine(n));
  const infos = await Promise.all(engines.map((e) => e.docker.info()));
  t.same(infos.map((i) => i.Name), ['dockerhost01', 'dockerhost02', 'dockerhost03']);
  t.same(infos[0].Labels.sort(), ['disk=ssd', 'status=master', 'zone=external']);
  t.same(infos[1].Labels.sort(), ['disk=hdd', 'status=worker', 'zone=external']);
  t.same(infos[2].Labels.sort(), ['disk=ssd', 'status=worker', 'zone=internal']);
  // each engine has its own containerd: a container made on one is not seen by the others
  const e1 = engines[0] as EngineHandle;
  await busyboxImage(e1);
  const name = `harness-sep-${suffix}`;
  await e1.cli(['create', '--name', name, 'shoal/busybox:latest', 'sleep', '60']);
  t.teardown(() => e1.cli(['rm', '-f', name], { reject: false }));
  const seen = await Promise.all(engines.map(async (e) => (await e.docker.listContainers({ all: true })).some((c) => c.Names.includes(`/${name}`))));
  t.same(seen, [true, false, false]);
  // the TCP API answers too, with the same engine behind it
  const res = await fetch(`http://${engines[1]?.tcp}/info`);
  t.equal(((await res.json()) as { Name: string }).Name, 'dockerhost02');
});

t.test('a published port on engine 2 answers on 127.0.1.2', async (t) => {
  const e = await engine(2);
  const image = await busyboxImage(e);
  const name = `harness-http-${suffix}`;
  await e.cli(['run', '-d', '--name', name, '-p', '8080:80', image, 'httpd', '-f', '-p', '80', '-h', '/www']);
  t.teardown(() => e.cli(['rm', '-f', name], { reject: false }));
  let body = '';
  for (let i = 0; i < 50 && body === ''; i++) {
    body = await fetch('http://127.0.1.2:8080/').then((r) => r.text(), () => '');
    if (body === '') await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(body, 'shoal busybox\n');
  const inspect = await e.docker.getContainer(name).inspect();
  t.equal(inspect.NetworkSettings.Ports['80/tcp']?.[0]?.HostIp, '127.0.1.2');
  t.match(inspect.NetworkSettings.Networks.bridge?.IPAddress, /^172\.31\.2\./);
});
