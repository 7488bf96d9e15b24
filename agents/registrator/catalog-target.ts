/** Catalog mode (`consul-catalog://`): the local Consul agent from the registry URI, as a RegistryTarget. */
import type { Logger } from '../common/log.js';
import type { StoreOptions } from '../store/store.js';
import type { StoreUri } from '../store/uri.js';
import { CatalogWriter } from './catalog-writer.js';
import type { RegistratorConfig } from './config.js';
import { ConsulAgent, type AgentApi } from './consul-agent.js';
import type { RegistryTarget } from './target.js';

/** Without --ttl: how often the agent's services are checked for ours having vanished. */
const WATCH_MS = 10_000;

/** The agent named by the URI's first host, with the store options' token and TLS. */
export function consulAgentFor(uri: StoreUri, storeOpts: StoreOptions): ConsulAgent {
  const host = uri.hosts[0]!;
  const secure = storeOpts.tls !== undefined || uri.params.tls === 'true' || uri.params.scheme === 'https';
  return new ConsulAgent({
    host: host.host,
    port: host.port,
    secure,
    timeoutMs: storeOpts.timeoutMs,
    ...(storeOpts.token ? { token: storeOpts.token } : {}),
    ...(storeOpts.tls ? { tls: storeOpts.tls } : {}),
  });
}

export function catalogTarget(
  config: Pick<RegistratorConfig, 'ttlMs' | 'ttlRefreshMs'>,
  agent: AgentApi & { description: string; ping(): Promise<void> },
  log: Logger,
): RegistryTarget {
  return {
    mode: 'catalog',
    description: agent.description,
    connect: () => agent.ping(),
    async open(dockerHost, hooks) {
      const writer = new CatalogWriter(agent, { dockerHost, ttlMs: config.ttlMs, onMissing: hooks.resync }, log);
      const everyMs = config.ttlMs > 0 ? config.ttlRefreshMs : WATCH_MS;
      return { writer, upkeep: { everyMs, run: () => writer.tick() } };
    },
    async close() {},
  };
}
