/** The local Consul agent's HTTP API as catalog mode uses it: one request function, with token and TLS. */
import http from 'node:http';
import https from 'node:https';
import { StoreAuthError, StoreError, StoreUnavailableError, errorMessage } from '../common/errors.js';

export interface AgentEndpoint {
  host: string;
  port: number;
  secure: boolean;
  token?: string;
  tls?: { ca?: string; cert?: string; key?: string; insecure?: boolean };
  timeoutMs: number;
}

export interface AgentAnswer {
  status: number;
  text: string;
}

/** What the catalog writer needs of the agent (tests give an in-memory one). */
export interface AgentApi {
  request(method: string, path: string, body?: unknown): Promise<AgentAnswer>;
}

/** An answer that is not the expected one, as an error (recoverable when the agent failed, HTTP 5xx). */
export function agentError(what: string, answer: AgentAnswer): StoreError {
  return new StoreError(`${what}: HTTP ${answer.status}: ${answer.text.trim()}`, undefined, answer.status >= 500);
}

export class ConsulAgent implements AgentApi {
  readonly description: string;

  constructor(private readonly agent: AgentEndpoint) {
    this.description = `consul-catalog://${agent.host.includes(':') ? `[${agent.host}]` : agent.host}:${agent.port}`;
  }

  async ping(): Promise<void> {
    const answer = await this.request('GET', '/v1/agent/self');
    if (answer.status === 401 || answer.status === 403) {
      throw new StoreAuthError(`consul agent: HTTP ${answer.status}: ${answer.text.trim()} (check the ACL token)`);
    }
    if (answer.status !== 200) throw agentError('consul agent', answer);
  }

  request(method: string, path: string, body?: unknown): Promise<AgentAnswer> {
    const a = this.agent;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const mod = a.secure ? https : http;
    const tls =
      a.secure && a.tls
        ? { ca: a.tls.ca, cert: a.tls.cert, key: a.tls.key, rejectUnauthorized: a.tls.insecure !== true }
        : {};
    const headers = {
      ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      ...(a.token ? { 'x-consul-token': a.token } : {}),
    };
    const unavailable = (err: Error) =>
      new StoreUnavailableError(`consul ${method} ${path}: ${errorMessage(err)}`, err);
    const options = { host: a.host, port: a.port, method, path, timeout: a.timeoutMs, ...tls, headers };
    return new Promise((resolve, reject) => {
      const req = mod.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(unavailable(err)));
      });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${a.timeoutMs} ms`)));
      req.on('error', (err) => reject(unavailable(err)));
      req.end(payload);
    });
  }
}
