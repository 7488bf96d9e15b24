/**
 * `--ui`: the browser cluster view. GET / serves the page, /app.js and /app.css its script and style (static
 * files next to this module, no build step), /view.json the current view, /events the view as server-sent
 * events (one `view` event at once, then one per change; a comment every `keepAliveMs` keeps proxies from
 * closing the stream). Read-only: any other method is a 405. HTTPS with the API's certificate when the API
 * serves TLS, and with --tlsverify the same client-certificate requirement.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import type { UiFeed } from './feed.js';
import { httpsOptions, type ServerTls } from '../api/server.js';

export interface UiServer {
  /** `http://HOST:PORT` or `https://HOST:PORT` actually bound. */
  url: string;
  close(): Promise<void>;
}

export interface UiServerOptions {
  host: string;
  port: number;
  tls?: ServerTls | undefined;
  keepAliveMs?: number;
  /** Concurrent /events streams at most (a 503 past it). */
  maxStreams?: number;
}

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/** Only this origin's own script, style and event stream; no inline code, no framing. */
const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

async function loadStatic(): Promise<Map<string, { body: Buffer; type: string }>> {
  const out = new Map<string, { body: Buffer; type: string }>();
  for (const [path, f] of Object.entries(FILES))
    out.set(path, { body: await readFile(new URL(`./static/${f.file}`, import.meta.url)), type: f.type });
  return out;
}

export async function startUiServer(feed: UiFeed, o: UiServerOptions): Promise<UiServer> {
  const files = await loadStatic();
  const streams = new Set<http.ServerResponse>();
  const keepAlive = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, o.keepAliveMs ?? 15_000);
  keepAlive.unref();

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://ui').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('read-only\n');
      return;
    }
    const file = files.get(path);
    if (file) {
      res.writeHead(200, { ...HEADERS, 'content-type': file.type, 'content-length': file.body.length });
      res.end(req.method === 'HEAD' ? undefined : file.body);
      return;
    }
    if (path === '/view.json') {
      res.writeHead(200, { ...HEADERS, 'content-type': 'application/json' }).end(feed.current().json);
      return;
    }
    if (path === '/events') {
      if (streams.size >= (o.maxStreams ?? 64)) {
        res.writeHead(503, { ...HEADERS, 'content-type': 'text/plain' }).end('too many event streams\n');
        return;
      }
      res.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
      const send = (json: string) => res.write(`event: view\ndata: ${json}\n\n`);
      send(feed.current().json);
      streams.add(res);
      const off = feed.subscribe((_v, json) => send(json));
      res.on('close', () => {
        off();
        streams.delete(res);
      });
      return;
    }
    res.writeHead(404, { ...HEADERS, 'content-type': 'text/plain' }).end('not found\n');
  };

  const tls = o.tls;
  const server = tls ? https.createServer(httpsOptions(tls)) : http.createServer();
  server.on('request', onRequest);
  server.on('clientError', (_err, socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => resolve());
    });
  } catch (err) {
    clearInterval(keepAlive);
    throw err;
  }
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(keepAlive);
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
