/**
 * The one Engine API client against a small fake engine on a unix socket and on TCP (no dockerd): what each
 * call sends, how answers and failures come back (typed, with the recoverable flag), deadlines, the event
 * stream, and the raw paths the manager's proxy uses.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { DockerClient } from '../../agents/docker/client.js';
import { DockerRequestError, DockerUnavailableError } from '../../agents/docker/errors.js';
import { containerSource } from '../../agents/docker/source.js';

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  body: string;
}

type Reply = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** A fake engine: routes by `METHOD path` (query excluded), records every request. */
async function fakeEngine(t: Test, routes: Record<string, Reply>, listenOn: string | number) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, body });
      const route = routes[`${req.method} ${(req.url ?? '').split('?')[0]}`];
      if (route) route(req, res);
      else json(res, 404, { message: 'page not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(listenOn, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  t.teardown(() => server.closeAllConnections());
  const port = typeof listenOn === 'number' ? (server.address() as { port: number }).port : 0;
  return { seen, port };
}

const socketDir = mkdtempSync(path.join(os.tmpdir(), 'shoal-docker-client-'));
t.teardown(() => rmSync(socketDir, { recursive: true, force: true }));

t.test('typed calls on a unix socket: ping, info, list with filters, inspect, create/start/remove', async (t) => {
  const sock = path.join(socketDir, 'a.sock');
  const { seen } = await fakeEngine(
    t,
    {
      'GET /_ping': (_q, res) => res.end('OK'),
      'GET /info': (_q, res) => json(res, 200, { ID: 'E1', Name: 'host1', NCPU: 2 }),
      'GET /containers/json': (_q, res) => json(res, 200, [{ Id: 'c1', Names: ['/web'], State: 'running' }]),
      'GET /containers/c1/json': (_q, res) => json(res, 200, { Id: 'c1', Name: '/web', State: { Running: true } }),
      'POST /containers/create': (_q, res) => json(res, 201, { Id: 'c2', Warnings: [] }),
      'POST /containers/c2/start': (_q, res) => res.writeHead(204).end(),
      'DELETE /containers/c2': (_q, res) => res.writeHead(204).end(),
    },
    sock,
  );
  const c = DockerClient.forHost(`unix://${sock}`, { env: {} });
  t.teardown(() => c.close());
  await c.ping();
  t.same(await c.info(), { ID: 'E1', Name: 'host1', NCPU: 2 });
  const list = await c.listContainers({ all: true, filters: { id: ['c1'] } });
  t.same(list, [{ Id: 'c1', Names: ['/web'], State: 'running' }]);
  t.equal((await c.inspectContainer('c1'))?.Id, 'c1');
  t.equal(await c.inspectContainer('gone'), undefined, 'a missing container is undefined, not an error');
  t.same(await c.createContainer({ Image: 'x' }, '?name=w2'), { status: 201, body: { Id: 'c2', Warnings: [] } });
  await c.startContainer('c2');
  await c.removeContainer('c2', { force: true });
  t.same(
    seen.map((s) => `${s.method} ${s.url}`),
    [
      'GET /_ping',
      'GET /info',
      `GET /containers/json?all=1&filters=${encodeURIComponent('{"id":["c1"]}')}`,
      'GET /containers/c1/json',
      'GET /containers/gone/json',
      'POST /containers/create?name=w2',
      'POST /containers/c2/start',
      'DELETE /containers/c2?force=1',
    ],
  );
  t.equal(seen[0]?.host, 'docker', 'Host header on a unix socket');
  t.same(JSON.parse(seen[5]?.body ?? ''), { Image: 'x' }, 'the create body is sent as JSON');
  t.same(c.calls, { ping: 1, info: 1, list: 1, inspect: 2, events: 0 });
});

t.test('version and images: the two typed reads the manager refreshes a node with', async (t) => {
  const sock = path.join(socketDir, 'v.sock');
  const { seen } = await fakeEngine(
    t,
    {
      'GET /version': (_q, res) => json(res, 200, { Version: '20.10.24', ApiVersion: '1.41' }),
      'GET /images/json': (_q, res) => json(res, 200, [{ Id: 'sha256:aa', RepoTags: ['busybox:latest'] }]),
    },
    sock,
  );
  const c = DockerClient.forHost(`unix://${sock}`, { env: {} });
  t.teardown(() => c.close());
  t.same(await c.version(), { Version: '20.10.24', ApiVersion: '1.41' });
  t.same(await c.listImages(), [{ Id: 'sha256:aa', RepoTags: ['busybox:latest'] }]);
  t.same(
    seen.map((s) => `${s.method} ${s.url}`),
    ['GET /version', 'GET /images/json'],
  );
});

t.test('failures are typed: an error status (recoverable for 5xx), an unreachable engine, a deadline', async (t) => {
  const { port } = await fakeEngine(
    t,
    {
      'GET /_ping': (_q, res) => res.end('not docker'),
      'GET /info': (_q, res) => json(res, 500, { message: 'daemon broken' }),
      'GET /containers/bad/json': (_q, res) => json(res, 400, { message: 'bad id' }),
      'GET /containers/json': () => {}, // never answers
    },
    0,
  );
  const c = DockerClient.forAddress(`127.0.0.1:${port}`, undefined, { timeoutMs: 300 });
  t.teardown(() => c.close());
  await t.rejects(c.ping(), DockerRequestError, 'an answer other than OK is not an engine');
  const e500 = await c.info().catch((e: unknown) => e);
  t.ok(e500 instanceof DockerRequestError);
  const message = `engine 127.0.0.1:${port}: 500 daemon broken`;
  t.match(e500, { code: 'SHOAL_DOCKER_REQUEST', status: 500, recoverable: true, message });
  await t.rejects(c.inspectContainer('bad'), { code: 'SHOAL_DOCKER_REQUEST', status: 400, recoverable: false });
  const late = await c.listContainers().catch((e: unknown) => e);
  t.ok(late instanceof DockerUnavailableError, 'a deadline is an unavailable engine');
  t.match(late, { recoverable: true, message: /no answer within 300 ms/ });
  const dead = DockerClient.forHost(`unix://${path.join(socketDir, 'nobody.sock')}`, { env: {} });
  t.teardown(() => dead.close());
  await t.rejects(dead.ping(), { code: 'SHOAL_DOCKER_UNAVAILABLE', recoverable: true });
  const reply = await c.json('GET', '/info');
  t.same(reply, { status: 500, body: { message: 'daemon broken' } }, 'json() hands back any status');
});

t.test('an operation (create) waits as long as the engine takes; a plain call keeps its deadline', async (t) => {
  const slow: Reply = (_q, res) => setTimeout(() => json(res, 404, { message: 'plugin "x" not found' }), 700);
  const { port } = await fakeEngine(t, { 'POST /containers/create': slow, 'POST /volumes/create': slow }, 0);
  const c = DockerClient.forAddress(`127.0.0.1:${port}`, undefined, { timeoutMs: 200 });
  t.teardown(() => c.close());
  t.same(await c.createContainer({ Image: 'x' }), { status: 404, body: { message: 'plugin "x" not found' } });
  t.same(await c.operation('POST', '/volumes/create', { Name: 'v' }), {
    status: 404,
    body: { message: 'plugin "x" not found' },
  });
  await t.rejects(c.json('POST', '/volumes/create', { Name: 'v' }), { message: /no answer within 200 ms/ });
});

t.test('events: reconnects after the stream ends, and an error status is a disconnect', async (t) => {
  let opened = 0;
  await fakeEngine(
    t,
    {
      'GET /events': (req, res) => {
        opened += 1;
        const filters = new URL(req.url ?? '', 'http://x').searchParams.get('filters');
        if (opened === 2) return json(res, 500, { message: 'try later' });
        res.writeHead(200, { 'content-type': 'application/json' });
        const ev = { Type: 'container', Action: 'start', Actor: { ID: 'c1', Attributes: { f: filters ?? '' } } };
        res.write(`${JSON.stringify(ev)}\n`);
        if (opened === 1) res.end();
      },
    },
    path.join(socketDir, 'ev.sock'),
  );
  const c = DockerClient.forHost(`unix://${path.join(socketDir, 'ev.sock')}`, { env: {} });
  t.teardown(() => c.close());
  const ac = new AbortController();
  const kinds: string[] = [];
  for await (const item of containerSource(c).events(ac.signal)) {
    kinds.push(item.kind === 'event' ? `event ${item.event.action} ${item.event.attributes.f}` : item.kind);
    if (kinds.length === 6) ac.abort();
  }
  t.same(kinds, [
    'connected',
    'event start {"type":["container"]}',
    'disconnected',
    'disconnected',
    'connected',
    'event start {"type":["container"]}',
  ]);
});

t.test('raw paths for the proxy: a request on its own connection, and a hijack connection', async (t) => {
  const { port } = await fakeEngine(t, { 'GET /containers/c1/logs': (_q, res) => res.end('log line\n') }, 0);
  const c = DockerClient.forAddress(`127.0.0.1:${port}`);
  t.teardown(() => c.close());
  const body = await new Promise<string>((resolve, reject) => {
    const req = c.request('GET', '/containers/c1/logs?follow=1', { 'x-test': '1' });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(body, 'log line\n');
  const { socket, ready } = c.connect();
  t.equal(ready, 'connect', 'plain TCP is ready on connect');
  await new Promise((resolve) => socket.once(ready, resolve));
  socket.destroy();
});
