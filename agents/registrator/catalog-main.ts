/** Catalog mode wiring: the agent endpoint from the registry URI and store options, reached with retries. */
import type { AgentContext } from '../common/agent.js';
import { retry } from '../common/retry.js';
import { rethrowAtStart } from '../common/errors.js';
import type { StoreOptions } from '../store/store.js';
import { CatalogWriter } from './catalog-writer.js';
import type { RegistratorConfig } from './config.js';

export async function openCatalog(
  config: RegistratorConfig,
  storeOpts: StoreOptions,
  dockerHost: string,
  ctx: AgentContext,
  onMissing: (why: string) => void,
): Promise<CatalogWriter> {
  const uri = config.registry;
  const host = uri.hosts[0]!;
  const secure = storeOpts.tls !== undefined || uri.params.tls === 'true' || uri.params.scheme === 'https';
  const writer = new CatalogWriter(
    { host: host.host, port: host.port, secure, timeoutMs: storeOpts.timeoutMs, ...(storeOpts.token ? { token: storeOpts.token } : {}), ...(storeOpts.tls ? { tls: storeOpts.tls } : {}) },
    { dockerHost, ttlMs: config.ttlMs, ttlRefreshMs: config.ttlRefreshMs, onMissing },
    ctx.log,
  );
  const ping = {
    attempts: config.retryAttempts,
    initialMs: config.retryIntervalMs,
    signal: ctx.signal,
    log: ctx.log,
    what: writer.description,
  };
  await retry(() => writer.ping(), ping).catch(rethrowAtStart('registrator', writer.description));
  return writer;
}
