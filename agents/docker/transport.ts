/**
 * HTTP to one engine over node:http/https, on a unix socket or TCP, with TLS when the endpoint has
 * certificates. Short JSON calls share a keep-alive pool and have a deadline; streams (events, logs, a
 * proxied request) get a connection of their own; `connect` opens a raw socket for hijacked requests
 * (attach, exec start). Not dockerode: with ssh2 and gRPC it adds ~20 MB of RSS to agents that must idle
 * under 60 MB, for calls this file makes in a few lines.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { hostHeader, type DockerEndpoint } from './endpoint.js';
import { DockerUnavailableError } from './errors.js';

export interface JsonReply<T> {
  status: number;
  body: T;
}

export interface RawConnection {
  socket: net.Socket;
  /** The event that says the socket is ready for the request. */
  ready: 'connect' | 'secureConnect';
}

export class Transport {
  private readonly agent: http.Agent;

  constructor(
    readonly endpoint: DockerEndpoint,
    maxSockets = 64,
  ) {
    this.agent = endpoint.tls
      ? new https.Agent({ keepAlive: true, maxSockets, ...endpoint.tls })
      : new http.Agent({ keepAlive: true, maxSockets });
  }

  /** A request to send; pooled (a short call) or on a fresh connection (a stream), headers as given. */
  request(method: string, path: string, headers: http.OutgoingHttpHeaders, pooled: boolean): http.ClientRequest {
    const ep = this.endpoint;
    const o: https.RequestOptions = { method, path, headers: { ...headers, host: hostHeader(ep) } };
    if (ep.socketPath !== undefined) o.socketPath = ep.socketPath;
    else Object.assign(o, { host: ep.host, port: ep.port });
    if (pooled) o.agent = this.agent;
    else Object.assign(o, { agent: false }, ep.tls ?? {});
    return (ep.tls ? https : http).request(o);
  }

  /** A raw connection to the engine, for a request whose connection is then spliced (hijacked). */
  connect(): RawConnection {
    const ep = this.endpoint;
    if (ep.socketPath !== undefined) return { socket: net.connect({ path: ep.socketPath }), ready: 'connect' };
    const at = { host: ep.host as string, port: ep.port as number };
    if (ep.tls) return { socket: tls.connect({ ...at, ...ep.tls }), ready: 'secureConnect' };
    return { socket: net.connect(at), ready: 'connect' };
  }

  /**
   * One JSON call. `timeoutMs` is the deadline for the whole answer (Infinity: none, for operations an
   * engine may legitimately take long over); `connectMs`, when shorter, bounds getting a connection. Any
   * HTTP status is returned (the caller decides); a body is parsed when the engine says it is JSON. Network
   * failures and the deadlines throw DockerUnavailableError.
   */
  json<T = unknown>(
    method: string,
    path: string,
    body: unknown,
    timeoutMs: number,
    connectMs = timeoutMs,
  ): Promise<JsonReply<T>> {
    const unavailable = (err: Error) => new DockerUnavailableError(this.endpoint.url, err.message, err);
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers = payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {};
      const req = this.request(method, path, headers, true);
      const timers: NodeJS.Timeout[] = [];
      const done = () => timers.forEach(clearTimeout);
      if (Number.isFinite(timeoutMs))
        timers.push(setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs));
      if (connectMs < timeoutMs) {
        const t = setTimeout(() => req.destroy(new Error(`no connection within ${connectMs} ms`)), connectMs);
        timers.push(t);
        req.on('socket', (s) => {
          if (s.connecting) s.once('connect', () => clearTimeout(t));
          else clearTimeout(t);
        });
      }
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          done();
          resolve({ status: res.statusCode ?? 0, body: parseBody(res.headers['content-type'], chunks) as T });
        });
        res.on('error', (err) => {
          done();
          reject(unavailable(err));
        });
      });
      req.on('error', (err) => {
        done();
        reject(unavailable(err));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseBody(contentType: string | undefined, chunks: Buffer[]): unknown {
  const text = Buffer.concat(chunks).toString('utf8');
  if (!(contentType ?? '').includes('json') || text === '') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
