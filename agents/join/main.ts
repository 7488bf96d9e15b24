/** `shoal join`: advertise this engine at `<prefix>/<addr>`, refreshed while it answers /_ping (see joiner.ts). */
import { readFile } from 'node:fs/promises';
import type { AgentMain } from '../common/agent.js';
import { formatHostPort } from '../common/address.js';
import { retry } from '../common/retry.js';
import { sleep, withTimeout } from '../common/backoff.js';
import { errorMessage, rethrowAtStart } from '../common/errors.js';
import { storeOptionsFrom } from '../config/common.js';
import { DockerClient } from '../docker/client.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { JoinAdmission, JoinConfig } from './config.js';
import type { Logger } from '../common/log.js';
import { parseStoreUri, type StoreUri } from '../store/uri.js';
import { startDelay } from './decide.js';
import { Joiner } from './joiner.js';
import { startStatusServer, type StatusServer } from '../common/status.js';
import { VERSION } from '../version.js';
import { JoinMetrics } from './metrics.js';

/** `--token`: be admitted first (./admission.ts); the discovery URI to heartbeat to, as the manager gave it. */
async function admitted(
  config: JoinConfig,
  addr: string,
  signal: AbortSignal,
  log: Logger,
): Promise<StoreUri & { text: string }> {
  // loaded only with --token: the CSR helpers bring openssl's runner (execa), which a plain join never needs
  const { AdmissionRefusedError, requestAdmission } = await import('./admission.js');
  const { nodeCsr, saveNodeCert } = await import('./node-cert.js');
  const a = config.admission as JoinAdmission;
  const csr = a.certDir ? await nodeCsr(a.certDir) : undefined;
  const answer = await requestAdmission(a, addr, csr, { signal, log });
  if (a.certDir && answer.certificate) await saveNodeCert(a.certDir, answer.certificate, answer.ca);
  log.info(
    { node: answer.nodeId, role: answer.role, manager: formatHostPort(a.manager), certDir: a.certDir },
    'admitted to the swarm',
  );
  try {
    return { text: answer.discovery, ...parseStoreUri(answer.discovery, ['consul', 'etcd', 'etcd2', 'zk']) };
  } catch (err) {
    throw new AdmissionRefusedError(
      `shoal join: the manager's discovery ${JSON.stringify(answer.discovery)} is no store (${errorMessage(err)}): give --discovery`,
    );
  }
}

export const main: AgentMain<JoinConfig> = async (config, ctx) => {
  const { log, signal } = ctx;
  const addr = formatHostPort(config.addr);
  const docker = config.checkEngine
    ? DockerClient.forHost(config.dockerHost, { env: ctx.env, timeoutMs: Math.min(5000, config.heartbeatMs) })
    : undefined;
  const storeOpts = await storeOptionsFrom(config.store, (p) => readFile(p, 'utf8'));
  let store: Store | undefined;
  const metrics = new JoinMetrics(addr, config.checkEngine);
  let status: StatusServer | undefined;
  try {
    if (config.statusAddr) {
      const { joinRegistry } = await import('./prometheus.js'); // prom-client only when served
      status = await startStatusServer(config.statusAddr, () => metrics.health(), joinRegistry(metrics));
      log.info({ address: status.address }, 'status server listening');
    }
    const delay = startDelay(config.delayMs);
    if (delay > 0) {
      log.info({ delayMs: delay }, 'waiting before the first registration');
      await sleep(delay, signal);
    }
    const viaManager = config.admission ? await admitted(config, addr, signal, log) : undefined;
    // the config has one or the other (joinSpec.finish); --discovery wins over the manager's
    const discovery = (config.discovery ?? viaManager) as StoreUri & { text: string };
    const refused = rethrowAtStart('join', discovery.text);
    const open = () => openStore(discovery, { ...storeOpts, logger: log });
    store = await retry(open, { signal, log, what: `store ${discovery.text}` }).catch(refused);
    const joiner = new Joiner(
      store,
      {
        key: addr,
        value: addr,
        heartbeatMs: config.heartbeatMs,
        ttlMs: config.ttlMs,
        ping: docker ? () => docker.ping() : undefined,
      },
      log,
    );
    metrics.joiner = joiner;
    log.info(
      {
        version: VERSION,
        discovery: store.description,
        addr,
        docker: docker?.endpoint.url,
        checkEngine: config.checkEngine,
        heartbeatMs: config.heartbeatMs,
        ttlMs: config.ttlMs,
        statusAddr: status?.address,
      },
      'join started',
    );
    void joiner.firstBeat.then(() =>
      ctx.notify?.ready(`${joiner.stats.advertised > 0 ? 'advertising' : 'engine down, not advertising'} ${addr}`),
    );
    await joiner.run(signal).catch(refused); // only a refusal before the first beat ends it
    return 0;
  } catch (err) {
    if (signal.aborted) return 0;
    throw err;
  } finally {
    // a store that is down or half-closed must not hold up shutdown
    if (store)
      await withTimeout(store.close(), 5000, () => new Error('store close timed out')).catch((err: unknown) =>
        log.warn({ err: errorMessage(err) }, 'store close failed'),
      );
    docker?.close();
    await status?.close();
  }
};
