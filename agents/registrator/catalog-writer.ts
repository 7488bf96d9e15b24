/**
 * Catalog mode writer: the EntryWriter of the KV modes, over the local Consul agent's service API.
 * Entries are `<name>/<id>` -> the canonical view text (catalog.ts); put registers (PUT
 * /v1/agent/service/register), delete deregisters, current() lists this host's services (Meta shoal-host).
 * With --ttl every service carries a TTL check that this writer passes every --ttl-refresh. A service of ours
 * the agent no longer has (agent restarted, removed behind our back) calls `onMissing` for a resync.
 */
import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../common/log.js';
import { ShoalError, StoreAuthError, StoreError, StoreUnavailableError, errorMessage } from '../common/errors.js';
import type { KV } from '../store/store.js';
import { catalogKey, catalogView, decodeView, encodeView, registrationFor, ttlCheckId, viewOfAgentService, type CatalogOptions } from './catalog.js';
import type { Service } from './service.js';
import type { EntryWriter } from './writer.js';

export interface AgentEndpoint {
  host: string;
  port: number;
  secure: boolean;
  token?: string;
  tls?: { ca?: string; cert?: string; key?: string; insecure?: boolean };
  timeoutMs: number;
}

/** Consul refused a registration (bad check, script checks disabled...): retrying will not help. */
export class CatalogRefusedError extends ShoalError {
  constructor(message: string) {
    super('SHOAL_CATALOG_REFUSED', message);
  }
}

export interface CatalogWriterOptions extends CatalogOptions {
  dockerHost: string;
  ttlRefreshMs: number;
  /** Without --ttl: how often the agent's services are checked for ours having vanished. */
  watchMs?: number;
  onMissing?: (why: string) => void;
}

export class CatalogWriter implements EntryWriter {
  readonly description: string;
  /** Service ids registered or seen as ours: the TTL refresher passes their checks. */
  private readonly ours = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private down = false;

  get dockerHost(): string {
    return this.opts.dockerHost;
  }

  constructor(private readonly agent: AgentEndpoint, private readonly opts: CatalogWriterOptions, private readonly log: Logger) {
    this.description = `consul-catalog://${agent.host.includes(':') ? `[${agent.host}]` : agent.host}:${agent.port}`;
  }

  entry(s: Service): [string, string] {
    const { view, warnings } = catalogView(s, this.opts);
    for (const w of warnings) this.log.warn({ service: s.name, id: s.id }, w);
    return [catalogKey(view), encodeView(view)];
  }

  async put(_key: string, value: string): Promise<void> {
    const view = decodeView(value);
    const { status, text } = await this.request('PUT', '/v1/agent/service/register', registrationFor(view, this.opts));
    if (status >= 400 && status < 500 || (status === 500 && /disabled|invalid/i.test(text))) {
      // A refusal, not an outage: say why and go on with the other services.
      this.log.error({ service: view.Name, id: view.ID, consul: text.trim() }, 'consul refused the service registration; skipped');
      return;
    }
    if (status !== 200) throw new StoreError(`consul register ${view.ID}: HTTP ${status}: ${text.trim()}`, undefined, status >= 500);
    this.ours.add(view.ID);
  }

  async delete(key: string): Promise<void> {
    const id = key.slice(key.indexOf('/') + 1);
    const { status, text } = await this.request('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`);
    if (status !== 200 && status !== 404) throw new StoreError(`consul deregister ${id}: HTTP ${status}: ${text.trim()}`, undefined, status >= 500);
    this.ours.delete(id);
  }

  async current(): Promise<KV[]> {
    const { status, text } = await this.request('GET', '/v1/agent/services');
    if (status !== 200) throw new StoreError(`consul list services: HTTP ${status}: ${text.trim()}`, undefined, status >= 500);
    const out: KV[] = [];
    for (const svc of Object.values(JSON.parse(text) as Record<string, Record<string, unknown>>)) {
      const view = viewOfAgentService(svc, this.opts.dockerHost);
      if (view === undefined) continue;
      this.ours.add(view.ID);
      out.push({ key: catalogKey(view), value: encodeView(view) });
    }
    return out;
  }

  async ping(): Promise<void> {
    const { status, text } = await this.request('GET', '/v1/agent/self');
    const why = `consul agent: HTTP ${status}: ${text.trim()}`;
    if (status === 401 || status === 403) throw new StoreAuthError(`${why} (check the ACL token)`);
    if (status !== 200) throw new StoreError(why, undefined, status >= 500);
  }

  /**
   * Start the check loop: every --ttl-refresh (with --ttl) or `watchMs` (default 10s), list the agent's
   * services; one of ours missing (agent restarted, removed behind our back) or the agent answering again
   * after a failure asks for a resync; with --ttl, pass the TTL check of each of ours.
   */
  start(): void {
    if (this.timer) return;
    const every = this.opts.ttlMs > 0 ? this.opts.ttlRefreshMs : (this.opts.watchMs ?? 10_000);
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = true;
      void this.tick().finally(() => (this.ticking = false));
    }, every);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async tick(): Promise<void> {
    let listed: Set<string>;
    try {
      listed = new Set((await this.current()).map((kv) => kv.key.slice(kv.key.indexOf('/') + 1)));
    } catch (err) {
      if (!this.down) this.log.warn({ err: errorMessage(err) }, 'consul agent unreachable; will resync when it answers');
      this.down = true;
      return;
    }
    const missing = [...this.ours].filter((id) => !listed.has(id));
    for (const id of missing) this.ours.delete(id);
    if (this.down || missing.length > 0) {
      this.log.warn({ missing: missing.length, agentBack: this.down }, 'consul agent lost services of ours or came back; resyncing');
      this.down = false;
      this.opts.onMissing?.(missing.length > 0 ? `${missing.length} services missing from the agent` : 'consul agent back');
    }
    if (this.opts.ttlMs <= 0) return;
    for (const id of listed) {
      try {
        const { status, text } = await this.request('PUT', `/v1/agent/check/pass/${encodeURIComponent(ttlCheckId(id))}`);
        if (status !== 200) {
          this.log.warn({ id, consul: text.trim() }, 'TTL check unknown to the agent; resyncing');
          this.opts.onMissing?.(`TTL check of ${id} missing`);
        }
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'TTL refresh failed; will retry');
        return;
      }
    }
  }

  private request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const a = this.agent;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const mod = a.secure ? https : http;
    const tls = a.secure && a.tls ? { ca: a.tls.ca, cert: a.tls.cert, key: a.tls.key, rejectUnauthorized: a.tls.insecure !== true } : {};
    return new Promise((resolve, reject) => {
      const req = mod.request({
        host: a.host, port: a.port, method, path, timeout: a.timeoutMs, ...tls,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...(a.token ? { 'x-consul-token': a.token } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(new StoreUnavailableError(`consul ${method} ${path}: ${errorMessage(err)}`, err)));
      });
      req.on('timeout', () => req.destroy(new Error(`timed out after ${a.timeoutMs} ms`)));
      req.on('error', (err) => reject(new StoreUnavailableError(`consul ${method} ${path}: ${errorMessage(err)}`, err)));
      req.end(payload);
    });
  }
}
