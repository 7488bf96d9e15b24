/**
 * The registrator, startable and stoppable in-process, whatever the registry: reach the registry (with
 * --retry-attempts), name the Docker host, open the writer, then run the Registrator (which connects the
 * event stream before it lists containers) with the resync and upkeep timers; readiness after the first full
 * reconciliation; `stop()` ends the loop after the pass in flight, stops the timers and lets go of the
 * registry. The I/O (engine, registry, timers) comes in `deps`, so tests run it on fakes.
 */
import type { Logger } from '../common/log.js';
import { ShoalError, rethrowAtStart } from '../common/errors.js';
import { retry } from '../common/retry.js';
import { VERSION } from '../version.js';
import type { RegistratorConfig } from './config.js';
import { RegistratorMetrics } from './metrics.js';
import { unsafeTokenReason } from './names.js';
import { Registrator, type DockerSource, type RegistratorOptions } from './registrator.js';
import type { RegistryTarget, TargetHooks } from './target.js';
import { every, systemTimers, type Timers } from './timers.js';

/** The engine calls the registrator makes. */
export interface EngineSource extends DockerSource {
  info(): Promise<{ name: string }>;
}

export interface CoreDeps {
  docker: EngineSource;
  target: RegistryTarget;
  log: Logger;
  timers?: Timers;
  metrics?: RegistratorMetrics;
  /** The address of published ports when --ip is not set and the binding IP is 0.0.0.0 (default 127.0.0.1). */
  hostIp?: string;
  /** Called once, after the first full reconciliation, with a status line (systemd readiness). */
  onReady?: (status: string) => void;
  /** Extra fields of the start line (the engine's URL, the status address). */
  startFields?: Record<string, unknown>;
}

export interface RegistratorHandle {
  readonly metrics: RegistratorMetrics;
  /** The running Registrator (stats, `pass` events) once started; undefined when start-up ended first. */
  readonly started: Promise<Registrator | undefined>;
  /** Resolves once the first full reconciliation is in the registry. */
  readonly firstSync: Promise<void>;
  /** Resolves once stopped; rejects when start-up failed (registry unreachable, unusable host name). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

async function dockerHostName(config: RegistratorConfig, docker: EngineSource, signal: AbortSignal, log: Logger) {
  const what = { signal, log, what: 'docker info', initialMs: config.retryIntervalMs };
  const info = () => retry(() => docker.info(), what).catch(rethrowAtStart('registrator', config.dockerHost));
  const name = config.hostname ?? (await info()).name;
  const why = name.includes(':') ? 'contains ":"' : unsafeTokenReason(name);
  if (why) {
    const message = `docker host name ${JSON.stringify(name)} cannot be used in keys: ${why}`;
    throw new ShoalError('SHOAL_BAD_HOSTNAME', message, { exitCode: 2 });
  }
  return name;
}

function registratorOptions(config: RegistratorConfig, dockerHost: string, hostIp?: string): RegistratorOptions {
  const { ip, internal, explicit, useIpFromLabel, tags, nameSuffix, deregister, healthAware, cleanup } = config;
  return {
    dockerHost,
    ip,
    defaultIp: ip ?? hostIp ?? '127.0.0.1',
    internal,
    explicit,
    useIpFromLabel,
    tags,
    nameSuffix,
    deregister,
    healthAware,
    cleanup,
    retryIntervalMs: config.retryIntervalMs,
    withdrawAfterMs: config.withdrawAfterMs,
  };
}

export function startRegistrator(config: RegistratorConfig, deps: CoreDeps): RegistratorHandle {
  const { docker, target, log } = deps;
  const timers = deps.timers ?? systemTimers;
  const metrics = deps.metrics ?? new RegistratorMetrics();
  const ac = new AbortController();
  const signal = ac.signal;
  let reg: Registrator | undefined;
  let markStarted!: (r: Registrator | undefined) => void;
  const started = new Promise<Registrator | undefined>((resolve) => (markStarted = resolve));
  let markFirstSync!: () => void;
  const firstSync = new Promise<void>((resolve) => (markFirstSync = resolve));
  const hooks: TargetHooks = {
    resync: (why) => reg?.requestFull(why),
    connected: (ok) => (metrics.storeConnected = ok),
  };

  const run = async () => {
    const attempts = { attempts: config.retryAttempts, initialMs: config.retryIntervalMs, signal, log };
    const refused = rethrowAtStart('registrator', config.registry.text);
    await retry(() => target.connect(), { ...attempts, what: target.description }).catch(refused);
    metrics.storeConnected = true;
    const dockerHost = await dockerHostName(config, docker, signal, log);
    signal.throwIfAborted();
    const opened = await target.open(dockerHost, hooks, signal);
    signal.throwIfAborted();
    const r = new Registrator(docker, opened.writer, registratorOptions(config, dockerHost, deps.hostIp), log, timers);
    reg = r;
    metrics.reg = r;
    const stops: (() => Promise<void>)[] = [];
    if (opened.upkeep) stops.push(every(timers, opened.upkeep.everyMs, opened.upkeep.run));
    if (config.resyncMs > 0) stops.push(every(timers, config.resyncMs, () => r.requestFull('resync timer')));
    const { ttlMs, resyncMs, internal, explicit } = config;
    const fields = { version: VERSION, mode: target.mode, registry: target.description, dockerHost, ttlMs, resyncMs };
    log.info({ ...fields, internal, explicit, ...deps.startFields }, 'registrator started');
    void r.firstSync.then(() => {
      markFirstSync();
      deps.onReady?.(`first sync done: ${r.stats.puts} put, ${r.stats.deletes} deleted`);
    });
    markStarted(r);
    try {
      await r.run(signal);
    } finally {
      opened.detach?.();
      for (const stop of stops) await stop();
    }
  };

  const done = run()
    .catch((err: unknown) => {
      if (!signal.aborted) throw err;
    })
    .finally(async () => {
      markStarted(undefined);
      await target.close();
    });

  return {
    metrics,
    started,
    firstSync,
    done,
    async stop() {
      ac.abort(new Error('registrator stopped'));
      await done.catch(() => undefined);
    },
  };
}
