/**
 * Pass a client request through to one engine: plain requests are piped both ways (streams such as logs
 * --follow, stats, export and archives included); upgraded ones (attach, exec start) are hijacked: the raw
 * request goes to a fresh engine connection and the two sockets are spliced.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { DockerClient } from '../../docker/client.js';
import { sendError } from './http.js';
import { cannotConnect, isCannotConnect } from '../cluster/unreachable.js';

/** An engine the request could not reach: classic Swarm's words for a refused connection, else shoal's. */
const unreachable = (client: DockerClient, err: Error) =>
  isCannotConnect(err) ? cannotConnect(client.addr) : `engine ${client.addr}: ${err.message}`;

const HOP = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

type Req = http.IncomingMessage;
type Res = http.ServerResponse;

export function forward(client: DockerClient, req: Req, res: Res, path: string, body?: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v;
    if (body) headers['content-length'] = body.length;
    const preq = client.request(req.method ?? 'GET', path, headers);
    preq.on('response', (pres) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(pres.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
      res.writeHead(pres.statusCode ?? 502, out);
      res.flushHeaders();
      pres.pipe(res);
      pres.on('end', () => resolve(pres.statusCode ?? 502));
      pres.on('error', () => res.destroy());
    });
    preq.on('error', (err) => {
      if (!res.headersSent) sendError(res, 502, unreachable(client, err));
      else res.destroy();
      resolve(502);
    });
    res.on('close', () => preq.destroy());
    if (body) preq.end(body);
    else req.pipe(preq);
  });
}

export function hijack(client: DockerClient, req: Req, socket: Duplex, head: Buffer, path: string): void {
  const { socket: upstream, ready } = client.connect();
  const onReady = () => {
    const lines = [`${req.method} ${path} HTTP/1.1`, `Host: ${client.addr}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i] as string;
      if (k.toLowerCase() === 'host') continue;
      lines.push(`${k}: ${req.rawHeaders[i + 1]}`);
    }
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  };
  upstream.once(ready, onReady);
  upstream.on('error', () => {
    if (socket.writable)
      socket.end(
        'HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"engine unreachable"}',
      );
    socket.destroy();
  });
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
  // end, never destroy, on the engine's close: a TLS client socket still has output to flush
  upstream.on('close', () => {
    socket.end();
    setTimeout(() => socket.destroy(), 5000).unref();
  });
}

/**
 * Forward, but hold the engine's (small) answer until `after` ran: used for state changes so that the
 * manager's cache already shows the new state when the client's next request arrives.
 */
type After = () => Promise<void>;

export function forwardThen(client: DockerClient, req: Req, res: Res, path: string, after: After): Promise<number> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v;
    const preq = client.request(req.method ?? 'POST', path, headers);
    preq.on('response', (pres) => {
      const chunks: Buffer[] = [];
      pres.on('data', (c: Buffer) => chunks.push(c));
      pres.on('end', async () => {
        await after().catch(() => {});
        const out: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(pres.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
        res.writeHead(pres.statusCode ?? 502, out);
        res.end(Buffer.concat(chunks));
        resolve(pres.statusCode ?? 502);
      });
    });
    preq.on('error', (err) => {
      sendError(res, 502, unreachable(client, err));
      resolve(502);
    });
    req.pipe(preq);
  });
}
