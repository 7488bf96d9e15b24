/** Prometheus metrics and /healthz of one joiner, read from `Joiner.stats` at scrape time. */
import { Registry } from 'prom-client';
import { counterFrom, gaugeFrom } from '../common/metrics.js';
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
  readonly registry = new Registry();
  /** Set once the Joiner exists (the store is opened first). */
  joiner: Joiner | undefined;

  constructor(
    private readonly addr: string,
    private readonly checkEngine: boolean,
  ) {
    const stat = (k: keyof Joiner['stats']) => () => this.joiner?.stats[k] ?? 0;
    const r = this.registry;
    counterFrom(r, 'shoal_join_beats_total', 'Heartbeats run', stat('beats'));
    counterFrom(
      r,
      'shoal_join_advertised_total',
      'Times the engine address was (re-)advertised after being absent',
      stat('advertised'),
    );
    counterFrom(
      r,
      'shoal_join_refresh_stopped_total',
      'Times the engine stopped answering while advertised, so the key was no longer refreshed',
      stat('refreshStopped'),
    );
    counterFrom(
      r,
      'shoal_join_expired_total',
      'Times the engine stayed down for --ttl and the key expired',
      stat('expired'),
    );
    counterFrom(r, 'shoal_join_errors_total', 'Heartbeats that failed to reach the store', stat('errors'));
    gaugeFrom(
      r,
      'shoal_join_last_beat_ok',
      '1 when the last heartbeat reached the store',
      () => this.joiner?.lastBeatOk,
    );
    gaugeFrom(
      r,
      'shoal_join_lapsing',
      '1 while the key is advertised but not refreshed (engine down, key not yet expired)',
      () => this.joiner?.lapsing,
    );
    gaugeFrom(
      r,
      'shoal_join_engine_up',
      '1 when the local engine answered the last /_ping (1 without --check-engine)',
      () => (this.checkEngine ? this.joiner?.lastEngineUp : true),
    );
  }

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
