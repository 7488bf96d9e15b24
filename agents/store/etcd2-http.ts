/**
 * The etcd v2 keys API over plain node:http/https: one request helper that applies the per-operation
 * timeout, basic auth and TLS, fails over between the URI's hosts, and maps every failure to a typed error.
 * Written directly instead of with node-etcd (see etcd2.ts for why).
 */
import http from 'node:http';
import https from 'node:https';
import type { HostPort } from '../common/address.js';
import {
  StoreAuthError,
  StoreError,
  StoreTimeoutError,
  StoreUnavailableError,
  AbortedError,
} from '../common/errors.js';
import type { StoreOptions } from './store.js';
import { NETWORK_CODES as SHARED_NETWORK_CODES, unreachableError } from './net-codes.js';

/** A node of the v2 keys API. */
export interface V2Node {
  key?: string;
  value?: string;
  dir?: boolean;
  nodes?: V2Node[];
  modifiedIndex?: number;
}

export interface V2Response {
  status: number;
  /** X-Etcd-Index (the store's index when the answer was made). */
  etcdIndex: number;
  body: { action?: string; node?: V2Node; errorCode?: number; message?: string; index?: number };
}

/** v2 error codes we act on. */
export const V2 = {
  keyNotFound: 100,
  compareFailed: 101,
  nodeExist: 105,
  indexCleared: 401,
  unauthorized: 110,
} as const;

export interface RequestOptions {
  query?: Record<string, string | number | boolean>;
  form?: Record<string, string | number | boolean>;
  /** Overrides the per-operation timeout (long polls). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The shared unreachable-host codes, and an aborted connection. */
const NETWORK_CODES = new Set([...SHARED_NETWORK_CODES, 'ECONNABORTED']);

export class V2Client {
  private readonly agent: http.Agent;
  private readonly secure: boolean;
  private readonly auth: string | undefined;
  private current = 0;
  /** Aborts every request in flight on close(). */
  private readonly closing = new AbortController();

  constructor(
    private readonly hosts: HostPort[],
    private readonly opts: StoreOptions,
    tls: boolean,
  ) {
    this.secure = tls || opts.tls !== undefined;
    this.agent = this.secure
      ? new https.Agent({
          keepAlive: true,
          ca: opts.tls?.ca,
          cert: opts.tls?.cert,
          key: opts.tls?.key,
          rejectUnauthorized: opts.tls?.insecure !== true,
        })
      : new http.Agent({ keepAlive: true });
    if (opts.username !== undefined)
      this.auth = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  }

  /** One request; on a connection failure the next host is tried before giving up. */
  async request(method: string, path: string, ro: RequestOptions = {}): Promise<V2Response> {
    let last: unknown;
    for (let i = 0; i < this.hosts.length; i++) {
      const host = this.hosts[(this.current + i) % this.hosts.length]!;
      try {
        const res = await this.once(host, method, path, ro);
        this.current = (this.current + i) % this.hosts.length;
        return res;
      } catch (err) {
        last = err;
        if (!(err instanceof StoreUnavailableError)) throw err;
      }
    }
    throw last;
  }

  close(): void {
    this.closing.abort();
    this.agent.destroy();
  }

  private once(host: HostPort, method: string, path: string, ro: RequestOptions): Promise<V2Response> {
    const qs = encodeForm(ro.query ?? {});
    const body = ro.form ? encodeForm(ro.form) : undefined;
    const headers: Record<string, string> = {};
    if (this.auth) headers.authorization = this.auth;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const timeoutMs = ro.timeoutMs ?? this.opts.timeoutMs;
    const where = `etcd ${host.host}:${host.port}`;
    const signals = [this.closing.signal, AbortSignal.timeout(timeoutMs), ...(ro.signal ? [ro.signal] : [])];
    const signal = AbortSignal.any(signals);
    const mod = this.secure ? https : http;
    return new Promise<V2Response>((resolve, reject) => {
      if (signal.aborted) return reject(abortError(ro.signal, this.closing.signal, where, timeoutMs));
      const req = mod.request(
        {
          host: host.host,
          port: host.port,
          method,
          path: `${path}${qs ? `?${qs}` : ''}`,
          headers,
          agent: this.agent,
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(classify(err, where)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: V2Response['body'] = {};
            try {
              parsed = text === '' ? {} : (JSON.parse(text) as V2Response['body']);
            } catch {
              return reject(
                new StoreError(
                  `${where}: answered ${res.statusCode} with a body that is not JSON`,
                  undefined,
                  (res.statusCode ?? 0) >= 500,
                ),
              );
            }
            const status = res.statusCode ?? 0;
            const etcdIndex = Number(res.headers['x-etcd-index'] ?? parsed.index ?? 0);
            const out = { status, etcdIndex, body: parsed };
            const failure = httpFailure(out, where);
            if (failure) reject(failure);
            else resolve(out);
          });
        },
      );
      req.on('error', (err) =>
        reject(signal.aborted ? abortError(ro.signal, this.closing.signal, where, timeoutMs) : classify(err, where)),
      );
      req.end(body);
    });
  }
}

function encodeForm(fields: Record<string, string | number | boolean>): string {
  return new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString();
}

function abortError(own: AbortSignal | undefined, closing: AbortSignal, where: string, timeoutMs: number): Error {
  if (own?.aborted || closing.aborted) return new AbortedError(`${where}: request aborted`);
  return new StoreTimeoutError(`${where}: no answer within ${timeoutMs} ms`);
}

function classify(err: Error & { code?: string }, where: string): Error {
  const code = err.code ?? '';
  const down = unreachableError(code, `${where}: ${code}`, err, NETWORK_CODES);
  if (down) return down;
  if (/CERT|SSL|TLS|VERIFY|SIGNATURE/i.test(code)) return new StoreAuthError(`${where}: TLS failed: ${code}`, err);
  return new StoreUnavailableError(`${where}: ${err.message}`, err);
}

/** The typed error for an answer that is a failure the caller does not handle itself (auth, 5xx). */
function httpFailure(r: V2Response, where: string): Error | undefined {
  const code = r.body.errorCode;
  if (code === V2.unauthorized || ((r.status === 401 || r.status === 403) && code === undefined)) {
    return new StoreAuthError(`${where}: ${r.body.message ?? `HTTP ${r.status}`} (check username/password)`);
  }
  if (r.status >= 500) return new StoreUnavailableError(`${where}: HTTP ${r.status} ${r.body.message ?? ''}`.trim());
  return undefined;
}
