/**
 * The shipped HAProxy and Nginx templates under failure, on the real proxies (test/harness/proxies.ts) in front
 * of real HTTP servers on loopback:
 * - a backend server that has just been stopped (its port refused) or whose port still accepts but closes at
 *   once (a Docker port proxy whose container is gone) is still in the rendered config: every request must be
 *   answered by a server that is alive (HAProxy: retry-on conn-failure empty-response, redispatch on every retry;
 *   Nginx: proxy_next_upstream error);
 * - a client's idle keep-alive connection across a reload: HAProxy (option idle-close-on-response) answers the
 *   next request on it with `Connection: close` instead of closing it under the client's feet. Nginx closes idle
 *   connections on a graceful reload and has no setting to keep them: a client must retry there (not tested).
 */
import t, { type Test } from 'tap';
import http from 'node:http';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { buildContext } from '../../agents/render/context.js';
import { compileTemplate } from '../../agents/render/template.js';
import { freePort, proxy, type ProxyHandle, type ProxyKind } from '../harness/proxies.js';
import { HAPROXY_TPL, NGINX_TPL } from './fixtures.js';

interface Backend {
  name: string;
  port: number;
  /** Stop listening and drop every connection: the port now refuses. */
  stop(): Promise<void>;
  /** Stop, then accept on the same port and close every connection at once without answering. */
  closeOnAccept(): Promise<void>;
  close(): Promise<void>;
}

async function backend(name: string): Promise<Backend> {
  const port = await freePort();
  let server: http.Server | net.Server = http.createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const stop = async () => {
    (server as http.Server).closeAllConnections?.();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return {
    name,
    port,
    stop,
    async closeOnAccept() {
      await stop();
      server = net.createServer((s) => {
        s.on('error', () => {});
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    },
    async close() {
      if (server.listening) await stop();
    },
  };
}

/** Render the shipped template for `web-80` over these backends, with the proxy's paths and ports. */
function renderFor(p: ProxyHandle, backends: Backend[]): void {
  const entries = backends.map((b) => ({ key: `web-80/h-${b.name}:${b.name}:80`, value: `127.0.0.1:${b.port}` }));
  const ctx = buildContext(entries, { domain: 'local' });
  const tpl = readFileSync(p.kind === 'haproxy' ? HAPROXY_TPL : NGINX_TPL, 'utf8');
  const r = compileTemplate(tpl, p.kind)(ctx.context, ctx.entries, p.env, p.config);
  for (const f of r.files) writeFileSync(f.path, f.text);
  writeFileSync(p.config, r.text);
}

/** One request on a new connection; the body, `HTTP <status>`, or `error: ...`. */
function ask(port: number, path = '/'): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, headers: { Host: 'web.local' }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve(res.statusCode === 200 ? body : `HTTP ${res.statusCode}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve(`error: ${err.message}`));
  });
}

async function started(t: Test, kind: ProxyKind, backends: Backend[]): Promise<ProxyHandle> {
  const p = await proxy(kind);
  t.teardown(() => p.stop());
  renderFor(p, backends);
  await p.start();
  return p;
}

for (const kind of ['haproxy', 'nginx'] as const) {
  t.test(`${kind}: requests to servers that just went away are answered by one that is alive`, async (t) => {
    const bs = await Promise.all(['a', 'b', 'c'].map(backend));
    t.teardown(() => Promise.all(bs.map((b) => b.close())));
    const p = await started(t, kind, bs);
    const before = new Set<string>();
    for (let i = 0; i < 9; i++) before.add(await ask(p.port));
    t.same([...before].sort(), ['a', 'b', 'c'], 'all three answer at first');
    await bs[0]!.stop(); // stopped: its port refuses
    await bs[1]!.closeOnAccept(); // its port proxy still accepts, but nothing behind it answers
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) answers.push(await ask(p.port));
    t.same(
      answers,
      Array(12).fill('c'),
      `12 requests right after two of three servers went away: all answered by c (${answers.join(' ')})`,
    );
  });
}

t.test('haproxy: a POST that reached a server is not replayed on another; a GET is', async (t) => {
  let posts = 0;
  const live = http.createServer((req, res) => {
    if (req.method === 'POST') posts++;
    req.resume();
    req.on('end', () => res.end('c'));
  });
  const port = await freePort();
  await new Promise<void>((r) => live.listen(port, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => (live.closeAllConnections(), live.close(() => r()))));
  // a server that answers health checks, but reads a POST or a GET /crash whole and dies before answering it
  const crash = http.createServer((req, res) => {
    if (req.method !== 'POST' && req.url !== '/crash') return void res.end('b');
    req.resume();
    req.on('end', () => req.socket.destroy());
  });
  const crashPort = await freePort();
  await new Promise<void>((r) => crash.listen(crashPort, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => (crash.closeAllConnections(), crash.close(() => r()))));
  const p = await started(t, 'haproxy', [{ name: 'b', port: crashPort } as Backend, { name: 'c', port } as Backend]);
  const post = () =>
    new Promise<number>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: p.port,
          method: 'POST',
          path: '/',
          headers: { Host: 'web.local', 'Content-Type': 'text/plain' },
          agent: false,
        },
        (res) => (res.resume(), res.on('end', () => resolve(res.statusCode ?? 0))),
      );
      req.on('error', () => resolve(0));
      req.end('order=1');
    });
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) codes.push(await post());
  t.ok(codes.includes(502), `a POST the server read and then died on gets 502, not a replay (${codes.join(' ')})`);
  t.equal(
    posts,
    codes.filter((c) => c === 200).length,
    `the live server received only the POSTs routed to it (${posts})`,
  );
  const gets = [];
  for (let i = 0; i < 4; i++) gets.push(await ask(p.port, '/crash'));
  t.same(gets, ['c', 'c', 'c', 'c'], 'while GETs that met the same fate are retried on the live server');
});

/** A raw HTTP/1.1 client on one keep-alive connection: each get() waits for a full response (Content-Length). */
function keepAlive(port: number) {
  const sock = net.connect({ host: '127.0.0.1', port });
  let buf = '';
  let closed = false;
  let waiter: ((r: { status: number; head: string; body: string } | Error) => void) | undefined;
  const tryParse = () => {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0 || !waiter) return;
    const head = buf.slice(0, end);
    const len = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (buf.length < end + 4 + len) return;
    const w = waiter;
    waiter = undefined;
    w({ status: Number(head.split(' ')[1]), head, body: buf.slice(end + 4, end + 4 + len) });
    buf = buf.slice(end + 4 + len);
  };
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => ((buf += d), tryParse()));
  const fail = (why: string) => {
    closed = true;
    waiter?.(new Error(why));
    waiter = undefined;
  };
  sock.on('end', () => fail('connection closed by the proxy'));
  sock.on('error', (err) => fail(err.message));
  return {
    get closed() {
      return closed;
    },
    get(): Promise<{ status: number; head: string; body: string }> {
      return new Promise((resolve, reject) => {
        if (closed) return reject(new Error('connection closed by the proxy'));
        waiter = (r) => (r instanceof Error ? reject(r) : resolve(r));
        sock.write('GET / HTTP/1.1\r\nHost: web.local\r\n\r\n');
      });
    },
    close: () => sock.destroy(),
  };
}

t.test('haproxy: an idle keep-alive connection is still answered after a reload', async (t) => {
  const b = await backend('a');
  t.teardown(() => b.close());
  const p = await started(t, 'haproxy', [b]);
  const c = keepAlive(p.port);
  t.teardown(() => c.close());
  const first = await c.get();
  t.equal(first.status, 200, 'first request answered');
  const master = readFileSync(path.join(p.dir, 'haproxy.pid'), 'utf8').trim();
  const oldWorkers = (await execa('pgrep', ['-P', master], { reject: false })).stdout.split('\n').filter(Boolean);
  t.ok(oldWorkers.length > 0, 'the worker before the reload');
  /** Pids holding a listening socket on the frontend port. */
  const listeners = async () =>
    [...(await execa('ss', ['-Hltnp', `sport = :${p.port}`], { reject: false })).stdout.matchAll(/pid=(\d+)/g)].map(
      (m) => m[1] as string,
    );
  t.ok(
    (await listeners()).some((pid) => oldWorkers.includes(pid)),
    'the old worker listens before the reload',
  );
  const r = await execa('sh', ['-c', p.reload], { reject: false });
  t.equal(r.exitCode, 0, 'reloaded (a new worker runs)');
  // the old worker has taken its soft-stop in once it no longer listens on the port (its first step)
  for (let i = 0; i < 200 && (await listeners()).some((pid) => oldWorkers.includes(pid)); i++)
    await new Promise((res) => setTimeout(res, 50));
  t.notOk(
    (await listeners()).some((pid) => oldWorkers.includes(pid)),
    'the old worker stopped listening (soft-stop)',
  );
  t.equal(c.closed, false, 'the idle connection was not closed under the client by the old worker');
  const second = await c.get().catch((err: Error) => err);
  t.ok(
    !(second instanceof Error) && second.status === 200 && second.body === 'a',
    `the next request on it is answered (${second instanceof Error ? second.message : second.status})`,
  );
  if (!(second instanceof Error))
    t.match(second.head, /connection: close/i, 'with Connection: close, so the client moves to the new worker');
});
