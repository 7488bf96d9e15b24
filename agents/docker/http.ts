/**
 * A minimal Engine API client over node:http/https: JSON requests with a timeout, and a raw stream for
 * /events. Used instead of dockerode in the host agents because dockerode (with ssh2 and gRPC) adds ~20 MB
 * of RSS to an agent that must idle under 60 MB; the agents only need ping, info, list, inspect and events.
 */
import http from 'node:http';
import https from 'node:https';
import type { DockerEndpoint } from './client.js';

export class DockerHttpError extends Error {
  constructor(message: string, readonly statusCode: number | undefined, readonly code?: string) {
    super(message);
  }
}

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class DockerHttp {
  private readonly agent: http.Agent;
  constructor(private readonly ep: DockerEndpoint) {
    this.agent = ep.protocol === 'https'
      ? new https.Agent({ keepAlive: true, ca: ep.ca, cert: ep.cert, key: ep.key })
      : new http.Agent({ keepAlive: true });
  }

  /** Starts a GET and resolves with the response once headers arrived and the status is 2xx. */
  open(path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const base = this.ep.socketPath
        ? { socketPath: this.ep.socketPath }
        : { host: this.ep.host, port: this.ep.port };
      const mod = this.ep.protocol === 'https' ? https : http;
      const req = mod.request({ ...base, path, method: 'GET', agent: this.agent, headers: { host: 'docker' }, ...(opts.signal ? { signal: opts.signal } : {}) }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          let msg = body.trim();
          try {
            msg = (JSON.parse(body) as { message?: string }).message ?? msg;
          } catch {
            // plain text answer
          }
          reject(new DockerHttpError(`HTTP ${status}: ${msg}`, status));
        });
      });
      if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new DockerHttpError(`timed out after ${opts.timeoutMs} ms`, undefined, 'ETIMEDOUT')));
      req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof DockerHttpError ? err : new DockerHttpError(err.message, undefined, err.code)));
      req.end();
    });
  }

  /** GET and read the whole body (JSON unless `text`). */
  async get<T = unknown>(path: string, opts: RequestOptions & { text?: boolean } = {}): Promise<T> {
    const res = await this.open(path, opts);
    const body = await new Promise<string>((resolve, reject) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (buf += d));
      res.on('end', () => resolve(buf));
      res.on('error', reject);
    });
    return (opts.text ? body : JSON.parse(body)) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
