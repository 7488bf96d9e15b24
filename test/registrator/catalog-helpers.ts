/** Helpers for the catalog-mode tests: the shared Consul agent's HTTP API, polling, cleanup. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../agents/common/log.js';

export type Json = Record<string, unknown>;

export async function agentApi(addr: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`http://${addr}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** Services on the agent whose Meta shoal-host is one of `hosts`. */
export async function servicesOf(addr: string, hosts: string[]): Promise<Json[]> {
  const all = (await agentApi(addr, 'GET', '/v1/agent/services')) as Record<string, Json>;
  return Object.values(all).filter((s) =>
    hosts.includes(((s.Meta ?? {}) as Record<string, string>)['shoal-host'] ?? ''),
  );
}

export async function deregisterHosts(addr: string, hosts: string[]): Promise<void> {
  for (const s of await servicesOf(addr, hosts).catch(() => []))
    await agentApi(addr, 'PUT', `/v1/agent/service/deregister/${encodeURIComponent(s.ID as string)}`).catch(
      () => undefined,
    );
}

export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { log: Logger; lines: Json[] } {
  const lines: Json[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Json);
      cb();
    },
  });
  return { log: createLogger({ agent: 'registrator', level: 'info', pretty: false, destination: dest }), lines };
}
