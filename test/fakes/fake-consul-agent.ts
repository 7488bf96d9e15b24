/**
 * The part of a Consul agent's HTTP API that catalog mode uses, in memory: register, deregister, list,
 * pass a check. `services` can be changed behind the registrator's back (an agent restart clears it).
 */
import type { AgentAnswer, AgentApi } from '../../agents/registrator/consul-agent.js';

type Json = Record<string, unknown>;

export class FakeConsulAgent implements AgentApi {
  readonly description = 'consul-catalog://fake:8500';
  readonly services = new Map<string, Json>();
  /** Check ids passed, in order. */
  readonly passed: string[] = [];

  async ping(): Promise<void> {}

  async request(method: string, path: string, body?: unknown): Promise<AgentAnswer> {
    const ok = (value: unknown = {}) => ({ status: 200, text: JSON.stringify(value) });
    const tail = (prefix: string) => decodeURIComponent(path.slice(prefix.length));
    if (method === 'GET' && path === '/v1/agent/services') return ok(Object.fromEntries(this.services));
    if (method === 'PUT' && path === '/v1/agent/service/register') {
      const r = body as Json;
      const { ID, Name, Address, Port, Tags, Meta } = r;
      this.services.set(ID as string, { ID, Service: Name, Address, Port, Tags, Meta });
      return ok();
    }
    if (method === 'PUT' && path.startsWith('/v1/agent/service/deregister/')) {
      this.services.delete(tail('/v1/agent/service/deregister/'));
      return ok();
    }
    if (method === 'PUT' && path.startsWith('/v1/agent/check/pass/')) {
      const check = tail('/v1/agent/check/pass/');
      if (!this.services.has(check.replace(/^shoal-ttl:/, ''))) return { status: 404, text: 'unknown check' };
      this.passed.push(check);
      return ok();
    }
    return { status: 404, text: `no ${method} ${path}` };
  }
}
