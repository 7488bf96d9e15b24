/**
 * The timers the registrator runs on (retry pauses, the engine-down clock, resync and upkeep), as a
 * parameter so that tests drive them by hand. Same shape as render's Clock, without `now`.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout | undefined),
};

/** Call `fn` every `ms` (the next round is armed when `fn` settles, so rounds never overlap); returns stop. */
export function every(timers: Timers, ms: number, fn: () => Promise<void> | void): () => Promise<void> {
  let handle: unknown;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const arm = () => {
    handle = timers.setTimeout(() => {
      running = (async () => fn())() // fn starts now; it may finish later
        .catch(() => undefined)
        .finally(() => {
          if (!stopped) arm();
        });
    }, ms);
  };
  arm();
  return async () => {
    stopped = true;
    timers.clearTimeout(handle);
    await running;
  };
}
