/**
 * The UI's live cluster view, the I/O shell around `buildView`: watches of the store (swarm mode's records and
 * the edge's routes), the store's connection-state events, and the engines' change and health events. A change
 * asks for a rebuild; rebuilds are coalesced (at most one per `coalesceMs`), and subscribers hear a view only
 * when it differs from the last one. A slow timer catches engines added or dropped by discovery.
 */
import type { Logger } from '../../common/log.js';
import type { Model } from '../../render/model.js';
import type { Store } from '../../store/store.js';
import type { Cluster } from '../cluster/cluster.js';
import type { EngineNode } from '../cluster/node.js';
import { MODE_PREFIX } from '../swarm/layout.js';
import { modeState, routesModel, ROUTES_PREFIX, type ModeState } from './state.js';
import { buildView, type EngineFacts, type StoreStatus, type View } from './view.js';

export interface FeedOptions {
  /** Absent with a nodes:// or file:// discovery: no swarm mode, no routes. */
  store: Store | undefined;
  cluster: Cluster;
  log: Logger;
  coalesceMs?: number;
  /** Engines added or dropped are noticed this often (default 2 s). */
  rescanMs?: number;
  now?: () => number;
}

export type Listener = (view: View, json: string) => void;

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
  private status: StoreStatus;
  private view: View;
  private json: string;
  private readonly listeners = new Set<Listener>();
  private readonly watched = new WeakSet<EngineNode>();
  private readonly ac = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private rescan: NodeJS.Timeout | undefined;
  private readonly watches: Promise<void>[] = [];
  private readonly now: () => number;
  private readonly onState = (s: string) => this.setStore(s === 'lost' ? 'lost' : 'up');

  constructor(private readonly o: FeedOptions) {
    this.now = o.now ?? Date.now;
    this.status = { state: o.store ? 'unknown' : 'none', since: this.now() };
    this.view = this.build();
    this.json = JSON.stringify(this.view);
  }

  start(): void {
    const store = this.o.store;
    if (store) {
      store.on('state', this.onState);
      this.watches.push(
        this.follow(store, MODE_PREFIX, (kvs) => (this.mode = modeState(kvs))),
        this.follow(store, ROUTES_PREFIX, (kvs) => (this.routes = routesModel(kvs))),
      );
    }
    this.rescan = setInterval(() => this.changed(), this.o.rescanMs ?? 2000);
    this.rescan.unref();
    this.changed();
  }

  async stop(): Promise<void> {
    this.ac.abort();
    clearInterval(this.rescan);
    clearTimeout(this.timer);
    this.o.store?.off('state', this.onState);
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

  private async follow(store: Store, prefix: string, set: (kvs: import('../../store/store.js').KV[]) => void) {
    try {
      for await (const snap of store.watch(prefix, { signal: this.ac.signal })) {
        set(snap.entries);
        this.setStore('up');
      }
    } catch (err) {
      if (!this.ac.signal.aborted) this.o.log.warn({ err: String(err), prefix }, 'ui: store watch ended');
    }
  }

  private setStore(state: 'up' | 'lost'): void {
    if (this.status.state === state) return;
    const error = state === 'lost' ? `${this.o.store?.description ?? 'store'} did not answer` : undefined;
    this.status = { state, since: this.now(), ...(error ? { error } : {}) };
    this.changed();
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
      store: this.status,
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
