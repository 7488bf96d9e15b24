/** Small prom-client helpers shared by the agents' metrics modules (each agent keeps its own Registry). */
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The common part of a metric's configuration: registered in `registry` only (not the global one), with labels only
 * when `labelNames` is given. `new Counter(metricIn(r, name, help))`; spread it to add buckets or `collect`.
 */
export function metricIn<L extends string = string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
): { name: string; help: string; labelNames: readonly L[]; registers: Registry[] } {
  return { name, help, labelNames, registers: [registry] };
}

/** A counter whose value is read, at scrape time, from a plain number the agent already keeps. */
export function counterFrom(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    ...metricIn(registry, name, help),
    collect() {
      this.reset();
      const v = read();
      if (v > 0) this.inc(v);
    },
  });
}

/** A gauge read at scrape time (booleans become 1/0; undefined leaves it at 0). */
export function gaugeFrom(
  registry: Registry,
  name: string,
  help: string,
  read: () => number | boolean | undefined,
): Gauge {
  return new Gauge({
    ...metricIn(registry, name, help),
    collect() {
      const v = read();
      this.set(typeof v === 'boolean' ? Number(v) : (v ?? 0));
    },
  });
}
