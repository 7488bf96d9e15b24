/**
 * A pool of workers over a queue that may grow while they run: `take()` hands out the next item (undefined:
 * nothing to do now), `join()` adds a worker (up to `limit`) when new work arrives, and `done` settles once
 * every worker has run out of work: rejected with the first failure, after `failed` got every failed item.
 * After a failure no new worker starts.
 */
export interface Crew {
  join(): void;
  readonly done: Promise<void>;
}

export function crew<T>(
  take: () => T | undefined,
  limit: number,
  fn: (item: T) => Promise<void>,
  failed: (item: T) => void,
): Crew {
  const errors: unknown[] = [];
  let workers = 0;
  let settle!: (err?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => (settle = (err) => (errors.length ? reject(err) : resolve())));
  const worker = async () => {
    for (let item = take(); item !== undefined; item = take()) {
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
        failed(item);
      }
    }
  };
  const join = () => {
    if (workers >= limit || errors.length > 0) return;
    workers += 1;
    void worker().finally(() => {
      workers -= 1;
      if (workers === 0) settle(errors[0]);
    });
  };
  join();
  if (workers === 0) settle();
  return { join, done };
}
