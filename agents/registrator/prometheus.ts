/** The Prometheus registry of one registrator's metrics (prom-client: loaded only with --status-addr). */
import { Registry } from 'prom-client';
import { counterFrom, gaugeFrom } from '../common/metrics.js';
import type { RegistratorMetrics } from './metrics.js';
import type { Registrator } from './registrator.js';

export function registratorRegistry(m: RegistratorMetrics): Registry {
  const stat = (k: keyof Registrator['stats']) => () => m.reg?.stats[k] ?? 0;
  const r = new Registry();
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
  gaugeFrom(r, 'shoal_registrator_last_sync_ok', '1 when the last sync pass succeeded', () => m.reg?.lastSyncOk);
  gaugeFrom(r, 'shoal_registrator_store_connected', '1 while the registry store is connected', () => m.storeConnected);
  return r;
}
