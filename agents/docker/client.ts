/**
 * The one Engine API client: typed calls for what the agents ask an engine (ping, info, containers, events),
 * and raw JSON calls, requests and connections for what the manager passes through to engines. Calls have a
 * deadline; streams have none. Failures are DockerUnavailableError (recoverable) or DockerRequestError
 * (the engine's status; recoverable for a 5xx).
 */
import type http from 'node:http';
import { addressEndpoint, dockerEndpoint, type DockerEndpoint, type EngineTls } from './endpoint.js';
import { DockerRequestError, DockerUnavailableError } from './errors.js';
import { eventStream, type EventItem } from './events.js';
import { Transport, type JsonReply, type RawConnection } from './transport.js';
import type {
  ContainerInspect,
  ContainerSummary,
  CreateAnswer,
  EngineInfo,
  EngineVersion,
  ImageSummary,
} from './wire.js';

export interface ClientOptions {
  /** Deadline of a call (not of a stream). Default 10 s. */
  timeoutMs?: number;
  /** Deadline for getting a connection, for operations that have no answer deadline. Default 10 s. */
  connectTimeoutMs?: number;
  /** Pooled connections for calls. Default 64. */
  maxSockets?: number;
}

export type Filters = Record<string, string[]>;

const filterQuery = (filters: Filters) => encodeURIComponent(JSON.stringify(filters));

export class DockerClient {
  /** Calls made, for benchmarks and logs. */
  readonly calls = { ping: 0, info: 0, list: 0, inspect: 0, events: 0 };
  private readonly transport: Transport;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;

  constructor(
    readonly endpoint: DockerEndpoint,
    opts: ClientOptions = {},
  ) {
    this.transport = new Transport(endpoint, opts.maxSockets);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  }

  /** A client for a DOCKER_HOST-style URL (TLS from DOCKER_TLS_VERIFY / DOCKER_CERT_PATH in `env`). */
  static forHost(url: string, opts: ClientOptions & { env?: NodeJS.ProcessEnv } = {}): DockerClient {
    return new DockerClient(dockerEndpoint(url, opts.env ?? process.env), opts);
  }

  /** A client for a discovered engine, `HOST:PORT`, over TLS when `tls` is given. */
  static forAddress(addr: string, tls?: EngineTls, opts: ClientOptions = {}): DockerClient {
    return new DockerClient(addressEndpoint(addr, tls), opts);
  }

  /** The URL or address as given, for messages. */
  get addr(): string {
    return this.endpoint.url;
  }

  /** One JSON call; any HTTP status is returned (the caller decides), network failures throw. */
  json<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<JsonReply<T>> {
    return this.transport.json<T>(method, path, body, timeoutMs);
  }

  /**
   * A JSON call for an operation the engine may legitimately take long over (a create that looks up a
   * volume plugin takes ~15 s to fail): no deadline on the answer, only on getting a connection.
   */
  operation<T = unknown>(method: string, path: string, body?: unknown): Promise<JsonReply<T>> {
    return this.transport.json<T>(method, path, body, Infinity, this.connectTimeoutMs);
  }

  /** A JSON call that must answer 2xx. */
  async ok<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    const r = await this.json<T>(method, path, body, timeoutMs);
    if (r.status < 200 || r.status >= 300) throw new DockerRequestError(this.addr, r.status, r.body);
    return r.body;
  }

  /** A request on a connection of its own, not yet sent: for streams and requests passed through as is. */
  request(method: string, path: string, headers: http.OutgoingHttpHeaders = {}): http.ClientRequest {
    return this.transport.request(method, path, headers, false);
  }

  /** A raw connection, for hijacked requests (attach, exec start). */
  connect(): RawConnection {
    return this.transport.connect();
  }

  /** Resolves when the engine answers `OK` to /_ping. */
  async ping(timeoutMs = this.timeoutMs): Promise<void> {
    this.calls.ping += 1;
    const r = await this.json<string>('GET', '/_ping', undefined, timeoutMs);
    if (r.status !== 200 || r.body !== 'OK') throw new DockerRequestError(this.addr, r.status, r.body);
  }

  info(): Promise<EngineInfo> {
    this.calls.info += 1;
    return this.ok<EngineInfo>('GET', '/info');
  }

  version(): Promise<EngineVersion> {
    return this.ok<EngineVersion>('GET', '/version');
  }

  /** The engine's images (`GET /images/json`). */
  listImages(): Promise<ImageSummary[]> {
    return this.ok<ImageSummary[]>('GET', '/images/json');
  }

  /** Containers on the engine: running ones, or all with `all`; `filters` as the Engine API takes them. */
  listContainers(opts: { all?: boolean; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    this.calls.list += 1;
    const q = [opts.all ? 'all=1' : '', opts.filters ? `filters=${filterQuery(opts.filters)}` : ''].filter(Boolean);
    return this.ok<ContainerSummary[]>('GET', `/containers/json${q.length ? `?${q.join('&')}` : ''}`);
  }

  /** The container, or undefined when it does not exist. */
  async inspectContainer(id: string): Promise<ContainerInspect | undefined> {
    this.calls.inspect += 1;
    const r = await this.json<ContainerInspect>('GET', `/containers/${encodeURIComponent(id)}/json`);
    if (r.status === 404) return undefined;
    if (r.status < 200 || r.status >= 300) throw new DockerRequestError(this.addr, r.status, r.body);
    return r.body;
  }

  /**
   * `POST /containers/create` with `query` (`?name=...`), waiting as long as the engine takes; the engine's
   * status is the caller's to judge.
   */
  createContainer(body: unknown, query = ''): Promise<JsonReply<CreateAnswer>> {
    return this.operation<CreateAnswer>('POST', `/containers/create${query}`, body);
  }

  async startContainer(id: string): Promise<void> {
    await this.ok('POST', `/containers/${encodeURIComponent(id)}/start`);
  }

  async removeContainer(id: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.ok('DELETE', `/containers/${encodeURIComponent(id)}${opts.force ? '?force=1' : ''}`);
  }

  /** `POST /images/create`: the answer is the pull's progress messages, errors included. */
  pullImage(from: string, tag: string, timeoutMs = 120_000): Promise<JsonReply<unknown>> {
    const q = `fromImage=${encodeURIComponent(from)}&tag=${encodeURIComponent(tag)}`;
    return this.json('POST', `/images/create?${q}`, undefined, timeoutMs);
  }

  /** One `/events` stream, resolved once the engine accepted it; it ends when the engine or `signal` does. */
  openEvents(filters: Filters, signal: AbortSignal): Promise<http.IncomingMessage> {
    this.calls.events += 1;
    return new Promise((resolve, reject) => {
      const req = this.request('GET', `/events?filters=${filterQuery(filters)}`);
      const onAbort = () => req.destroy(new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal.removeEventListener('abort', onAbort));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => reject(new DockerRequestError(this.addr, status, errorBody(text))));
      });
      req.on('error', (err) => reject(new DockerUnavailableError(this.addr, err.message, err)));
      req.end();
    });
  }

  /** Events for as long as `signal` lives, reconnecting with backoff (see events.ts). */
  events(signal: AbortSignal, filters: Filters = { type: ['container'] }): AsyncGenerator<EventItem> {
    return eventStream((sig) => this.openEvents(filters, sig), { signal });
  }

  close(): void {
    this.transport.close();
  }
}

function errorBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
