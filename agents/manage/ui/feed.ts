/**
 * The UI's live cluster view, the I/O shell around `buildView`: a watch of swarm mode's records in the manager's
 * store, a watch of the --ui-routes store (the edge's routes), both stores' connection-state events, and the
 * engines' change and health events. A change
 * asks for a rebuild; rebuilds are coalesced (at most one per `coalesceMs`), and subscribers hear a view only
 * when it differs from the last one. A slow timer catches engines added or dropped by discovery.
 */
import type { Logger } from '../../common/log.js';
import type { Model } from '../../render/model.js';
import type { KV, Store } from '../../store/store.js';
import type { Cluster } from '../cluster/cluster.js';
import type { EngineNode } from '../cluster/node.js';
import { MODE_PREFIX } from '../swarm/layout.js';
import { modeState, routesModel, type ModeState } from './state.js';
import { buildView, type EngineFacts, type StoreStatus, type View } from './view.js';

export interface FeedOptions {
  /** Absent with a nodes:// or file:// discovery: no swarm mode. */
  store: Store | undefined;
  /** The --ui-routes store (absent: no routes shown). */
  routes: Store | undefined;
  cluster: Cluster;
  log: Logger;
  coalesceMs?: number;
  /** Engines added or dropped are noticed this often (default 2 s). */
  rescanMs?: number;
  now?: () => number;
}

export type Listener = (view: View, json: string) => void;

/** One store the view reads, and whether it answers. */
class Tracked {
  status: StoreStatus;
  constructor(
    readonly store: Store | undefined,
    private readonly now: () => number,
    private readonly changed: () => void,
  ) {
    this.status = { state: store ? 'unknown' : 'none', since: now() };
  }

  readonly onState = (s: string) => this.set(s === 'lost' ? 'lost' : 'up');

  set(state: 'up' | 'lost'): void {
    if (this.status.state === state) return;
    const error = state === 'lost' ? `${this.store?.description ?? 'store'} did not answer` : undefined;
    this.status = { state, since: this.now(), ...(error ? { error } : {}) };
    this.changed();
  }
}

function engineFacts(n: EngineNode): EngineFacts {
  const s = n.snapshot();
  return {
    addr: n.addr,
    name: s.name,
    health: n.health,
    error: n.error,
    labels: s.labels,
    cpus: s.cpus,
    memory: s.memory,
    reservedCpus: s.reservedCpus,
    reservedMemory: s.reservedMemory,
  };
}

export class UiFeed {
  private mode: ModeState | undefined;
  private routes: Model | undefined;
  private readonly mine: Tracked;
  private readonly routeStore: Tracked;
  private view: View;
  private json: string;
  private readonly listeners = new Set<Listener>();
  private readonly watched = new WeakSet<EngineNode>();
  private readonly ac = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private rescan: NodeJS.Timeout | undefined;
  private readonly watches: Promise<void>[] = [];
  private readonly now: () => number;
  constructor(private readonly o: FeedOptions) {
    this.now = o.now ?? Date.now;
    this.mine = new Tracked(o.store, this.now, () => this.changed());
    this.routeStore = new Tracked(o.routes, this.now, () => this.changed());
    this.view = this.build();
    this.json = JSON.stringify(this.view);
  }

  start(): void {
    this.follow(this.mine, MODE_PREFIX, (kvs) => (this.mode = modeState(kvs)));
    this.follow(this.routeStore, '', (kvs) => (this.routes = routesModel(kvs)));
    this.rescan = setInterval(() => this.changed(), this.o.rescanMs ?? 2000);
    this.rescan.unref();
    this.changed();
  }

  async stop(): Promise<void> {
    this.ac.abort();
    clearInterval(this.rescan);
    clearTimeout(this.timer);
    for (const t of [this.mine, this.routeStore]) t.store?.off('state', t.onState);
    this.listeners.clear();
    await Promise.all(this.watches);
  }

  /** The current view and its JSON. */
  current(): { view: View; json: string } {
    return { view: this.view, json: this.json };
  }

  /** `fn` hears every view that differs from the one before; the returned function unsubscribes. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Watch `prefix` of a tracked store: each snapshot is kept and the store counts as answering. */
  private follow(t: Tracked, prefix: string, set: (kvs: KV[]) => void): void {
    const store = t.store;
    if (!store) return;
    store.on('state', t.onState);
    const run = async () => {
      try {
        for await (const snap of store.watch(prefix, { signal: this.ac.signal })) {
          set(snap.entries);
          t.set('up');
          this.changed();
        }
      } catch (err) {
        if (!this.ac.signal.aborted) this.o.log.warn({ err: String(err), prefix }, 'ui: store watch ended');
      }
    };
    this.watches.push(run());
  }

  /** Something may have changed: one rebuild within `coalesceMs`, however many ask. */
  private changed(): void {
    if (this.timer || this.ac.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.publish();
    }, this.o.coalesceMs ?? 100);
  }

  private build(): View {
    const engines = this.o.cluster.list();
    for (const n of engines)
      if (!this.watched.has(n)) {
        this.watched.add(n);
        n.on('change', () => this.changed());
        n.on('health', () => this.changed());
      }
    return buildView({
      engines: engines.map(engineFacts),
      mode: this.mode,
      routes: this.routes,
      store: this.mine.status,
      routesStore: this.routeStore.status,
    });
  }

  private publish(): void {
    const view = this.build();
    const json = JSON.stringify(view);
    if (json === this.json) return;
    this.view = view;
    this.json = json;
    for (const fn of this.listeners) {
      try {
        fn(view, json);
      } catch (err) {
        this.o.log.warn({ err: String(err) }, 'ui: a listener failed');
      }
    }
  }
}
