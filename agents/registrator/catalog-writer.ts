/**
 * Catalog mode writer: the EntryWriter of the KV modes, over the local Consul agent's service API.
 * Entries are `<name>/<id>` -> the canonical view text (catalog.ts); put registers (PUT
 * /v1/agent/service/register), delete deregisters, current() lists this host's services (Meta shoal-host).
 * With --ttl every service carries a TTL check that `tick()` passes (the core calls it every --ttl-refresh).
 * A service of ours the agent no longer has (agent restarted, removed behind our back) calls `onMissing`
 * for a resync.
 */
import type { Logger } from '../common/log.js';
import { ShoalError, errorMessage } from '../common/errors.js';
import type { KV } from '../store/store.js';
import {
  catalogKey,
  catalogView,
  decodeView,
  encodeView,
  registrationFor,
  ttlCheckId,
  viewOfAgentService,
  type CatalogOptions,
} from './catalog.js';
import { agentError, type AgentApi } from './consul-agent.js';
import type { Service } from './service.js';
import type { EntryWriter } from './writer.js';

/** Consul refused a registration (bad check, script checks disabled...): retrying will not help. */
export class CatalogRefusedError extends ShoalError {
  constructor(message: string) {
    super('SHOAL_CATALOG_REFUSED', message);
  }
}

export interface CatalogWriterOptions extends CatalogOptions {
  dockerHost: string;
  onMissing?: (why: string) => void;
}

export class CatalogWriter implements EntryWriter {
  /** Service ids registered or seen as ours: the TTL refresher passes their checks. */
  private readonly ours = new Set<string>();
  private down = false;

  constructor(
    private readonly agent: AgentApi,
    private readonly opts: CatalogWriterOptions,
    private readonly log: Logger,
  ) {}

  entry(s: Service): [string, string] {
    const { view, warnings } = catalogView(s, this.opts);
    for (const w of warnings) this.log.warn({ service: s.name, id: s.id }, w);
    return [catalogKey(view), encodeView(view)];
  }

  async put(_key: string, value: string): Promise<void> {
    const view = decodeView(value);
    const answer = await this.agent.request('PUT', '/v1/agent/service/register', registrationFor(view, this.opts));
    const { status, text } = answer;
    if ((status >= 400 && status < 500) || (status === 500 && /disabled|invalid/i.test(text))) {
      // A refusal, not an outage: say why and go on with the other services.
      this.log.error(
        { service: view.Name, id: view.ID, consul: text.trim() },
        'consul refused the service registration; skipped',
      );
      return;
    }
    if (status !== 200) throw agentError(`consul register ${view.ID}`, answer);
    this.ours.add(view.ID);
  }

  async delete(key: string): Promise<void> {
    const id = key.slice(key.indexOf('/') + 1);
    const answer = await this.agent.request('PUT', `/v1/agent/service/deregister/${encodeURIComponent(id)}`);
    if (answer.status !== 200 && answer.status !== 404) throw agentError(`consul deregister ${id}`, answer);
    this.ours.delete(id);
  }

  async current(): Promise<KV[]> {
    const answer = await this.agent.request('GET', '/v1/agent/services');
    if (answer.status !== 200) throw agentError('consul list services', answer);
    const out: KV[] = [];
    for (const svc of Object.values(JSON.parse(answer.text) as Record<string, Record<string, unknown>>)) {
      const view = viewOfAgentService(svc, this.opts.dockerHost);
      if (view === undefined) continue;
      this.ours.add(view.ID);
      out.push({ key: catalogKey(view), value: encodeView(view) });
    }
    return out;
  }

  /**
   * One upkeep round (the core runs it every --ttl-refresh with --ttl, else every 10s): list the agent's
   * services; one of ours missing (agent restarted, removed behind our back) or the agent answering again
   * after a failure asks for a resync; with --ttl, pass the TTL check of each of ours.
   */
  async tick(): Promise<void> {
    let listed: Set<string>;
    try {
      listed = new Set((await this.current()).map((kv) => kv.key.slice(kv.key.indexOf('/') + 1)));
    } catch (err) {
      if (!this.down)
        this.log.warn({ err: errorMessage(err) }, 'consul agent unreachable; will resync when it answers');
      this.down = true;
      return;
    }
    const missing = [...this.ours].filter((id) => !listed.has(id));
    for (const id of missing) this.ours.delete(id);
    if (this.down || missing.length > 0) {
      this.log.warn(
        { missing: missing.length, agentBack: this.down },
        'consul agent lost services of ours or came back; resyncing',
      );
      this.down = false;
      this.opts.onMissing?.(
        missing.length > 0 ? `${missing.length} services missing from the agent` : 'consul agent back',
      );
    }
    if (this.opts.ttlMs <= 0) return;
    for (const id of listed) {
      try {
        const path = `/v1/agent/check/pass/${encodeURIComponent(ttlCheckId(id))}`;
        const { status, text } = await this.agent.request('PUT', path);
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
}
