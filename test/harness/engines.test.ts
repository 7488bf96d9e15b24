import t from 'tap';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { busyboxImage, engine, testEngineCommands, STATE_DIR, type EngineHandle } from './index.js';

const suffix = randomBytes(3).toString('hex');

t.test('three shared engines: own hostnames, labels and containers', async (t) => {
  const engines: EngineHandle[] = [];
  for (const n of [1, 2, 3]) engines.push(await engine(n));
  const infos = await Promise.all(engines.map((e) => e.docker.info()));
  t.same(
    infos.map((i) => i.Name),
    ['dockerhost01', 'dockerhost02', 'dockerhost03'],
  );
  t.same(infos[0].Labels.sort(), ['disk=ssd', 'status=master', 'zone=external']);
  t.same(infos[1].Labels.sort(), ['disk=hdd', 'status=worker', 'zone=external']);
  t.same(infos[2].Labels.sort(), ['disk=ssd', 'status=worker', 'zone=internal']);
  // each engine has its own containerd: a container made on one is not seen by the others
  const e1 = engines[0] as EngineHandle;
  await busyboxImage(e1);
  const name = `harness-sep-${suffix}`;
  await e1.cli(['create', '--name', name, 'shoal/busybox:latest', 'sleep', '60']);
  t.teardown(() => e1.cli(['rm', '-f', name], { reject: false }));
  const seen = await Promise.all(
    engines.map(async (e) => (await e.docker.listContainers({ all: true })).some((c) => c.Names.includes(`/${name}`))),
  );
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
    body = await fetch('http://127.0.1.2:8080/').then(
      (r) => r.text(),
      () => '',
    );
    if (body === '') await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(body, 'shoal busybox\n');
  const inspect = await e.docker.getContainer(name).inspect();
  t.equal(inspect.NetworkSettings.Ports['80/tcp']?.[0]?.HostIp, '127.0.1.2');
  t.match(inspect.NetworkSettings.Networks.bridge?.IPAddress, /^172\.31\.2\./);
});

t.test("an engine's command lines: shoal up's launcher and labels, the harness's paths and names", async (t) => {
  const c = testEngineCommands(5, ['--label', 'extra=1']);
  t.same(c.containerd, { cmd: 'containerd', args: ['--config', path.join(STATE_DIR, 'docker5', 'containerd.toml')] });
  t.equal(c.dockerd.cmd, 'unshare');
  const sh = c.dockerd.args.at(-1) as string;
  t.match(sh, /^hostname dockerhost05; exec dockerd /);
  for (const arg of [
    "'unix:///run/shoal-test/docker5.sock'",
    "'tcp://127.0.1.5:2375'",
    "'--bridge=shoalbr5'",
    "'--ip=127.0.1.5'",
    "'--containerd-namespace' 'shoal5'",
    "'--data-root' '/var/lib/shoal-test/docker5'",
    "'--storage-driver=vfs'",
    "'--ipv6' '--fixed-cidr-v6=fd00:31:5::/64'",
    // engines past the seed's three are plain workers, as `shoal up --engines 5` labels them
    "'--label' 'zone=internal' '--label' 'disk=hdd' '--label' 'status=worker'",
    "'--label' 'extra=1'",
  ])
    t.ok(sh.includes(arg), arg);
});
