/**
 * What a start brought up, undone in reverse: each component started pushes its stop; a start that fails
 * part-way and a later `stop()` run the same list, last pushed first, so nothing started is left running.
 */
export type StopFn = () => void | Promise<void>;

export class Stops {
  private readonly stops: StopFn[] = [];

  push(stop: StopFn): void {
    this.stops.push(stop);
  }

  /** Run every stop once, last pushed first; one that throws does not keep the others from running. */
  async run(): Promise<void> {
    let first: { err: unknown } | undefined;
    for (const stop of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        first ??= { err };
      }
    }
    if (first) throw first.err;
  }
}
