/**
 * The template context: plain data built from the model and the raw snapshot. Pure and deterministic: the
 * same entries (in any order) give the same context.
 */
import type { KV } from '../store/store.js';
import { parseEntries, type Service, type Skipped } from './model.js';
import type { SnapshotMarks } from './stages.js';

export interface RenderContext {
  services: Service[];
  /** Domain of the Host-header routes (`<service>.<domain>`). */
  domain: string;
  /** Number of backends over all services. */
  backendCount: number;
}

export interface BuiltContext {
  context: RenderContext;
  /** Raw entries sorted by key, for the `key`, `ls` and `tree` helpers. */
  entries: KV[];
  skipped: Skipped[];
  /** When the snapshot arrived and was parsed (set by the core, for the stage breakdown). */
  marks?: SnapshotMarks;
}

export function buildContext(entries: readonly KV[], opts: { domain: string }): BuiltContext {
  // stores answer sorted; sort only when needed (the output must not depend on the order we were given)
  let inOrder = true;
  for (let i = 1; i < entries.length && inOrder; i++) inOrder = (entries[i - 1] as KV).key <= (entries[i] as KV).key;
  const sorted = inOrder ? entries.slice() : [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const model = parseEntries(sorted);
  const backendCount = model.services.reduce((n, s) => n + s.backends.length, 0);
  return {
    context: { services: model.services, domain: opts.domain, backendCount },
    entries: sorted,
    skipped: model.skipped,
  };
}
