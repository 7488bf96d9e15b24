/**
 * One engine as the manager sees it: validated with /info and /version, its containers (all states, each
 * inspected once per state) and images, kept fresh by the engine's event stream and a jittered refresh loop.
 * Health follows `nextHealth` (./health.ts); an unhealthy node is retried with backoff until it answers again.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../common/log.js';
import { backoffDelay, sleep } from '../../common/backoff.js';
import { retry } from '../../common/retry.js';
import { DockerRequestError } from '../../docker/errors.js';
import type { ContainerSnapshot, Health, ImageSnapshot, NodeSnapshot } from '../scheduler/node.js';
import { reserved } from '../scheduler/node.js';
import type { DockerClient } from '../../docker/client.js';
import { followEngineEvents } from './events.js';
import {
  healthScore,
  INITIAL_HEALTH,
  nextHealth,
  refreshOnAnswer,
  type HealthEvent,
  type HealthState,
} from './health.js';
import { engineFailure } from './unreachable.js';
import { EngineRefusedError, NotHealthyError } from './node-errors.js';
import { imageSnapshot, nodeLabels } from '../engine/convert.js';
import { inspected, relisted, wantsReschedule, type CachedContainer, type ContainerTimes } from './cached.js';
import type { ContainerInspect, ContainerSummary } from '../../docker/wire.js';

export interface NodeOptions {
  failureRetry: number;
  refreshMinMs: number;
  refreshMaxMs: number;
  /** Between the full refreshes, a light /_ping this often (0: off): a node that stops answering turns unhealthy after --engine-failure-retry failed pings, without waiting for the next refresh. */
  pingMs?: number;
  log: Logger;
  random?: () => number;
}

export class EngineNode extends EventEmitter<{ change: []; health: [Health, Health] }> {
  readonly client: DockerClient;
  id = '';
  name = '';
  labels: Record<string, string> = {};
  cpus = 0;
  memory = 0;
  serverVersion = '';
  apiVersion = '';
  private state: HealthState = INITIAL_HEALTH;
  updatedAt = new Date(0);
  private containers = new Map<string, CachedContainer>();
  /** Per container, the sequence number of the read that last set it: later-started reads win. */
  private touched = new Map<string, number>();
  private seq = 0;
  private images: ImageSnapshot[] = [];
  private readonly ac = new AbortController();
  private refreshing: Promise<void> | undefined;

  constructor(
    client: DockerClient,
    private readonly opts: NodeOptions,
  ) {
    super();
    this.client = client;
  }

  get addr(): string {
    return this.client.addr;
  }

  get health(): Health {
    return this.state.health;
  }

  get failures(): number {
    return this.state.failures;
  }

  /** When the current run of failures began (ms), to tell containers the failure stopped from earlier exits. */
  get firstFailureAt(): number | undefined {
    return this.state.firstFailureAt;
  }

  get error(): string {
    return this.state.error;
  }

  /** Start the refresh loop and the event stream. */
  start(): void {
    void this.loop();
    void this.events();
    if ((this.opts.pingMs ?? 0) > 0) void this.pinger(this.opts.pingMs as number);
  }

  stop(): void {
    this.ac.abort();
    this.client.close();
  }

  /** Dropped whenever anything the snapshot shows changes; rebuilt on the next read. */
  private cached: NodeSnapshot | undefined;

  snapshot(): NodeSnapshot {
    if (this.cached && this.cached.health === this.health) return this.cached;
    this.cached = this.build();
    return this.cached;
  }

  private build(): NodeSnapshot {
    const containers = [...this.containers.values()].map((c) => c.snap);
    const r = reserved(containers);
    return {
      healthScore: healthScore(this.state, { failureRetry: this.opts.failureRetry }),
      id: this.id,
      name: this.name || this.addr,
      addr: this.addr,
      labels: this.labels,
      cpus: this.cpus,
      memory: this.memory,
      reservedCpus: r.cpus,
      reservedMemory: r.memory,
      containers,
      images: this.images,
      health: this.health,
    };
  }

  /** Containers with `reschedule:on-node-failure`, with the config to re-create them from. */
  reschedulable(): { snap: ContainerSnapshot; inspect: ContainerInspect }[] {
    return [...this.containers.values()].flatMap((c) =>
      c.inspect && wantsReschedule(c.snap.labels) ? [{ snap: c.snap, inspect: c.inspect }] : [],
    );
  }

  summaries(): ContainerSummary[] {
    return [...this.containers.values()].map((c) => c.summary);
  }

  /** When a container last started and ended, as its last inspect said. */
  containerTimes(id: string): ContainerTimes | undefined {
    return this.containers.get(id)?.times;
  }

  /** Refresh now (concurrent callers share one refresh). Never throws: failures count towards health. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    try {
      const info = await this.client.info();
      const version = await this.client.version();
      if (/^(shoal|swarm)\//.test(version.Version ?? '') || /^(shoal|swarm)\//.test(info.ServerVersion ?? ''))
        throw new EngineRefusedError(this.addr, `it is a cluster manager (${version.Version}), not an engine`);
      if (!info.NCPU || info.NCPU <= 0) throw new EngineRefusedError(this.addr, 'it reports 0 CPUs (another manager?)');
      if (!info.MemTotal || info.MemTotal <= 0) throw new EngineRefusedError(this.addr, 'it reports no memory');
      this.id = info.ID ?? '';
      this.name = info.Name ?? '';
      this.labels = nodeLabels(info);
      this.cpus = info.NCPU;
      this.memory = info.MemTotal;
      this.serverVersion = info.ServerVersion ?? version.Version ?? '';
      this.apiVersion = version.ApiVersion ?? '';
      await this.refreshContainers();
      await this.refreshImages();
      this.cached = undefined;
      this.updatedAt = new Date();
      this.apply({ kind: 'refreshed' });
    } catch (err) {
      this.apply({ kind: 'refresh-failed', error: engineFailure(this.addr, err), at: Date.now() });
    }
    this.cached = undefined;
    this.emit('change');
  }

  /**
   * A call through the manager (a create) could not reach the engine: it counts against the node's health as
   * a failed refresh does, so the next placement tries it last. Returns the message to answer with.
   */
  callFailed(err: unknown): string {
    const error = engineFailure(this.addr, err);
    this.apply({ kind: 'call-failed', error, at: Date.now() });
    this.emit('change');
    return error;
  }

  /** One check's outcome through the health state machine; a change of health is logged and emitted. */
  private apply(event: HealthEvent): void {
    const was = this.state.health;
    this.state = nextHealth(this.state, event, { failureRetry: this.opts.failureRetry });
    this.cached = undefined; // the health score may have changed
    const now = this.state.health;
    if (now === was) return;
    if (now === 'healthy') this.opts.log.info({ node: this.name, addr: this.addr }, 'engine healthy');
    else this.opts.log.warn({ addr: this.addr, err: this.error }, 'engine unhealthy');
    this.emit('health', was, now);
  }

  /**
   * A host that vanishes without closing its connections (power loss, partition, a frozen dockerd) leaves
   * the event stream hanging; the refresh loop would notice only at its next turn. A /_ping every `everyMs`
   * (answer within `everyMs`, at most 5 s) counts failures the same way; a node that answers again while
   * not healthy is refreshed at once.
   */
  private async pinger(everyMs: number): Promise<void> {
    const timeoutMs = Math.min(everyMs, 5000);
    while (!this.ac.signal.aborted) {
      try {
        await sleep(everyMs, this.ac.signal);
      } catch {
        return;
      }
      if (this.refreshing) continue; // a refresh is checking the node right now
      try {
        await this.client.ping(timeoutMs);
        if (refreshOnAnswer(this.state)) void this.refresh();
        else this.apply({ kind: 'pinged' });
      } catch (err) {
        if (this.ac.signal.aborted) return;
        this.apply({ kind: 'ping-failed', error: engineFailure(this.addr, err), at: Date.now() });
        this.cached = undefined;
        this.emit('change');
      }
    }
  }

  /** List all containers; inspect the ones new or changed since the last look. */
  async refreshContainers(): Promise<void> {
    const started = ++this.seq;
    const list = await this.client.listContainers({ all: true });
    const next = new Map<string, CachedContainer>();
    await Promise.all(
      list.map(async (s) => {
        const old = this.containers.get(s.Id);
        if (old && old.summary.State === s.State) {
          next.set(s.Id, relisted(old, s));
          return;
        }
        next.set(s.Id, inspected(s, await this.inspectOrNone(s.Id), this.cpus));
      }),
    );
    // a single-container read that started after this list won: keep what it found (or that it is gone)
    for (const [id, at] of this.touched) {
      if (at < started) continue;
      const cur = this.containers.get(id);
      if (cur) next.set(id, cur);
      else next.delete(id);
    }
    for (const id of next.keys()) if ((this.touched.get(id) ?? 0) < started) this.touched.set(id, started);
    for (const id of this.touched.keys())
      if (!next.has(id) && (this.touched.get(id) ?? 0) <= started) this.touched.delete(id);
    this.containers = next;
    this.cached = undefined;
  }

  private async refreshImages(): Promise<void> {
    this.images = (await this.client.listImages()).map(imageSnapshot);
  }

  /** The container's inspect; undefined when the engine answers it with an error (the listing still counts). */
  private inspectOrNone(id: string): Promise<ContainerInspect | undefined> {
    return this.client.inspectContainer(id).catch((err: unknown) => {
      if (err instanceof DockerRequestError) return undefined;
      throw err;
    });
  }

  /** Re-read one container (after an operation through the manager): two small calls, not a full list. */
  async refreshContainer(id: string): Promise<void> {
    const mine = ++this.seq;
    const list = await this.client.listContainers({ all: true, filters: { id: [id] } });
    const s = list.find((c) => c.Id === id);
    const inspect = s ? await this.inspectOrNone(id) : undefined;
    if ((this.touched.get(id) ?? 0) > mine) return; // a later read already answered
    this.touched.set(id, mine);
    if (!s) this.containers.delete(id);
    else this.containers.set(id, inspected(s, inspect, this.cpus));
    this.cached = undefined;
  }

  /**
   * Refresh every refresh-min..max (jittered) while the node is healthy; one that is not (pending or
   * unhealthy) is refreshed again with backoff from a tenth of the minimum, up to the maximum.
   */
  private async loop(): Promise<void> {
    const random = this.opts.random ?? Math.random;
    const { refreshMinMs: min, refreshMaxMs: max } = this.opts;
    const signal = this.ac.signal;
    const refreshes = async (progress: () => void): Promise<void> => {
      for (;;) {
        await this.refresh();
        if (this.health !== 'healthy') throw new NotHealthyError(this.addr, this.health, this.error);
        progress();
        await sleep(min + random() * (max - min), signal);
      }
    };
    // health changes are logged by apply(): the retries themselves stay quiet
    const opts = { signal, initialMs: Math.max(200, min / 10), maxMs: max, what: 'engine refresh', onRetry: () => {} };
    await retry(refreshes, opts).catch(() => {});
  }

  /** Follow /events; container events refresh the container list (debounced); a broken stream refreshes all. */
  private async events(): Promise<void> {
    const signal = this.ac.signal;
    const streams = async (progress: () => void): Promise<void> => {
      for (;;) {
        const ok = await this.followEvents();
        if (signal.aborted) return;
        void this.refresh();
        if (!ok) throw new Error(`engine ${this.addr}: event stream failed`);
        progress();
        await sleep(backoffDelay(0, { initialMs: 250 }), signal); // an engine that ends streams at once is not hammered
      }
    };
    // after a failed stream: 500 ms, doubling, at most 10 s (the refresh above counts the failure)
    await retry(streams, { signal, initialMs: 500, maxMs: 10_000, what: 'engine events', onRetry: () => {} }).catch(
      () => {},
    );
  }

  /** Batch the changed container IDs for 50 ms, then re-read just those (and the images if they changed). */
  private followEvents(): Promise<boolean> {
    const ids = new Set<string>();
    let images = false;
    let timer: NodeJS.Timeout | undefined;
    const flush = async () => {
      timer = undefined;
      const batch = [...ids];
      ids.clear();
      const withImages = images;
      images = false;
      try {
        for (const id of batch) await this.refreshContainer(id);
        if (withImages) await this.refreshImages();
        this.cached = undefined;
        this.emit('change');
      } catch {
        void this.refresh();
      }
    };
    return followEngineEvents(this.client, this.ac.signal, (e) => {
      if (e.kind === 'image') images = true;
      else ids.add(e.id);
      timer ??= setTimeout(() => void flush(), 50);
    });
  }
}
