/**
 * The state /healthz and /metrics of one joiner read (`Joiner.stats` at scrape time). The Prometheus registry
 * is built by prometheus.ts, loaded only when --status-addr serves it.
 */
import type { Joiner } from './joiner.js';

export interface JoinHealth {
  ok: boolean;
  addr: string;
  lastBeatOk: boolean | null;
  /** null when --check-engine is off or before the first beat */
  engineUp: boolean | null;
  beats: number;
  errors: number;
}

export class JoinMetrics {
  /** Set once the Joiner exists (the store is opened first). */
  joiner: Joiner | undefined;

  constructor(
    private readonly addr: string,
    readonly checkEngine: boolean,
  ) {}

  /** ok: the last heartbeat reached the store and (with --check-engine) the engine answered, so the key is refreshed. */
  health(): JoinHealth {
    const lastBeatOk = this.joiner?.lastBeatOk ?? null;
    const engineUp = this.checkEngine ? (this.joiner?.lastEngineUp ?? null) : null;
    return {
      ok: lastBeatOk === true && (!this.checkEngine || engineUp === true),
      addr: this.addr,
      lastBeatOk,
      engineUp,
      beats: this.joiner?.stats.beats ?? 0,
      errors: this.joiner?.stats.errors ?? 0,
    };
  }
}
