/** Small prom-client helpers shared by the agents' metrics modules (each agent keeps its own Registry). */
import { Counter, Gauge, type Registry } from 'prom-client';

/** A counter whose value is read, at scrape time, from a plain number the agent already keeps. */
export function counterFrom(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name,
    help,
    registers: [registry],
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
    name,
    help,
    registers: [registry],
    collect() {
      const v = read();
      this.set(typeof v === 'boolean' ? Number(v) : (v ?? 0));
    },
  });
}
