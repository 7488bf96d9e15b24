/** Prometheus metrics of one render core, in its own registry (tests run several cores in one process). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type RenderResult = 'changed' | 'unchanged' | 'template_error' | 'check_failed' | 'write_failed' | 'dry';

export class RenderMetrics {
  readonly registry = new Registry();
  readonly renders = new Counter({
    name: 'shoal_render_renders_total',
    help: 'Template renders by result',
    labelNames: ['template', 'result'] as const,
    registers: [this.registry],
  });
  readonly skippedTotal = new Counter({
    name: 'shoal_render_skipped_entries_total',
    help: 'Store entries skipped (warned) because they do not parse or are unsafe',
    registers: [this.registry],
  });
  readonly skipped = new Gauge({
    name: 'shoal_render_skipped_entries',
    help: 'Entries skipped in the current snapshot',
    registers: [this.registry],
  });
  readonly unsafeValues = new Counter({
    name: 'shoal_render_unsafe_values_total',
    help: 'Values template helpers refused to print',
    labelNames: ['template'] as const,
    registers: [this.registry],
  });
  readonly checkFailures = new Counter({
    name: 'shoal_render_check_failures_total',
    help: 'Staged configs the check command rejected',
    labelNames: ['template'] as const,
    registers: [this.registry],
  });
  readonly reloadFailures = new Counter({
    name: 'shoal_render_reload_failures_total',
    help: 'Reload commands that failed or timed out',
    labelNames: ['template'] as const,
    registers: [this.registry],
  });
  readonly reloadDuration = new Histogram({
    name: 'shoal_render_reload_duration_seconds',
    help: 'Duration of reload commands',
    labelNames: ['template'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly checkDuration = new Histogram({
    name: 'shoal_render_check_duration_seconds',
    help: 'Duration of check commands',
    labelNames: ['template'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'shoal_render_last_success_timestamp_seconds',
    help: 'When the template was last rendered, checked and (if changed) reloaded successfully',
    labelNames: ['template'] as const,
    registers: [this.registry],
  });
  readonly storeConnected = new Gauge({
    name: 'shoal_render_store_connected',
    help: '1 while the store watch is connected',
    registers: [this.registry],
  });
  readonly snapshots = new Counter({
    name: 'shoal_render_snapshots_total',
    help: 'Confirmed snapshots received from the store watch',
    registers: [this.registry],
  });
}
