/**
 * A small Engine API client over node:http(s): JSON calls for the cluster state, and raw request options
 * for the proxy (streams and hijacked connections pass through untouched). Engines are reached over TLS
 * with the manager's CA and client certificate when configured.
 */
import http from 'node:http';
import https from 'node:https';
import { ShoalError } from '../../common/errors.js';

export interface EngineTls {
  ca: string;
  cert: string;
  key: string;
}

export class EngineUnreachableError extends ShoalError {
  constructor(addr: string, message: string, cause?: unknown) {
    super('SHOAL_MANAGE_ENGINE_UNREACHABLE', `engine ${addr}: ${message}`, { recoverable: true, cause });
  }
}

export interface JsonReply<T> {
  status: number;
  body: T;
}

export class EngineClient {
  readonly addr: string;
  readonly host: string;
  readonly port: number;
  readonly tls: EngineTls | undefined;
  private readonly agent: http.Agent;

  constructor(addr: string, tls?: EngineTls, private readonly timeoutMs = 10_000) {
    this.addr = addr;
    const i = addr.lastIndexOf(':');
    this.host = addr.slice(0, i).replace(/^\[|\]$/g, '');
    this.port = Number(addr.slice(i + 1));
    this.tls = tls;
    this.agent = tls ? new https.Agent({ keepAlive: true, maxSockets: 64, ca: tls.ca, cert: tls.cert, key: tls.key }) : new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  get protocol(): 'http:' | 'https:' {
    return this.tls ? 'https:' : 'http:';
  }

  /** Options for a raw request to this engine (used by the proxy). */
  options(method: string, path: string, headers: http.OutgoingHttpHeaders = {}, keepAlive = true): http.RequestOptions & https.RequestOptions {
    const o: https.RequestOptions = { host: this.host, port: this.port, method, path, headers: { ...headers, host: this.addr } };
    if (keepAlive) o.agent = this.agent;
    else if (this.tls) Object.assign(o, { ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key, agent: false });
    else o.agent = false;
    return o;
  }

  request(o: http.RequestOptions): http.ClientRequest {
    return (this.tls ? https : http).request(o);
  }

  /** One JSON call; any HTTP status is returned (the caller decides), network failures throw. */
  json<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<JsonReply<T>> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: http.OutgoingHttpHeaders = payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {};
      const req = this.request(this.options(method, path, headers));
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json') && text !== '') {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(new EngineUnreachableError(this.addr, err.message, err));
        });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(new EngineUnreachableError(this.addr, err.message, err));
      });
      req.end(payload);
    });
  }

  /** A JSON call that must answer 2xx. */
  async ok<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.json<T>(method, path, body);
    if (r.status < 200 || r.status >= 300) throw new EngineRequestError(this.addr, r.status, r.body);
    return r.body;
  }

  close(): void {
    this.agent.destroy();
  }
}

export class EngineRequestError extends ShoalError {
  readonly status: number;
  readonly body: unknown;
  constructor(addr: string, status: number, body: unknown) {
    const msg = typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : String(body).slice(0, 200);
    super('SHOAL_MANAGE_ENGINE_ERROR', `engine ${addr}: ${status} ${msg}`, { recoverable: status >= 500 });
    this.status = status;
    this.body = body;
  }
}
