/**
 * One template's pipeline: debounce -> render -> swap (stage, check, rename) -> reload, serialised so two
 * renders of the same destination never overlap. A failed reload is retried with backoff until it works or a
 * newer render takes over; nothing here ever throws into the daemon.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '../common/log.js';
import { errorMessage } from '../common/errors.js';
import { Retrier } from '../common/retry.js';
import type { TemplateConfig, Wait } from './config.js';
import type { BuiltContext } from './context.js';
import { Debouncer, type Clock } from './debounce.js';
import { CheckFailedError, ReloadFailedError } from './errors.js';
import type { RenderMetrics, RenderResult } from './metrics.js';
import { compileTemplate, TemplateError, type CompiledTemplate, type SideFile } from './template.js';
import { pruneSideFiles, swapFile, writeSideFiles } from './writer.js';
import { runCommand } from './command.js';
import { declaredCommands, type DeclaredCommands } from './parse.js';
import { stageDurations, type PassMarks } from './stages.js';
import { HaproxyRuntime, type ApplyResult } from './haproxy-runtime.js';

export { declaredCommands, type DeclaredCommands } from './parse.js';

export interface RunnerDeps {
  log: Logger;
  metrics: RenderMetrics;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  dry: boolean;
  stdout: NodeJS.WritableStream;
  commandTimeoutMs: number;
  wait: Wait;
  /** The latest confirmed snapshot, parsed. */
  current: () => BuiltContext | undefined;
  onResult: (r: RunResult) => void;
}

export interface RunResult {
  template: string;
  destination: string;
  result: RenderResult;
  /** Reload ran and succeeded (false when it failed, undefined when none was needed). */
  reloaded?: boolean;
  error?: Error;
  /** The change went through HAProxy's runtime API: no reload (see haproxy-runtime.ts). */
  runtime?: boolean;
  /** Stage marks of this pass (`performance.now()`), from the store's answer to the swap; see stages.ts. */
  marks?: PassMarks;
}

export class TemplateRunner {
  private compiled: CompiledTemplate | undefined;
  /** Check and reload commands the template declares for itself (`shoal-check:` / `shoal-reload:` lines). */
  private declared: DeclaredCommands = {};
  private readonly debouncer: Debouncer;
  private queue: Promise<unknown> = Promise.resolve();
  private queued = false;
  private reloadPending = false;
  /** A failed reload is tried again after a backoff, on the injectable clock, until it works. */
  private readonly reloads: Retrier;
  private retryTimer: unknown;
  /** HAProxy's runtime API, when the template declares `shoal-runtime: haproxy`. */
  private runtime: HaproxyRuntime | undefined;
  private drainTimer: unknown;
  /** The text last swapped in (or found) at the destination: what a reload loads. */
  private onDisk: string | undefined;
  private stopped = false;
  /** Result of the last render: true when the destination holds what the store says. */
  lastOk = false;

  constructor(
    readonly config: TemplateConfig,
    private readonly deps: RunnerDeps,
  ) {
    this.debouncer = new Debouncer(config.wait ?? deps.wait, () => this.schedule(), deps.clock);
    this.reloads = new Retrier({
      initialMs: 500,
      maxMs: 30_000,
      what: 'reload',
      isRetryable: () => true,
      onRetry: (err, _attempt, retryInMs) =>
        this.log.error({ err: errorMessage(err), retryInMs }, 'reload failed: will retry'),
    });
  }

  private get log(): Logger {
    return this.deps.log.child({ template: this.config.source, destination: this.config.destination });
  }

  /** (Re)read and compile the template source; a bad template keeps the previous one. */
  async load(): Promise<boolean> {
    try {
      const text = await readFile(this.config.source, 'utf8');
      this.compiled = compileTemplate(text, this.config.source);
      this.declared = declaredCommands(text);
      const timeout = this.config.commandTimeoutMs ?? this.deps.commandTimeoutMs;
      this.runtime = this.declared.runtime === 'haproxy' ? (this.runtime ?? new HaproxyRuntime(timeout)) : undefined;
      return true;
    } catch (e) {
      const err = e instanceof TemplateError ? e : new TemplateError(this.config.source, (e as Error).message, e);
      this.log.error({ err: err.message, code: err.code }, 'template not loaded: keeping the live config');
      this.deps.metrics.renders.inc({ template: this.config.source, result: 'template_error' });
      this.lastOk = false;
      this.deps.onResult({
        template: this.config.source,
        destination: this.config.destination,
        result: 'template_error',
        error: err,
      });
      return false;
    }
  }

  /** The configured check, else the template's own; an empty string turns it off. */
  get check(): string | undefined {
    return this.config.check ?? this.declared.check;
  }

  get reloadCommand(): string | undefined {
    return this.config.reload ?? this.declared.reload;
  }

  /** The store changed: render after the quiescence window. */
  changed(): void {
    this.debouncer.trigger();
  }

  /** Render now (first snapshot, template edit, SIGHUP); resolves when done. */
  renderNow(): Promise<void> {
    return this.schedule();
  }

  private schedule(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.queued) return this.queue.then(() => undefined);
    this.queued = true;
    const p = this.queue.then(async () => {
      this.queued = false;
      if (!this.stopped) await this.run();
    });
    this.queue = p.catch(() => undefined);
    return this.queue.then(() => undefined);
  }

  /** One pass; returns the result (used by --once). */
  async run(): Promise<RunResult> {
    const r = await this.pass();
    const m = this.deps.metrics;
    if (r.marks)
      for (const [stage, ms] of Object.entries(stageDurations(r.marks)))
        m.stageDuration.observe({ template: this.config.source, stage }, ms / 1000);
    m.renders.inc({ template: this.config.source, result: r.result });
    this.lastOk = r.error === undefined && r.reloaded !== false;
    if (this.lastOk && r.result !== 'dry')
      m.lastSuccess.set({ template: this.config.source }, this.deps.clock.now() / 1000);
    this.deps.onResult(r);
    return r;
  }

  private async pass(): Promise<RunResult> {
    const started = performance.now();
    const built = this.deps.current();
    const marks: PassMarks = { ...built?.marks, started, built: performance.now() };
    const base = { template: this.config.source, destination: this.config.destination, marks };
    if (!this.compiled || !built)
      return { ...base, result: 'template_error', error: new Error(built ? 'template not loaded' : 'no snapshot yet') };
    let text: string;
    let files: SideFile[];
    try {
      const r = this.compiled(built.context, built.entries, this.deps.env, this.config.destination);
      for (const u of r.unsafe) {
        this.log.warn({ what: u.what, reason: u.reason }, 'template helper refused an unsafe value');
        this.deps.metrics.unsafeValues.inc({ template: this.config.source });
      }
      text = r.text;
      files = r.files;
      marks.rendered = performance.now();
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'template error: keeping the live config');
      return { ...base, result: 'template_error', error: e as Error };
    }
    if (this.deps.dry) {
      for (const f of [{ path: this.config.destination, text }, ...files])
        this.deps.stdout.write(`> ${f.path}\n${f.text}${f.text.endsWith('\n') ? '' : '\n'}`);
      return { ...base, result: 'dry' };
    }
    const previous = this.onDisk;
    const live = await this.applyLive(text);
    if (live?.applied) marks.applied = performance.now();
    let changed: boolean;
    try {
      await writeSideFiles(files, this.config.perms);
      const swapped = await swapFile({
        destination: this.config.destination,
        text,
        check: this.check,
        perms: this.config.perms,
        backup: this.config.backup,
        timeoutMs: this.config.commandTimeoutMs ?? this.deps.commandTimeoutMs,
      });
      changed = swapped.changed;
      marks.staged = swapped.staged;
      marks.checked = swapped.checked;
      marks.swapped = swapped.swapped;
      if (swapped.checkMs !== undefined)
        this.deps.metrics.checkDuration.observe({ template: this.config.source }, swapped.checkMs / 1000);
    } catch (e) {
      if (e instanceof CheckFailedError) {
        this.deps.metrics.checkFailures.inc({ template: this.config.source });
        this.log.error(
          { output: e.output.trim() },
          'check failed: the new config was rejected, keeping the live config',
        );
        if (live?.applied && live.ops > 0) {
          // the running HAProxy took servers the file refuses: load the file again so both agree
          this.runtime?.forget();
          this.reloadPending = true;
          return { ...base, result: 'check_failed', error: e, reloaded: await this.reload() };
        }
        return { ...base, result: 'check_failed', error: e };
      }
      this.log.error({ err: (e as Error).message }, 'write failed: keeping the live config');
      return { ...base, result: 'write_failed', error: e as Error };
    }
    this.onDisk = text;
    if (changed && files.length > 0) await pruneSideFiles(this.config.destination, files, previous);
    if (changed && live?.applied) {
      this.log.info({ ops: live.ops }, 'config changed: applied through the runtime API, no reload');
      this.deps.metrics.runtimeUpdates.inc({ template: this.config.source, result: 'applied' });
      this.drainLater();
      return { ...base, result: 'changed', runtime: true };
    }
    if (changed && live) this.deps.metrics.runtimeUpdates.inc({ template: this.config.source, result: 'reload' });
    if (changed) {
      this.log.info('config changed');
      this.reloadPending = true;
      this.reloads.progress(); // a new config: its reload backs off from the start
    }
    if (!this.reloadPending) return { ...base, result: changed ? 'changed' : 'unchanged' };
    const ok = await this.reload();
    return { ...base, result: changed ? 'changed' : 'unchanged', reloaded: ok };
  }

  private async reload(): Promise<boolean> {
    this.clearRetry();
    const reload = this.reloadCommand;
    if (!reload) {
      this.reloadPending = false;
      return true;
    }
    const r = await runCommand(reload, {
      timeoutMs: this.config.commandTimeoutMs ?? this.deps.commandTimeoutMs,
      env: this.deps.env,
      vars: { destination: this.config.destination },
    });
    this.deps.metrics.reloadDuration.observe({ template: this.config.source }, r.durationMs / 1000);
    if (r.ok) {
      this.reloadPending = false;
      if (this.onDisk !== undefined) this.runtime?.reloaded(this.onDisk);
      this.reloads.progress();
      this.log.info({ ms: Math.round(r.durationMs) }, 'reloaded');
      return true;
    }
    this.deps.metrics.reloadFailures.inc({ template: this.config.source });
    const delay = this.reloads.failed(new ReloadFailedError(this.config.destination, r.output));
    if (!this.stopped) this.retryTimer = this.deps.clock.setTimeout(() => void this.schedule(), delay);
    return false;
  }

  /**
   * With runtime updates on and what runs known: apply a server-only change now, before the file is checked
   * and swapped (each server line is checked by HAProxy as it is added). Undefined when runtime updates are
   * off or a reload is pending; `applied: false` when the change needs a reload or a command failed.
   */
  private async applyLive(text: string): Promise<ApplyResult | undefined> {
    if (!this.runtime || this.reloadPending) return undefined;
    try {
      const r = await this.runtime.apply(text);
      if (!r.applied && this.runtime.known) this.log.debug({ why: r.why }, 'runtime API: reload needed');
      return r;
    } catch (e) {
      this.log.warn({ err: errorMessage(e) }, 'runtime API failed: reloading instead');
      this.deps.metrics.runtimeUpdates.inc({ template: this.config.source, result: 'failed' });
      return { applied: false, why: errorMessage(e) };
    }
  }

  /** Servers removed while HAProxy still held connections to them: delete them once it lets go (every 1 s). */
  private drainLater(): void {
    if (this.drainTimer !== undefined || !this.runtime || this.runtime.drainingCount === 0 || this.stopped) return;
    this.drainTimer = this.deps.clock.setTimeout(() => {
      this.drainTimer = undefined;
      this.queue = this.queue
        .then(() => this.runtime?.retryDraining())
        .catch(() => undefined)
        .then(() => this.drainLater());
    }, 1000);
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.debouncer.stop();
    this.clearRetry();
    if (this.drainTimer !== undefined) this.deps.clock.clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    await this.queue;
  }
}
