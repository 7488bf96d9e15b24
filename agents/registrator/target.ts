/**
 * Where a registrator's entries go, as the core sees it: KV mode (kv-target.ts) and catalog mode
 * (catalog-target.ts) each implement this; everything else (start order, timers, readiness, shutdown) is
 * shared in core.ts.
 */
import type { EntryWriter } from './writer.js';

/** How a target reports back to the core. */
export interface TargetHooks {
  /** Ask for a full reconciliation (the store or lease came back, the agent lost services of ours). */
  resync(why: string): void;
  /** The registry connection went away or came back (/healthz, metrics). */
  connected(ok: boolean): void;
}

export interface OpenTarget {
  writer: EntryWriter;
  /** Work between passes, every `everyMs` (catalog mode: pass TTL checks, notice lost services). */
  upkeep?: { everyMs: number; run(): Promise<void> };
  /** Stop reporting to the hooks. */
  detach?(): void;
}

export interface RegistryTarget {
  readonly mode: 'kv' | 'catalog';
  /** For logs, without credentials. */
  readonly description: string;
  /** Reach the registry; the core retries this --retry-attempts times. */
  connect(): Promise<void>;
  /** The writer of `dockerHost`'s entries, reporting to `hooks`; retries on its own until `signal` aborts. */
  open(dockerHost: string, hooks: TargetHooks, signal: AbortSignal): Promise<OpenTarget>;
  /** Let go of the registry; entries stay (with --ttl they expire unless a new run picks them up). */
  close(): Promise<void>;
}
