/** The HTTP surface: ping/version headers, unsupported and unknown endpoints, malformed bodies, unix sockets, images, networks, volumes, events, archive. */
import t from 'tap';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cleanup,
  dockerCli,
  ENGINE_ADDRS,
  IMAGE,
  managerConfig,
  sharedEngines,
  startTestManager,
  suffix,
} from './helpers.js';

const engines = await sharedEngines();
const P = `mgapi${suffix()}`;
const sockDir = mkdtempSync(path.join(os.tmpdir(), 'mgapi-'));
const sock = path.join(sockDir, 'manage.sock');
const tm = await startTestManager(
  managerConfig(ENGINE_ADDRS, {
    hosts: [
      { kind: 'tcp', host: '127.0.0.1', port: 0 },
      { kind: 'unix', path: sock },
    ],
  }),
);
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
  for (const e of engines) await e.cli(['network', 'rm', `${P}-net`], { reject: false });
  for (const e of engines) await e.cli(['volume', 'rm', `${P}-vol`], { reject: false });
});
const port = Number(/:(\d+)$/.exec(tm.host)?.[1]);

function call(
  method: string,
  p: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: p, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

t.test('/_ping answers OK with API-Version; /version names shoal', async (t) => {
  const ping = await call('GET', '/_ping');
  t.equal(ping.status, 200);
  t.equal(ping.text, 'OK');
  t.match(ping.headers['api-version'], /^1\.\d+$/);
  const head = await call('HEAD', '/_ping');
  t.equal(head.status, 200);
  const v = JSON.parse((await call('GET', '/v1.41/version')).text);
  t.match(v.Version, /^swarm\/1\.2\.9 \(shoal \d+\.\d+\.\d+\)$/);
  t.equal(v.ApiVersion, ping.headers['api-version']);
});

t.test('unsupported endpoints: 501 naming the endpoint; unknown ones 404; JSON errors', async (t) => {
  const swarm = await call('GET', '/v1.41/swarm');
  t.equal(swarm.status, 501);
  t.match(JSON.parse(swarm.text).message, /GET \/swarm is not supported/);
  t.equal((await call('POST', '/v1.41/plugins/pull')).status, 501);
  t.equal((await call('GET', '/v1.41/distribution/shoal/busybox/json')).status, 501);
  t.equal((await call('POST', '/v1.41/build?buildargs=nope')).status, 400, 'build is served; bad buildargs are a 400');
  const nope = await call('GET', '/v1.41/nonsense/thing');
  t.equal(nope.status, 404);
  t.match(JSON.parse(nope.text).message, /GET \/nonsense\/thing is not supported/);
});

t.test('malformed bodies answer 400; unknown containers 404; the manager keeps serving', async (t) => {
  const bad = await call('POST', '/v1.41/containers/create', '{"Image": ');
  t.equal(bad.status, 400);
  t.match(JSON.parse(bad.text).message, /malformed JSON body/);
  t.equal((await call('POST', '/v1.41/containers/create', '[1,2]')).status, 400);
  t.equal(
    (await call('POST', '/v1.41/containers/create', JSON.stringify({ Image: IMAGE, Env: ['constraint:zone'] }))).status,
    400,
  );
  t.equal(
    (
      await call(
        'POST',
        `/v1.41/containers/create?name=${encodeURIComponent('bad name!')}`,
        JSON.stringify({ Image: IMAGE }),
      )
    ).status,
    400,
  );
  t.equal((await call('GET', '/v1.41/containers/json?filters=notjson')).status, 400);
  const missing = await call('POST', `/v1.41/containers/${P}-ghost/start`);
  t.equal(missing.status, 404);
  t.match(JSON.parse(missing.text).message, /No such container/);
  t.equal((await call('GET', '/_ping')).status, 200);
});

t.test('the unix socket listener serves the same API', async (t) => {
  const r = await dockerCli(`unix://${sock}`, ['info', '--format', '{{.ServerVersion}}']);
  t.match(r.stdout.trim(), /^swarm\/1\.2\.9 \(shoal /);
});

t.test('images: listed across nodes, tagged and removed where they are', async (t) => {
  const list = (await tm.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout;
  t.match(list, /shoal\/busybox:latest/);
  await tm.docker(['tag', IMAGE, `${P}/img:one`]);
  for (const e of engines)
    t.match((await e.cli(['images', '-q', `${P}/img:one`])).stdout.toString(), /\w+/, `tagged on ${e.name}`);
  await tm.docker(['rmi', `${P}/img:one`]);
  for (const e of engines)
    t.equal((await e.cli(['images', '-q', `${P}/img:one`])).stdout.toString().trim(), '', `removed on ${e.name}`);
  const pull = await tm.docker(['pull', `${P}/not-here:latest`], { reject: false });
  t.not(pull.exitCode, 0, 'no registry is reachable: the pull fails, through every node');
});

t.test('networks and volumes per node', async (t) => {
  // one network per create, as in classic Swarm: one on each node
  for (const n of [1, 2, 3]) await tm.docker(['network', 'create', `dockerhost0${n}/${P}-net`]);
  const nets = (await tm.docker(['network', 'ls', '--format', '{{.Name}}'])).stdout;
  for (const n of [1, 2, 3]) t.match(nets, new RegExp(`dockerhost0${n}/${P}-net`));
  await tm.docker(['network', 'rm', `dockerhost02/${P}-net`]);
  t.equal((await engines[1]!.cli(['network', 'ls', '-q', '--filter', `name=${P}-net`])).stdout.toString().trim(), '');
  t.not((await engines[0]!.cli(['network', 'ls', '-q', '--filter', `name=${P}-net`])).stdout.toString().trim(), '');
  await tm.docker(['volume', 'create', `dockerhost03/${P}-vol`]);
  const vols = (await tm.docker(['volume', 'ls', '--format', '{{.Name}}'])).stdout;
  t.match(vols, new RegExp(`dockerhost03/${P}-vol`));
  t.notMatch(vols, new RegExp(`dockerhost01/${P}-vol`));
  await tm.docker(['volume', 'rm', `${P}-vol`]);
  t.equal((await engines[2]!.cli(['volume', 'ls', '-q', '--filter', `name=${P}-vol`])).stdout.toString().trim(), '');
});

t.test('events from every node, merged and tagged with the node', async (t) => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await tm.docker(['run', '-d', '--name', `${P}-ev1`, '-e', 'constraint:node==dockerhost01', IMAGE, 'true']);
  await tm.docker(['run', '-d', '--name', `${P}-ev3`, '-e', 'constraint:node==dockerhost03', IMAGE, 'true']);
  const until = Math.floor(Date.now() / 1000) + 1;
  const cli = (
    await tm.docker([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      'event=create',
      '--filter',
      'type=container',
      '--format',
      '{{.Actor.Attributes.name}}',
    ])
  ).stdout;
  t.same(
    cli
      .trim()
      .split('\n')
      .filter((n) => n.startsWith(P))
      .sort(),
    [`${P}-ev1`, `${P}-ev3`],
    'docker events through the manager',
  );
  const q = new URLSearchParams({
    since: String(since),
    until: String(until),
    filters: JSON.stringify({ type: ['container'], event: ['create'] }),
  });
  const out = (await call('GET', `/v1.41/events?${q}`)).text;
  const evs = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { Actor?: { Attributes?: { name?: string } }; node?: { Name: string } });
  const mine = evs.filter((e) => e.Actor?.Attributes?.name?.startsWith(P));
  t.same(mine.map((e) => `${e.Actor?.Attributes?.name}@${e.node?.Name}`).sort(), [
    `${P}-ev1@dockerhost01`,
    `${P}-ev3@dockerhost03`,
  ]);
});

t.test('archive (docker cp) both ways, top, changes, rename, wait', async (t) => {
  await tm.docker(['run', '-d', '--name', `${P}-cp`, IMAGE, 'sleep', '600']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mgcp-'));
  const { writeFileSync, readFileSync } = await import('node:fs');
  writeFileSync(path.join(dir, 'in.txt'), 'through the manager\n');
  await tm.docker(['cp', path.join(dir, 'in.txt'), `${P}-cp:/tmp/in.txt`]);
  t.equal((await tm.docker(['exec', `${P}-cp`, 'cat', '/tmp/in.txt'])).stdout.trim(), 'through the manager');
  await tm.docker(['cp', `${P}-cp:/tmp/in.txt`, path.join(dir, 'out.txt')]);
  t.equal(readFileSync(path.join(dir, 'out.txt'), 'utf8'), 'through the manager\n');
  t.match((await tm.docker(['top', `${P}-cp`])).stdout, /sleep 600/);
  t.match((await tm.docker(['diff', `${P}-cp`])).stdout, /\/tmp\/in.txt/);
  await tm.docker(['rename', `${P}-cp`, `${P}-cp2`]);
  t.equal((await tm.docker(['inspect', '-f', '{{.Name}}', `${P}-cp2`])).stdout.trim(), `/${P}-cp2`);
  await tm.docker(['kill', `${P}-cp2`]);
  t.equal((await tm.docker(['wait', `${P}-cp2`])).stdout.trim(), '137');
});

t.test('network connect/disconnect happen on the node the container runs on', async (t) => {
  await tm.docker(['run', '-d', '--name', `${P}-netc`, '-e', 'constraint:node==dockerhost02', IMAGE, 'sleep', '600']);
  await tm.docker(['network', 'create', `dockerhost02/${P}-cnet`]);
  t.teardown(() => engines[1]!.cli(['network', 'rm', `${P}-cnet`], { reject: false }));
  await tm.docker(['network', 'connect', `${P}-cnet`, `${P}-netc`]);
  const nets = () =>
    engines[1]!
      .cli(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', `${P}-netc`])
      .then((r) => r.stdout.trim().split(' ').sort());
  t.same(await nets(), ['bridge', `${P}-cnet`].sort(), 'connected on dockerhost02');
  const ip = (
    await tm.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${P}-cnet").IPAddress}}`, `${P}-netc`])
  ).stdout.trim();
  t.match(ip, /^\d+\.\d+\.\d+\.\d+$/, 'the manager shows the new endpoint');
  await tm.docker(['network', 'disconnect', `dockerhost02/${P}-cnet`, `${P}-netc`]);
  t.same(await nets(), ['bridge'], 'disconnected, by node/name too');
  await tm.docker(['network', 'create', `dockerhost01/${P}-other`]);
  t.teardown(() => engines[0]!.cli(['network', 'rm', `${P}-other`], { reject: false }));
  const wrong = await tm.docker(['network', 'connect', `dockerhost01/${P}-other`, `${P}-netc`], { reject: false });
  t.not(wrong.exitCode, 0);
  t.match(wrong.stderr, /is not on dockerhost02/);
  const ghost = await tm.docker(['network', 'connect', `${P}-cnet`, `${P}-ghost`], { reject: false });
  t.match(ghost.stderr, /No such container/);
});

t.test(
  'rm -f then create with the same name at once: the name (and its node) is free by the time rm answers',
  async (t) => {
    const name = `${P}-again`;
    const body = JSON.stringify({ Image: IMAGE, Cmd: ['sleep', '600'], Env: ['constraint:node==dockerhost02'] });
    const first = await call('POST', `/v1.41/containers/create?name=${name}`, body);
    t.equal(first.status, 201, first.text);
    let ok = 0;
    for (let i = 0; i < 10; i++) {
      const rm = await call('DELETE', `/v1.41/containers/${name}?force=1`);
      const again = await call('POST', `/v1.41/containers/create?name=${name}`, body);
      if (rm.status === 204 && again.status === 201) ok += 1;
      else t.fail(`round ${i}: rm ${rm.status}, create ${again.status} ${again.text}`);
    }
    t.equal(ok, 10, 'ten rounds of rm then create, none refused');
  },
);
