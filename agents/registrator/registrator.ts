/**
 * The registrator's I/O shell. One loop owns all writes: Docker events only mark containers dirty, the loop
 * inspects each dirty container (so the decision always uses the container's current state, whatever order
 * events came in), and writes the difference. Full reconciliation runs at start (after the event stream is
 * connected, so nothing is missed), on every event-stream reconnect, after any failed write, and whenever
 * `requestFull` asks (store/lease recovery, the --resync timer: see core.ts). Docker and the store are
 * retried forever with backoff. Each pass ends with a `pass` event (tests wait on it).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../common/log.js';
import { deferred } from '../common/deferred.js';
import { errorMessage } from '../common/errors.js';
import { retry } from '../common/retry.js';
import type { ContainerInfo } from '../docker/container.js';
import type { ContainerListing } from '../docker/source.js';
import type { EventItem } from '../docker/events.js';
import { needsInspect, planFullSync } from './full-sync.js';
import { decide, decideFromEvent, TRIGGER_ACTIONS, type DecideOptions, type Decision } from './decide.js';
import { pool, settledPool } from './pool.js';
import { reconcile } from './reconcile.js';
import { keyFor, valueFor } from './service.js';
import { servicesFor, type ServiceOptions } from './services-for.js';
import { systemTimers, type Timers } from './timers.js';
import type { EntryWriter } from './writer.js';

export interface DockerSource {
  listContainers(all?: boolean): Promise<ContainerListing[]>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  events(signal: AbortSignal): AsyncIterable<EventItem>;
}

export interface RegistratorOptions extends ServiceOptions, DecideOptions {
  cleanup: boolean;
  retryIntervalMs: number;
  /** Containers inspected / entries written in parallel. */
  concurrency?: number;
  /**
   * Once the engine's event stream has been down this long, delete this host's entries: a crashed dockerd
   * must not stay routable because its registrator keeps the lease alive. The reconnect resync puts back
   * whatever runs again. 0 or absent: never.
   */
  withdrawAfterMs?: number;
}

export interface RegistratorStats {
  fullSyncs: number;
  containerSyncs: number;
  puts: number;
  deletes: number;
  errors: number;
  events: number;
  reconnects: number;
}

/** One pass of the loop: what it did and whether it succeeded. */
export interface Pass {
  kind: 'full' | 'containers' | 'withdraw';
  ok: boolean;
}

export class Registrator extends EventEmitter<{ pass: [Pass] }> {
  readonly stats: RegistratorStats = {
    fullSyncs: 0,
    containerSyncs: 0,
    puts: 0,
    deletes: 0,
    errors: 0,
    events: 0,
    reconnects: 0,
  };
  /** Did the last sync pass (full or per container) succeed? undefined before the first one. */
  lastSyncOk: boolean | undefined;
  private readonly firstSyncDone = deferred();
  /** Resolves after the first full resync has been applied (systemd readiness). */
  readonly firstSync = this.firstSyncDone.promise;
  /** container id -> (key -> value) of what we last wrote for it. */
  private readonly registered = new Map<string, Map<string, string>>();
  private readonly dirty = new Set<string>();
  /** Dirty containers whose latest event settled the decision (die, destroy): no inspect needed. */
  private readonly settled = new Map<string, Decision>();
  private fullWanted = false;
  private withdrawWanted = false;
  private downTimer: unknown;
  private passing = false;
  private wake: (() => void) | undefined;
  private wakeBackoff: (() => void) | undefined;
  private readonly limit: number;

  constructor(
    private readonly docker: DockerSource,
    private readonly writer: EntryWriter,
    private readonly opts: RegistratorOptions,
    private readonly log: Logger,
    private readonly timers: Timers = systemTimers,
  ) {
    super();
    this.limit = opts.concurrency ?? 16;
  }

  /** Ask for a full reconciliation (store recovered, timer, ...). */
  requestFull(reason: string): void {
    this.log.debug({ reason }, 'full resync requested');
    this.fullWanted = true;
    this.poke();
  }

  /** `settled`: the decision the container's latest event implies, when it needs no inspect. */
  markDirty(id: string, settled?: Decision): void {
    this.dirty.add(id);
    if (settled === undefined) this.settled.delete(id);
    else this.settled.set(id, settled);
    this.poke();
  }

  /** True when no pass runs and none is wanted. */
  idle(): boolean {
    return !this.passing && !this.fullWanted && !this.withdrawWanted && this.dirty.size === 0;
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const pump = this.pumpEvents(signal);
    try {
      await this.loop(signal);
    } finally {
      this.timers.clearTimeout(this.downTimer);
      this.poke();
      await pump;
    }
  }

  /** Start the engine-down clock (once per outage). */
  private armWithdraw(): void {
    const ms = this.opts.withdrawAfterMs ?? 0;
    if (ms <= 0 || this.downTimer !== undefined) return;
    this.downTimer = this.timers.setTimeout(() => {
      this.withdrawWanted = true;
      this.poke();
      const w = this.wakeBackoff;
      this.wakeBackoff = undefined;
      w?.();
    }, ms);
  }

  /** A retry pause that the engine-down clock can cut short (events must not: they would defeat the backoff). */
  private backoff(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.timers.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeBackoff = undefined;
        resolve();
      };
      const timer = this.timers.setTimeout(done, ms);
      this.wakeBackoff = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** The engine has been unreachable for --withdraw-after: delete every entry of this host. */
  private async withdrawAll(): Promise<void> {
    const host = this.opts.dockerHost;
    const current = await this.writer.current();
    const plan = reconcile(new Map(), current, host, { cleanup: true, keep: new Set(), removable: new Set() });
    await this.apply([], plan.delete);
    this.registered.clear();
    this.log.warn(
      { withdrawAfterMs: this.opts.withdrawAfterMs, deleted: plan.delete.length },
      "docker engine unreachable: withdrew this host's entries",
    );
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async pumpEvents(signal: AbortSignal): Promise<void> {
    try {
      for await (const item of this.docker.events(signal)) {
        if (item.kind === 'connected') {
          this.timers.clearTimeout(this.downTimer);
          this.downTimer = undefined;
          this.withdrawWanted = false;
          if (item.reconnect) this.stats.reconnects += 1;
          this.log.info({ reconnect: item.reconnect }, 'docker event stream connected');
          this.requestFull(item.reconnect ? 'event stream reconnected' : 'start');
        } else if (item.kind === 'disconnected') {
          this.log.warn({ err: item.error }, 'docker event stream lost; reconnecting');
          this.armWithdraw();
        } else if (item.event.type === 'container' && TRIGGER_ACTIONS.has(item.event.action) && item.event.id) {
          this.stats.events += 1;
          const { action, attributes, id } = item.event;
          this.markDirty(id, decideFromEvent(action, attributes, this.opts));
        }
      }
    } catch (err) {
      if (!signal.aborted) this.log.error({ err: errorMessage(err) }, 'event pump failed');
    }
  }

  /** The most urgent pass wanted, if any. */
  private nextPass(): Pass['kind'] | undefined {
    if (this.withdrawWanted) return 'withdraw';
    if (this.fullWanted) return 'full';
    return this.dirty.size > 0 ? 'containers' : undefined;
  }

  private async runPass(kind: Pass['kind']): Promise<void> {
    if (kind === 'withdraw') {
      this.withdrawWanted = false;
      await this.withdrawAll();
      this.fullWanted = true; // once the engine answers again
    } else if (kind === 'full') {
      this.fullWanted = false;
      await this.fullSync();
    } else {
      const ids = [...this.dirty];
      const settled = new Map(this.settled);
      this.dirty.clear();
      this.settled.clear();
      await this.syncContainers(ids, settled);
    }
  }

  /** Until `poke()` (an event, a request) or the signal aborts. */
  private waitForWork(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let kind: Pass['kind'] = 'full'; // the pass in flight
    const passes = async (progress: () => void): Promise<void> => {
      while (!signal.aborted) {
        const next = this.nextPass();
        if (next === undefined) {
          await this.waitForWork(signal);
          continue;
        }
        kind = next;
        await this.pass(kind, signal, progress);
      }
    };
    const pause = (ms: number): Promise<void> => {
      const paused = this.backoff(ms, signal);
      this.emit('pass', { kind, ok: false }); // once the retry is armed: a test may advance the clock now
      return paused;
    };
    const retrying = { initialMs: this.opts.retryIntervalMs, maxMs: 30_000, signal, log: this.log, wait: pause };
    // Docker and the store are retried forever, whatever they answer
    await retry(passes, { ...retrying, what: 'sync', isRetryable: () => true }).catch((err: unknown) => {
      if (!signal.aborted) throw err;
    });
  }

  /** One pass; a failure is counted and rethrown for the loop to back off (a withdrawal is no progress). */
  private async pass(kind: Pass['kind'], signal: AbortSignal, progress: () => void): Promise<void> {
    this.passing = true;
    try {
      await this.runPass(kind);
    } catch (err) {
      this.passing = false;
      if (!signal.aborted) {
        this.stats.errors += 1;
        this.lastSyncOk = false;
        this.fullWanted = true; // catch up with everything once Docker and the store answer again
      }
      throw err;
    }
    if (kind !== 'withdraw') {
      progress();
      this.lastSyncOk = true;
    }
    this.passing = false;
    this.emit('pass', { kind, ok: true });
  }

  /** key -> value of the services a container should have in the store now. */
  private entriesOf(c: ContainerInfo | undefined, decision: Decision): Map<string, string> {
    const out = new Map<string, string>();
    if (c === undefined || decision !== 'register') return out;
    const { services, rejected } = servicesFor(c, this.opts);
    for (const r of rejected)
      this.log.warn({ container: c.name, port: r.port, reason: r.reason }, 'service skipped: unsafe for the store');
    for (const s of services) {
      const [k, v] = this.writer.entry?.(s) ?? [keyFor(s), valueFor(s)];
      out.set(k, v);
    }
    return out;
  }

  private async apply(put: [string, string][], del: string[]): Promise<void> {
    await pool(del, this.limit, async (k) => {
      await this.writer.delete(k);
      this.stats.deletes += 1;
    });
    await pool(put, this.limit, async ([k, v]) => {
      await this.writer.put(k, v);
      this.stats.puts += 1;
    });
  }

  /** Inspect and write each container, unless its latest event settled the decision (`settled`). */
  private async syncContainers(ids: string[], settled: ReadonlyMap<string, Decision>): Promise<void> {
    const results = await settledPool(ids, this.limit, async (id) => {
      const known = settled.get(id);
      const c = known === undefined ? await this.docker.inspect(id) : undefined;
      const decision = known ?? decide(c, this.opts);
      const before = this.registered.get(id) ?? new Map<string, string>();
      if (decision === 'keep' || (known !== undefined && before.size === 0)) return;
      const after = this.entriesOf(c, decision);
      const put = [...after].filter(([k, v]) => before.get(k) !== v);
      const del = [...before.keys()].filter((k) => !after.has(k));
      await this.apply(put, del);
      if (after.size > 0) this.registered.set(id, after);
      else this.registered.delete(id);
      this.stats.containerSyncs += 1;
      if (put.length + del.length > 0)
        this.log.info(
          { container: c?.name ?? id.slice(0, 12), decision, put: put.length, delete: del.length },
          'container synced',
        );
    });
    const failed = results.map((r, i) => [r, ids[i] as string] as const).filter(([r]) => r.status === 'rejected');
    for (const [, id] of failed) this.dirty.add(id);
    if (failed.length > 0) throw (failed[0]?.[0] as PromiseRejectedResult).reason;
  }

  private async fullSync(): Promise<void> {
    const all = await this.docker.listContainers(true);
    const needInspect = all.filter((s) => needsInspect(s, this.opts));
    const infos = await pool(needInspect, this.limit, (s) => this.docker.inspect(s.id));
    const current = await this.writer.current();
    const { desired, byContainer, plan } = planFullSync(all, infos, current, this.opts, (c, d) => this.entriesOf(c, d));
    const put = plan.put.map((kv): [string, string] => [kv.key, kv.value]);
    await this.apply(put, plan.delete);
    this.registered.clear();
    for (const [id, m] of byContainer) this.registered.set(id, m);
    this.stats.fullSyncs += 1;
    this.firstSyncDone.resolve();
    this.log.info(
      { containers: all.length, entries: desired.size, put: plan.put.length, delete: plan.delete.length },
      'full resync done',
    );
  }
}
