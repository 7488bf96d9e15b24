/**
 * The state /healthz and /metrics of one registrator read (`Registrator.stats` at scrape time). The
 * Prometheus registry is built by prometheus.ts, loaded only when --status-addr serves it.
 */
import type { Registrator } from './registrator.js';

export interface RegistratorHealth {
  ok: boolean;
  lastSyncOk: boolean | null;
  storeConnected: boolean;
  fullSyncs: number;
  errors: number;
}

export class RegistratorMetrics {
  /** Set once the Registrator exists (the store is opened first). */
  reg: Registrator | undefined;
  storeConnected = false;

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
