/**
 * `shoal registrator`: open the Docker engine, pick the registry target by the URI's scheme (catalog mode
 * for consul-catalog://, the store otherwise), serve status, and run the core (core.ts) until the shutdown
 * signal. Entries stay in the registry on shutdown (a restart finds and reconciles them); with --ttl they
 * expire unless a new run picks them up.
 */
import os from 'node:os';
import { readFile } from 'node:fs/promises';
import type { AgentContext, AgentMain } from '../common/agent.js';
import { storeOptionsFrom } from '../config/common.js';
import { DockerClient } from '../docker/client.js';
import { endpointHostIp } from '../docker/endpoint.js';
import { containerSource } from '../docker/source.js';
import { openStore } from '../store/open.js';
import { startStatusServer, type StatusServer } from '../common/status.js';
import type { RegistratorConfig } from './config.js';
import { catalogTarget, consulAgentFor } from './catalog-target.js';
import { startRegistrator, type RegistratorHandle } from './core.js';
import { kvTarget } from './kv-target.js';
import { RegistratorMetrics } from './metrics.js';

function firstExternalIpv4(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export const main: AgentMain<RegistratorConfig> = (config, ctx) => runRegistrator(config, ctx);

/** `main`, handing the running core to `onStart` (tests wait on its `pass` events). */
export async function runRegistrator(
  config: RegistratorConfig,
  ctx: AgentContext,
  onStart?: (handle: RegistratorHandle) => void,
): Promise<number> {
  const { log, signal } = ctx;
  const docker = DockerClient.forHost(config.dockerHost, { env: ctx.env });
  const storeOpts = await storeOptionsFrom(config.store, (p) => readFile(p, 'utf8'));
  const metrics = new RegistratorMetrics();
  let status: StatusServer | undefined;
  try {
    if (config.statusAddr) {
      const { registratorRegistry } = await import('./prometheus.js'); // prom-client only when served
      status = await startStatusServer(config.statusAddr, () => metrics.health(), registratorRegistry(metrics));
      log.info({ address: status.address }, 'status server listening');
    }
    const target =
      config.registry.scheme === 'consul-catalog'
        ? catalogTarget(config, consulAgentFor(config.registry, storeOpts), log)
        : kvTarget(config, () => openStore(config.registry, { ...storeOpts, logger: log }), log);
    const engine = { ...containerSource(docker), info: async () => ({ name: (await docker.info()).Name ?? '' }) };
    const registrator = startRegistrator(config, {
      docker: engine,
      target,
      log,
      metrics,
      hostIp: endpointHostIp(docker.endpoint) ?? firstExternalIpv4(),
      onReady: (line) => void ctx.notify?.ready(line),
      startFields: { docker: docker.endpoint.url, statusAddr: status?.address },
    });
    onStart?.(registrator);
    const stop = () => void registrator.stop();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    try {
      await registrator.done;
    } finally {
      signal.removeEventListener('abort', stop);
    }
    return 0;
  } catch (err) {
    if (signal.aborted) return 0;
    throw err;
  } finally {
    await status?.close();
    docker.close();
  }
}
