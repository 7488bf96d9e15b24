/**
 * A small executor for a list of steps, each `{ name, run, undo }`: runs them in order, tells a journal when
 * each starts and completes, and on a failure undoes what was done in reverse. The failed step is undone
 * first (its undo cleans up after a partial run: a step records what it makes as soon as it exists), then
 * the completed ones, newest first. An undo that fails is reported and the rest still undo. No I/O of its
 * own: progress, journal and clock are parameters.
 */
export interface Step<C> {
  /** Unique in one run: the progress line, the journal entry and what the step's resources are tagged with. */
  name: string;
  /** Does the step; a string is a one-line detail for the progress line. */
  run(ctx: C): Promise<string | undefined | void>;
  /** Removes what `run` made, also after a partial or failed run (so only what is recorded as made). */
  undo(ctx: C): Promise<void>;
}

export interface StepJournal<S> {
  started(step: S): void;
  done(step: S): void;
  undone(step: S): void;
}

export interface StepEvents {
  start?(name: string): void;
  ok?(name: string, ms: number, detail: string | undefined): void;
  /** `name` is undefined when producing the next step failed (the list is lazy) rather than a step. */
  fail?(name: string | undefined, err: unknown): void;
  /** About to undo after a failure (not called with `rollback: false`). */
  rollback?(): void;
  undoFailed?(name: string, err: unknown): void;
}

export interface UndoFailure {
  step: string;
  error: unknown;
}

export type StepsResult =
  | { ok: true; done: string[] }
  | {
      ok: false;
      /** The step that failed; undefined when producing the next step failed. */
      failed: string | undefined;
      error: unknown;
      /** Undone, in the order undone (empty without rollback). */
      undone: string[];
      undoFailures: UndoFailure[];
    };

export interface StepsOptions<S> {
  journal?: StepJournal<S>;
  events?: StepEvents;
  /** Undo on failure (default true); false leaves everything for inspection. */
  rollback?: boolean;
  now?: () => number;
}

/** Undo `steps` (given in run order) newest first; every undo runs even when one before it failed. */
export async function undoSteps<C, S extends Step<C>>(
  steps: readonly S[],
  ctx: C,
  opts: Pick<StepsOptions<S>, 'journal' | 'events'> = {},
): Promise<{ undone: string[]; undoFailures: UndoFailure[] }> {
  const undone: string[] = [];
  const undoFailures: UndoFailure[] = [];
  for (const step of [...steps].reverse()) {
    try {
      await step.undo(ctx);
      opts.journal?.undone(step);
      undone.push(step.name);
    } catch (error) {
      undoFailures.push({ step: step.name, error });
      opts.events?.undoFailed?.(step.name, error);
    }
  }
  return { undone, undoFailures };
}

/** Run `steps` in order (an async list may build later steps from what earlier ones made). */
export async function runSteps<C, S extends Step<C>>(
  steps: Iterable<S> | AsyncIterable<S>,
  ctx: C,
  opts: StepsOptions<S> = {},
): Promise<StepsResult> {
  const now = opts.now ?? Date.now;
  const started: S[] = [];
  const done: string[] = [];
  let failed: S | undefined;
  let error: unknown;
  const it = Symbol.asyncIterator in steps ? steps[Symbol.asyncIterator]() : steps[Symbol.iterator]();
  for (;;) {
    let next: IteratorResult<S>;
    try {
      next = await it.next();
    } catch (err) {
      error = err;
      opts.events?.fail?.(undefined, err);
      break;
    }
    if (next.done) return { ok: true, done };
    const step = next.value;
    opts.events?.start?.(step.name);
    started.push(step);
    opts.journal?.started(step);
    const t0 = now();
    try {
      const detail = await step.run(ctx);
      opts.journal?.done(step);
      done.push(step.name);
      opts.events?.ok?.(step.name, now() - t0, typeof detail === 'string' ? detail : undefined);
    } catch (err) {
      failed = step;
      error = err;
      opts.events?.fail?.(step.name, err);
      break;
    }
  }
  if (opts.rollback === false) return { ok: false, failed: failed?.name, error, undone: [], undoFailures: [] };
  opts.events?.rollback?.();
  const r = await undoSteps(started, ctx, opts);
  return { ok: false, failed: failed?.name, error, ...r };
}
