/** The Prometheus registry of one joiner's metrics (prom-client: loaded only with --status-addr). */
import { Registry } from 'prom-client';
import { counterFrom, gaugeFrom } from '../common/metrics.js';
import type { Joiner } from './joiner.js';
import type { JoinMetrics } from './metrics.js';

export function joinRegistry(m: JoinMetrics): Registry {
  const stat = (k: keyof Joiner['stats']) => () => m.joiner?.stats[k] ?? 0;
  const r = new Registry();
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
  gaugeFrom(r, 'shoal_join_last_beat_ok', '1 when the last heartbeat reached the store', () => m.joiner?.lastBeatOk);
  gaugeFrom(
    r,
    'shoal_join_lapsing',
    '1 while the key is advertised but not refreshed (engine down, key not yet expired)',
    () => m.joiner?.lapsing,
  );
  gaugeFrom(
    r,
    'shoal_join_engine_up',
    '1 when the local engine answered the last /_ping (1 without --check-engine)',
    () => (m.checkEngine ? m.joiner?.lastEngineUp : true),
  );
  return r;
}
