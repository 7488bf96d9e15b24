/**
 * The render daemon, startable and stoppable in-process: one native watch of the store prefix feeding every
 * template's runner; template files watched with chokidar; `reconfigure` for SIGHUP; `once` for --once.
 * Only confirmed snapshots are rendered, so an outage or error never empties a config.
 */
import { EventEmitter } from 'node:events';
import { watch as watchFiles, type FSWatcher } from 'chokidar';
import type { Logger } from '../common/log.js';
import { sleep } from '../common/backoff.js';
import { retry } from '../common/retry.js';
import { errorMessage } from '../common/errors.js';
import type { Snapshot, Store, StoreState } from '../store/store.js';
import type { RenderConfig } from './config.js';
import { buildContext, type BuiltContext } from './context.js';
import { systemClock, type Clock } from './debounce.js';
import { RenderMetrics } from './metrics.js';
import type { SnapshotMarks } from './stages.js';
import { TemplateRunner, type RunResult } from './runner.js';

export interface CoreDeps {
  store: Store;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  stdout?: NodeJS.WritableStream;
  metrics?: RenderMetrics;
  /** Watch template files for changes (default true; off for --once). */
  watchTemplates?: boolean;
}

export interface CoreEvents {
  result: [RunResult];
  snapshot: [Snapshot];
}

export interface CoreStatus {
  ok: boolean;
  storeConnected: boolean;
  lastRenderOk: boolean;
  snapshots: number;
  templates: { source: string; destination: string; ok: boolean }[];
}

export class RenderCore extends EventEmitter<CoreEvents> {
  readonly metrics: RenderMetrics;
  private runners: TemplateRunner[] = [];
  private built: BuiltContext | undefined;
  private lastSnapshot: Snapshot | undefined;
  /** Accepted and not parsed yet. */
  private pending: { snap: Snapshot; marks: SnapshotMarks } | undefined;
  private warned = new Map<string, string>();
  private storeConnected = false;
  private snapshots = 0;
  private ac = new AbortController();
  private loop: Promise<void> | undefined;
  private started = false;
  private fileWatcher: FSWatcher | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly clock: Clock;
  private readonly onState = (s: StoreState) => this.setConnected(s !== 'lost');

  constructor(
    private config: RenderConfig,
    private readonly deps: CoreDeps,
  ) {
    super();
    this.metrics = deps.metrics ?? new RenderMetrics();
    this.env = deps.env ?? process.env;
    this.clock = deps.clock ?? systemClock;
  }

  private makeRunners(): TemplateRunner[] {
    return this.config.templates.map(
      (t) =>
        new TemplateRunner(t, {
          log: this.deps.log,
          metrics: this.metrics,
          env: this.env,
          clock: this.clock,
          dry: this.config.dry,
          stdout: this.deps.stdout ?? process.stdout,
          commandTimeoutMs: this.config.commandTimeoutMs,
          wait: this.config.wait,
          current: () => this.context(),
          onResult: (r) => this.emit('result', r),
        }),
    );
  }

  /**
   * Take a snapshot from the watch. It is parsed later, once, by the first pass that needs it (`context()`):
   * a burst of snapshots between two passes costs one parse, not one each.
   */
  private accept(snap: Snapshot): void {
    this.pending = { snap, marks: { received: snap.receivedAt, accepted: performance.now() } };
    this.metrics.snapshots.inc();
    this.snapshots += 1;
    this.lastSnapshot = snap;
    this.setConnected(true);
    this.emit('snapshot', snap);
  }

  /** The latest snapshot, parsed for all templates; warns once per bad entry (again only if its value changes). */
  private context(): BuiltContext | undefined {
    const p = this.pending;
    if (p === undefined) return this.built;
    this.pending = undefined;
    const built = buildContext(p.snap.entries, { domain: this.config.domain });
    built.marks = p.marks;
    this.metrics.parses.inc();
    const values = new Map(p.snap.entries.map((e) => [e.key, e.value]));
    const next = new Map<string, string>();
    for (const s of built.skipped) {
      const v = values.get(s.key) ?? '';
      next.set(s.key, v);
      if (this.warned.get(s.key) !== v) {
        this.deps.log.warn({ key: JSON.stringify(s.key).slice(0, 200), reason: s.reason }, 'skipping store entry');
        this.metrics.skippedTotal.inc();
      }
    }
    this.warned = next;
    this.metrics.skipped.set(built.skipped.length);
    this.built = built;
    return built;
  }

  private setConnected(c: boolean): void {
    this.storeConnected = c;
    this.metrics.storeConnected.set(c ? 1 : 0);
  }

  /** --once: one listing, every template rendered, checked and reloaded. True when all succeeded. */
  async renderOnce(): Promise<boolean> {
    this.runners = this.makeRunners();
    for (const r of this.runners) await r.load();
    const entries = await this.deps.store.list('');
    this.accept({ entries, revision: 'list' });
    let ok = true;
    for (const r of this.runners) {
      const res = await r.run();
      if (res.error !== undefined || res.reloaded === false) ok = false;
    }
    for (const r of this.runners) await r.stop();
    return ok;
  }

  async start(): Promise<void> {
    this.started = true;
    this.runners = this.makeRunners();
    for (const r of this.runners) await r.load();
    this.deps.store.on('state', this.onState);
    if (this.deps.watchTemplates !== false) this.watchTemplateFiles();
    this.loop = this.watchLoop(this.ac.signal);
  }

  private async watchLoop(signal: AbortSignal): Promise<void> {
    const watching = async (progress: () => void): Promise<void> => {
      while (!signal.aborted) {
        // no store-level coalescing: the runners' quiescence (`wait`) is the one window, and --wait 0 means now
        for await (const snap of this.deps.store.watch('', { signal, coalesceMs: 0 })) {
          progress();
          const first = this.lastSnapshot === undefined;
          this.accept(snap);
          for (const r of this.runners) {
            if (first) void r.renderNow();
            else r.changed();
          }
        }
        await sleep(250, signal).catch(() => undefined); // the watch ended without an error: watch again
      }
    };
    const onRetry = (e: unknown, _attempt: number, retryInMs: number) => {
      this.setConnected(false);
      this.deps.log.warn({ err: errorMessage(e), retryInMs }, 'store watch failed: keeping the last good config');
    };
    const backoff = { initialMs: 250, maxMs: 10_000 };
    const opts = { ...backoff, signal, what: 'store watch', isRetryable: () => true, onRetry };
    await retry(watching, opts).catch(() => undefined);
  }

  private watchTemplateFiles(): void {
    const paths = [...new Set(this.config.templates.map((t) => t.source))];
    this.fileWatcher = watchFiles(paths, {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 },
    });
    const onChange = (p: string) => {
      for (const r of this.runners.filter((x) => x.config.source === p || p.endsWith(x.config.source))) {
        this.deps.log.info({ template: r.config.source }, 'template file changed: re-rendering');
        void r.load().then((ok) => (ok && this.lastSnapshot ? r.renderNow() : undefined));
      }
    };
    this.fileWatcher.on('change', onChange).on('add', onChange);
  }

  /**
   * SIGHUP: new config (templates, wait, commands, domain); re-reads every template and re-renders now. Before
   * start() (the store not answering yet) the new config is only kept, for start() to use.
   */
  async reconfigure(config: RenderConfig): Promise<void> {
    if (config.storeUri.text !== this.config.storeUri.text)
      this.deps.log.warn('the store URI changed: restart shoal render to use it');
    const old = this.runners;
    this.config = { ...config, storeUri: this.config.storeUri, store: this.config.store };
    if (!this.started) return;
    for (const r of old) await r.stop();
    await this.fileWatcher?.close();
    this.runners = this.makeRunners();
    for (const r of this.runners) await r.load();
    if (this.deps.watchTemplates !== false) this.watchTemplateFiles();
    if (this.lastSnapshot) {
      // parsed again with the new domain by the first pass
      this.pending = { snap: this.lastSnapshot, marks: { accepted: performance.now() } };
      await Promise.all(this.runners.map((r) => r.renderNow()));
    }
  }

  status(): CoreStatus {
    const templates = this.runners.map((r) => ({
      source: r.config.source,
      destination: r.config.destination,
      ok: r.lastOk,
    }));
    const lastRenderOk = templates.length > 0 && templates.every((t) => t.ok);
    return {
      ok: lastRenderOk && this.storeConnected,
      storeConnected: this.storeConnected,
      lastRenderOk,
      snapshots: this.snapshots,
      templates,
    };
  }

  async stop(): Promise<void> {
    this.ac.abort();
    this.deps.store.off('state', this.onState);
    await this.fileWatcher?.close();
    for (const r of this.runners) await r.stop();
    await this.loop;
  }
}
