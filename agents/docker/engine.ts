/**
 * The Engine API calls the host agents make, answering plain values (ContainerInfo, EngineInfo) and typed
 * errors. Calls have a timeout; the event stream has none (see http.ts for why this is not dockerode).
 */
import { ShoalError } from '../common/errors.js';
import { dockerEndpoint, type DockerEndpoint } from './client.js';
import { toContainerInfo, type ContainerInfo } from './container.js';
import { eventStream, type EventItem } from './events.js';
import { DockerHttp } from './http.js';

export class DockerUnavailableError extends ShoalError {
  constructor(message: string, cause?: unknown) {
    super('SHOAL_DOCKER_UNAVAILABLE', message, { recoverable: true, cause });
  }
}

export interface EngineInfo {
  id: string;
  /** The engine's host name (`docker info` Name). */
  name: string;
  labels: Record<string, string>;
  serverVersion: string;
}

export interface ContainerSummary {
  id: string;
  name: string;
  state: string;
}

export interface EngineOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

function wrap(what: string, err: unknown): Error {
  const status = (err as { statusCode?: number }).statusCode;
  if (status !== undefined && status < 500) return new ShoalError('SHOAL_DOCKER_REQUEST', `${what}: ${(err as Error).message}`, { cause: err });
  return new DockerUnavailableError(`${what}: ${(err as Error).message ?? String(err)}`, err);
}

export class DockerEngine {
  readonly endpoint: DockerEndpoint;
  private readonly http: DockerHttp;
  private readonly timeoutMs: number;
  /** Calls made, for benchmarks and logs. */
  readonly calls = { ping: 0, info: 0, list: 0, inspect: 0, events: 0 };

  constructor(url: string, opts: EngineOptions = {}) {
    this.endpoint = dockerEndpoint(url, opts.env ?? process.env);
    this.http = new DockerHttp(this.endpoint);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async ping(): Promise<void> {
    this.calls.ping += 1;
    try {
      await this.http.get('/_ping', { timeoutMs: this.timeoutMs, text: true });
    } catch (err) {
      throw wrap(`docker ping ${this.endpoint.url}`, err);
    }
  }

  async info(): Promise<EngineInfo> {
    this.calls.info += 1;
    let raw: Record<string, unknown>;
    try {
      raw = await this.http.get<Record<string, unknown>>('/info', { timeoutMs: this.timeoutMs });
    } catch (err) {
      throw wrap(`docker info ${this.endpoint.url}`, err);
    }
    const labels: Record<string, string> = {};
    for (const l of Array.isArray(raw.Labels) ? raw.Labels : []) {
      if (typeof l !== 'string') continue;
      const i = l.indexOf('=');
      if (i > 0) labels[l.slice(0, i)] = l.slice(i + 1);
    }
    return { id: String(raw.ID ?? ''), name: String(raw.Name ?? ''), labels, serverVersion: String(raw.ServerVersion ?? '') };
  }

  /** Containers on the engine (all states with `all`). */
  async listContainers(all = false): Promise<ContainerSummary[]> {
    this.calls.list += 1;
    try {
      const list = await this.http.get<{ Id: string; Names?: string[]; State: string }[]>(`/containers/json${all ? '?all=1' : ''}`, { timeoutMs: this.timeoutMs });
      return list.map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? '').replace(/^\//, ''), state: c.State }));
    } catch (err) {
      throw wrap('docker list containers', err);
    }
  }

  /** The container, or undefined when it no longer exists. */
  async inspect(id: string): Promise<ContainerInfo | undefined> {
    this.calls.inspect += 1;
    try {
      return toContainerInfo(await this.http.get(`/containers/${encodeURIComponent(id)}/json`, { timeoutMs: this.timeoutMs }));
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw wrap(`docker inspect ${id.slice(0, 12)}`, err);
    }
  }

  close(): void {
    this.http.close();
  }

  /** Container events, reconnecting forever (see events.ts). */
  events(signal: AbortSignal, filters: Record<string, string[]> = { type: ['container'] }): AsyncGenerator<EventItem> {
    return eventStream(async (sig) => {
      this.calls.events += 1;
      return this.http.open(`/events?filters=${encodeURIComponent(JSON.stringify(filters))}`, { signal: sig });
    }, { signal });
  }
}
