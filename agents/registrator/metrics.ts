/** Prometheus metrics and /healthz of one registrator, read from `Registrator.stats` at scrape time. */
import { Registry } from 'prom-client';
import { counterFrom, gaugeFrom } from '../common/metrics.js';
import type { Registrator } from './registrator.js';

export interface RegistratorHealth {
  ok: boolean;
  lastSyncOk: boolean | null;
  storeConnected: boolean;
  fullSyncs: number;
  errors: number;
}

export class RegistratorMetrics {
  readonly registry = new Registry();
  /** Set once the Registrator exists (the store is opened first). */
  reg: Registrator | undefined;
  storeConnected = false;

  constructor() {
    const stat = (k: keyof Registrator['stats']) => () => this.reg?.stats[k] ?? 0;
    const r = this.registry;
    counterFrom(r, 'shoal_registrator_full_syncs_total', 'Full reconciliations applied', stat('fullSyncs'));
    counterFrom(r, 'shoal_registrator_container_syncs_total', 'Per-container syncs applied', stat('containerSyncs'));
    counterFrom(r, 'shoal_registrator_puts_total', 'Entries written to the registry', stat('puts'));
    counterFrom(r, 'shoal_registrator_deletes_total', 'Entries deleted from the registry', stat('deletes'));
    counterFrom(r, 'shoal_registrator_errors_total', 'Sync passes that failed (retried with backoff)', stat('errors'));
    counterFrom(r, 'shoal_registrator_docker_events_total', 'Docker container events received', stat('events'));
    counterFrom(
      r,
      'shoal_registrator_event_stream_reconnects_total',
      'Docker event stream reconnects',
      stat('reconnects'),
    );
    gaugeFrom(r, 'shoal_registrator_last_sync_ok', '1 when the last sync pass succeeded', () => this.reg?.lastSyncOk);
    gaugeFrom(
      r,
      'shoal_registrator_store_connected',
      '1 while the registry store is connected',
      () => this.storeConnected,
    );
  }

  health(): RegistratorHealth {
    const lastSyncOk = this.reg?.lastSyncOk ?? null;
    return {
      ok: lastSyncOk === true && this.storeConnected,
      lastSyncOk,
      storeConnected: this.storeConnected,
      fullSyncs: this.reg?.stats.fullSyncs ?? 0,
      errors: this.reg?.stats.errors ?? 0,
    };
  }
}
