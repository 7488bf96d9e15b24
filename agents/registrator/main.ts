/**
 * `shoal registrator`: wire config to the pieces (Docker engine, store, writer, Registrator) and run until
 * the shutdown signal. Entries stay in the store on shutdown (a restart finds and reconciles them); with
 * --ttl they expire unless a new run picks them up.
 */
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import type { AgentContext, AgentMain } from '../common/agent.js';
import { ShoalError, errorMessage, rethrowAtStart } from '../common/errors.js';
import { retry } from '../common/retry.js';
import { withTimeout } from '../common/backoff.js';
import { storeOptionsFrom } from '../config/common.js';
import { DockerClient } from '../docker/client.js';
import { endpointHostIp } from '../docker/endpoint.js';
import { containerSource } from '../docker/source.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { RegistratorConfig } from './config.js';
import { unsafeTokenReason } from './names.js';
import { openCatalog } from './catalog-main.js';
import type { CatalogWriter } from './catalog-writer.js';
import { Registrator, type RegistratorOptions } from './registrator.js';
import { LeaseWriter, StoreWriter, type EntryWriter } from './writer.js';
import { startStatusServer, type StatusServer } from '../common/status.js';
import { VERSION } from '../version.js';
import { RegistratorMetrics } from './metrics.js';

function firstExternalIpv4(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

async function resolveDockerHost(config: RegistratorConfig, docker: DockerClient, ctx: AgentContext): Promise<string> {
  const retrying = { signal: ctx.signal, log: ctx.log, what: 'docker info', initialMs: config.retryIntervalMs };
  const info = () => retry(() => docker.info(), retrying).catch(rethrowAtStart('registrator', docker.endpoint.url));
  const name = config.hostname ?? (await info()).Name ?? '';
  const why = name.includes(':') ? 'contains ":"' : unsafeTokenReason(name);
  if (why) throw new ShoalError('SHOAL_BAD_HOSTNAME', `docker host name ${JSON.stringify(name)} cannot be used in keys: ${why}`, { exitCode: 2 });
  return name;
}

function registratorOptions(config: RegistratorConfig, docker: DockerClient, dockerHost: string): RegistratorOptions {
  return {
    dockerHost,
    ip: config.ip,
    defaultIp: config.ip ?? endpointHostIp(docker.endpoint) ?? firstExternalIpv4() ?? '127.0.0.1',
    internal: config.internal,
    explicit: config.explicit,
    useIpFromLabel: config.useIpFromLabel,
    tags: config.tags,
    nameSuffix: config.nameSuffix,
    deregister: config.deregister,
    healthAware: config.healthAware,
    cleanup: config.cleanup,
    resyncMs: config.resyncMs,
    retryIntervalMs: config.retryIntervalMs,
    withdrawAfterMs: config.withdrawAfterMs,
  };
}

export const main: AgentMain<RegistratorConfig> = async (config, ctx) => {
  const { log, signal } = ctx;
  const docker = DockerClient.forHost(config.dockerHost, { env: ctx.env });
  const storeOpts = await storeOptionsFrom(config.store, (p) => readFile(p, 'utf8'));
  let store: Store | undefined;
  let catalog: CatalogWriter | undefined;
  const metrics = new RegistratorMetrics();
  let status: StatusServer | undefined;
  try {
    if (config.statusAddr) {
      status = await startStatusServer(config.statusAddr, () => metrics.health(), metrics.registry);
      log.info({ address: status.address }, 'status server listening');
    }
    if (config.registry.scheme === 'consul-catalog') {
      catalog = await openCatalog(config, storeOpts, await resolveDockerHost(config, docker, ctx), ctx, (why) => reg.requestFull(why));
      const opts = registratorOptions(config, docker, catalog.dockerHost);
      const reg: Registrator = new Registrator(containerSource(docker), catalog, opts, log);
      metrics.reg = reg;
      metrics.storeConnected = true; // the catalog writer retries on its own; syncs fail (and say so) while it is away
      catalog.start();
      void reg.firstSync.then(() => ctx.notify?.ready('first sync done (catalog)'));
      log.info({ version: VERSION, registry: catalog.description, dockerHost: catalog.dockerHost, docker: docker.endpoint.url, ttlMs: config.ttlMs, resyncMs: config.resyncMs, internal: config.internal, explicit: config.explicit, statusAddr: status?.address }, 'registrator started (catalog mode)');
      await reg.run(signal);
      return 0;
    }
    const refused = rethrowAtStart('registrator', config.registry.text);
    const what = `store ${config.registry.text}`;
    const storeRetry = { attempts: config.retryAttempts, initialMs: config.retryIntervalMs, signal, log, what };
    store = await retry(async () => {
      const s = await openStore(config.registry, { ...storeOpts, logger: log });
      try {
        await s.ping();
      } catch (err) {
        await s.close().catch(() => undefined);
        throw err;
      }
      return s;
    }, storeRetry).catch(refused);
    metrics.storeConnected = true;
    const dockerHost = await resolveDockerHost(config, docker, ctx);
    let writer: EntryWriter;
    if (config.ttlMs > 0) {
      const s = store;
      const leaseRetry = { signal, log, what: 'store lease', initialMs: config.retryIntervalMs };
      const lease = await retry(() => s.lease(config.ttlMs), leaseRetry).catch(refused);
      writer = new LeaseWriter(store, lease);
      lease.on('lost', (err) => log.warn({ err: errorMessage(err) }, 'lease lost; it will be re-created'));
      lease.on('restored', () => reg.requestFull('lease restored'));
    } else {
      writer = new StoreWriter(store);
    }
    const opts = registratorOptions(config, docker, dockerHost);
    const reg: Registrator = new Registrator(containerSource(docker), writer, opts, log);
    metrics.reg = reg;
    store.on('state', (state) => {
      metrics.storeConnected = state !== 'lost';
      if (state === 'restored') reg.requestFull('store restored');
      else if (state === 'lost') log.warn('store connection lost');
    });
    log.info({ version: VERSION, registry: store.description, dockerHost, docker: docker.endpoint.url, ttlMs: config.ttlMs, resyncMs: config.resyncMs, internal: config.internal, explicit: config.explicit, statusAddr: status?.address }, 'registrator started');
    void reg.firstSync.then(() => ctx.notify?.ready(`first sync done: ${reg.stats.puts} put, ${reg.stats.deletes} deleted`));
    await reg.run(signal);
    return 0;
  } catch (err) {
    if (signal.aborted) return 0;
    throw err;
  } finally {
    catalog?.stop();
    await status?.close();
    // a store that is down or half-closed must not hold up shutdown
    if (store) await withTimeout(store.close(), 5000, () => new Error('store close timed out')).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'store close failed'));
    docker.close();
  }
};
