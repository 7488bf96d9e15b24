/** Prometheus metrics of one render core, in its own registry (tests run several cores in one process). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricIn } from '../common/metrics.js';

export type RenderResult = 'changed' | 'unchanged' | 'template_error' | 'check_failed' | 'write_failed' | 'dry';

const TEMPLATE = ['template'] as const;
/** Buckets of the check and reload command durations, in seconds. */
const COMMAND_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class RenderMetrics {
  readonly registry = new Registry();
  readonly renders = new Counter(
    metricIn(this.registry, 'shoal_render_renders_total', 'Template renders by result', [
      'template',
      'result',
    ] as const),
  );
  readonly skippedTotal = new Counter(
    metricIn(
      this.registry,
      'shoal_render_skipped_entries_total',
      'Store entries skipped (warned) because they do not parse or are unsafe',
    ),
  );
  readonly skipped = new Gauge(
    metricIn(this.registry, 'shoal_render_skipped_entries', 'Entries skipped in the current snapshot'),
  );
  readonly unsafeValues = new Counter(
    metricIn(this.registry, 'shoal_render_unsafe_values_total', 'Values template helpers refused to print', TEMPLATE),
  );
  readonly checkFailures = new Counter(
    metricIn(this.registry, 'shoal_render_check_failures_total', 'Staged configs the check command rejected', TEMPLATE),
  );
  readonly reloadFailures = new Counter(
    metricIn(this.registry, 'shoal_render_reload_failures_total', 'Reload commands that failed or timed out', TEMPLATE),
  );
  readonly reloadDuration = new Histogram({
    ...metricIn(this.registry, 'shoal_render_reload_duration_seconds', 'Duration of reload commands', TEMPLATE),
    buckets: COMMAND_BUCKETS,
  });
  readonly runtimeUpdates = new Counter(
    metricIn(
      this.registry,
      'shoal_render_runtime_updates_total',
      'Changes to a template with runtime updates: applied through the admin socket, or reloaded (and why)',
      ['template', 'result'] as const,
    ),
  );
  readonly checkDuration = new Histogram({
    ...metricIn(this.registry, 'shoal_render_check_duration_seconds', 'Duration of check commands', TEMPLATE),
    buckets: COMMAND_BUCKETS,
  });
  readonly parses = new Counter(
    metricIn(
      this.registry,
      'shoal_render_parses_total',
      'Snapshots parsed into a template context: once per pass that needs a newer one, not once per snapshot',
    ),
  );
  readonly stageDuration = new Histogram({
    ...metricIn(
      this.registry,
      'shoal_render_stage_duration_seconds',
      'Time of each stage of a render pass: coalesce, parse, wait, render, write, check, swap (see stages.ts)',
      ['template', 'stage'] as const,
    ),
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  readonly lastSuccess = new Gauge(
    metricIn(
      this.registry,
      'shoal_render_last_success_timestamp_seconds',
      'When the template was last rendered, checked and (if changed) reloaded successfully',
      TEMPLATE,
    ),
  );
  readonly storeConnected = new Gauge(
    metricIn(this.registry, 'shoal_render_store_connected', '1 while the store watch is connected'),
  );
  readonly snapshots = new Counter(
    metricIn(this.registry, 'shoal_render_snapshots_total', 'Confirmed snapshots received from the store watch'),
  );
}
