/**
 * Swarm mode's cached view of the store: the cluster document and the node records, kept current by one store
 * watch of the swarm prefix (a Store watches prefixes, not single keys, and the document sits beside the
 * services and tasks; bursts are coalesced) instead of a read per request. `/info` and the orchestrator's
 * "is there a swarm?" check read it; a write through this manager is applied to it at once (so a manager reads
 * its own writes; the watch's next snapshot replaces it). While the store is away the view says so (`lost`), keeps what it
 * last saw, and the watches retry with their own backoff: nothing polls the store.
 */
import type { Logger } from '../../common/log.js';
import { errorMessage } from '../../common/errors.js';
import type { KV, Store, StoreState } from '../../store/store.js';
import { CLUSTER_KEY, MODE_PREFIX, NODES_PREFIX } from './layout.js';

/** Task and service writes come in bursts under the same prefix: one snapshot per this window at most. */
const COALESCE_MS = 200;

/** `starting`: no snapshot yet; `live`: the watches answer; `lost`: the store is away (the view is as last seen). */
export type ViewState = 'starting' | 'live' | 'lost';

export class SwarmView {
  private readonly ac = new AbortController();
  private doc: KV[] | undefined;
  private nodes: KV[] | undefined;
  private lost = false;
  private readonly done: Promise<unknown>[] = [];
  private readonly onState = (s: StoreState) => {
    this.lost = s === 'lost';
  };

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.store.on('state', this.onState);
    this.done.push(this.follow());
  }

  private async follow(): Promise<void> {
    try {
      const opts = { signal: this.ac.signal, coalesceMs: COALESCE_MS };
      for await (const snap of this.store.watch(MODE_PREFIX, opts)) {
        this.seen(snap.entries);
        this.lost = false;
      }
    } catch (err) {
      if (!this.ac.signal.aborted) this.log.warn({ err: errorMessage(err) }, 'swarm view: watch ended');
    }
  }

  async stop(): Promise<void> {
    this.ac.abort();
    this.store.off('state', this.onState);
    await Promise.allSettled(this.done);
  }

  get state(): ViewState {
    if (this.doc === undefined || this.nodes === undefined) return 'starting';
    return this.lost ? 'lost' : 'live';
  }

  /** A write through this manager that succeeded: `value` undefined for a delete. */
  wrote(key: string, value: string | undefined): void {
    const put = (kvs: KV[] | undefined) => {
      const rest = (kvs ?? []).filter((kv) => kv.key !== key);
      return value === undefined ? rest : [...rest, { key, value }].sort((a, b) => (a.key < b.key ? -1 : 1));
    };
    if (key === CLUSTER_KEY) this.doc = put(this.doc);
    else if (key.startsWith(`${NODES_PREFIX}/`)) this.nodes = put(this.nodes);
  }

  /** A full read of the swarm prefix made through this manager (its own writes included). */
  seen(kvs: readonly KV[]): void {
    this.doc = kvs.filter((kv) => kv.key === CLUSTER_KEY);
    this.nodes = kvs.filter((kv) => kv.key.startsWith(`${NODES_PREFIX}/`));
  }

  /** The whole swarm state was erased through this manager. */
  cleared(): void {
    this.doc = [];
    this.nodes = [];
  }

  /** The cluster document and node records as `list(MODE_PREFIX)` would give them; undefined unless live. */
  current(): KV[] | undefined {
    if (this.state !== 'live') return undefined;
    return [...this.doc!, ...this.nodes!];
  }

  /** What the view last saw, whatever its state (for an answer while the store is away). */
  lastSeen(): KV[] | undefined {
    return this.doc && this.nodes ? [...this.doc, ...this.nodes] : undefined;
  }

  /** Whether a swarm is initialised, when the view can tell without the store (else undefined). */
  clusterKnown(): boolean | undefined {
    const kvs = this.current();
    return kvs && kvs.some((kv) => kv.key === CLUSTER_KEY);
  }
}
