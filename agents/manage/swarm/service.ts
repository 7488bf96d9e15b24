/**
 * Swarm mode's I/O shell: the cluster document and node records in the store (a `list` of the swarm prefix per
 * request, `/info` from the watched view; writes by compare-and-set), joined with the live engines; decisions
 * are the pure modules'. Store calls are retried briefly, then fail with a 503 claiming nothing half-written.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../common/log.js';
import { errorMessage } from '../../common/errors.js';
import { retry } from '../../common/retry.js';
import { withTimeout } from '../../common/backoff.js';
import type { KV, Store } from '../../store/store.js';
import { loadCa, loadOrCreateCa } from './ca.js';
import { clusterView, normalizeSpec, parseClusterDoc, parseInit, type ClusterDoc } from './cluster.js';
import {
  ALREADY_IN_SWARM,
  LAST_MANAGER_LEAVE,
  NOT_IN_SWARM,
  SwarmError,
  SwarmStoreError,
  notManager,
  outOfSequence,
} from './errors.js';
import { newId } from './ids.js';
import { admit, type AdmissionAnswer } from './admit.js';
import { swarmInfo } from './info.js';
import type { SwarmView } from './view.js';
import { joinAddress, pickSelfEngine } from './address.js';
import { CLUSTER_KEY, MODE_PREFIX, NODES_PREFIX, nodeKey } from './layout.js';
import {
  checkNodeUpdate,
  filterNodes,
  newRecord,
  nodeState,
  nodeView,
  parseNodeRecord,
  parseNodeSpec,
  resolveNode,
  updatedRecord,
  type EngineFacts,
  type ManagerFacts,
  type NodeRecord,
} from './nodes.js';
import { caDigest, deriveToken, tokenRecord, type TokenRole } from './tokens.js';

const NONE = { doc: undefined, records: [], selfId: undefined };
/** How long `/info` waits for the store before showing the swarm state last seen. */
export const INFO_WAIT_MS = 1500;

export interface SwarmOptions {
  store: Store;
  /** The engines as the manager sees them now. */
  engines: () => EngineFacts[];
  /** This manager's identity and the leader's (replication). */
  managers: () => ManagerFacts;
  /** With replication, the advertised address (the join address); else undefined. */
  advertise: string | undefined;
  /** Where the cluster CA is loaded from, or created at init. */
  caDir: string;
  /** The discovery URI admitted hosts heartbeat to (given back by admission). */
  discovery?: string;
  log: Logger;
  now?: () => Date;
  /** The watched view `/info` is answered from (without one, `/info` reads the store). */
  view?: SwarmView;
}

/** What one read of the prefix gives: the document and this cluster's node records, with their raw values. */
interface Read {
  doc: ClusterDoc | undefined;
  docRaw: string | undefined;
  /** By engine address; a record of another cluster or an unreadable value appears with `rec` undefined. */
  raw: Map<string, string>;
  records: NodeRecord[];
}

export interface Joined {
  rec: NodeRecord;
  engine: EngineFacts | undefined;
  hostname: string;
}

export class Swarm {
  private listening: readonly string[] = [];
  /** The state last read, for `/info` while the store is away. */
  private last: { doc: ClusterDoc | undefined; records: NodeRecord[] } | undefined;

  constructor(private readonly o: SwarmOptions) {}

  /** The API's listening addresses, once known (the join address defaults to them). */
  setListening(addrs: readonly string[]): void {
    this.listening = addrs;
  }

  private now(): string {
    return (this.o.now?.() ?? new Date()).toISOString();
  }

  private async io<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await retry(fn, { attempts: 3, initialMs: 200, maxMs: 1000, what: `swarm ${what}`, log: this.o.log });
    } catch (err) {
      if (err instanceof SwarmError) throw err;
      throw new SwarmStoreError(what, err);
    }
  }

  private async read(): Promise<Read> {
    const kvs = await this.io('read', () => this.o.store.list(MODE_PREFIX));
    this.o.view?.seen(kvs);
    return this.parse(kvs);
  }

  private parse(kvs: readonly KV[]): Read {
    let docRaw: string | undefined;
    const raw = new Map<string, string>();
    for (const kv of kvs) {
      if (kv.key === CLUSTER_KEY) docRaw = kv.value;
      else if (kv.key.startsWith(`${NODES_PREFIX}/`)) raw.set(kv.key.slice(NODES_PREFIX.length + 1), kv.value);
    }
    const doc = parseClusterDoc(docRaw);
    const records: NodeRecord[] = [];
    if (doc)
      for (const [addr, v] of raw) {
        const rec = parseNodeRecord(v);
        if (rec && rec.cluster === doc.id && rec.addr === addr) records.push(rec);
      }
    this.last = { doc, records };
    return { doc, docRaw, raw, records };
  }

  /** Read, refusing when no cluster is initialised (Docker's 503 for every swarm endpoint). */
  private async active(): Promise<Read & { doc: ClusterDoc; docRaw: string }> {
    const r = await this.read();
    if (!r.doc || r.docRaw === undefined) throw notManager();
    return r as Read & { doc: ClusterDoc; docRaw: string };
  }

  /**
   * At `swarm init`: a record for every engine discovered at that moment (the operator's hosts), by CAS. After
   * init, only admission (./admit.ts) makes a node: an engine that is only in discovery is none.
   */
  private async admitDiscovered(doc: ClusterDoc, r: Read): Promise<void> {
    const have = new Set(r.records.map((x) => x.addr));
    const at = this.now();
    for (const e of this.o.engines()) {
      if (have.has(e.addr)) continue;
      const rec: NodeRecord = { ...newRecord(newId(), doc.id, e.addr, at), admitted: { by: 'init', at } };
      // false: someone else created it first, and theirs stands
      await this.io('node create', () => this.o.store.cas(nodeKey(e.addr), r.raw.get(e.addr), JSON.stringify(rec)));
    }
  }

  private joined(records: readonly NodeRecord[]): Joined[] {
    const engines = new Map(this.o.engines().map((e) => [e.addr, e]));
    return records.map((rec) => {
      const engine = engines.get(rec.addr);
      return { rec, engine, hostname: engine?.name || rec.addr };
    });
  }

  private selfId(records: readonly NodeRecord[]): string | undefined {
    const self = this.o.managers().self;
    return records.find((r) => r.manager?.id === self)?.id;
  }

  /**
   * `/info`'s Swarm section, never failing nor waiting long (`docker info` serves the classic workflow too):
   * from the watched view when live, else one read; while the store is away, the state last seen with the
   * error (inactive when none was ever seen). Only admitted nodes count.
   */
  async info(): Promise<Record<string, unknown>> {
    const cached = this.o.view?.current();
    if (cached) return this.infoOf(this.parse(cached));
    if (this.o.view?.state === 'lost') return this.lastInfo('the store is unreachable; the watch retries');
    try {
      const late = () => new Error('the store did not answer in time');
      return this.infoOf(this.parse(await withTimeout(this.o.store.list(MODE_PREFIX), INFO_WAIT_MS, late)));
    } catch (err) {
      return this.lastInfo(errorMessage(err));
    }
  }

  private infoOf(r: Read): Record<string, unknown> {
    return swarmInfo({ doc: r.doc, records: r.records, selfId: this.selfId(r.records) });
  }

  private lastInfo(why: string): Record<string, unknown> {
    const last = this.last;
    const error = `swarm state: ${why}`;
    return last?.doc ? swarmInfo({ ...last, selfId: this.selfId(last.records), error }) : swarmInfo(NONE);
  }

  /** `POST /swarm/init`: the new cluster, this manager's node as its manager; the node ID. */
  async init(body: unknown): Promise<string> {
    const req = parseInit(body);
    const r = await this.read();
    if (r.doc) throw new SwarmError(503, ALREADY_IN_SWARM);
    const addr = joinAddress(req.advertiseAddr, this.o.advertise, this.listening);
    if (!addr) throw new SwarmError(400, "could not find the system's IP address");
    const engine = pickSelfEngine(this.o.engines(), addr);
    if (!engine) throw new SwarmError(503, 'swarm init: discovery has found no engine yet; try again shortly');
    const ca = await loadOrCreateCa(this.o.caDir).catch((err: unknown) => {
      throw new SwarmError(500, `swarm init: cluster CA in ${this.o.caDir}: ${errorMessage(err)}`);
    });
    const id = newId();
    const digest = caDigest(ca.cert);
    const now = this.now();
    const token = (role: TokenRole) => tokenRecord(ca.key, id, digest, role, randomBytes(16).toString('hex')).record;
    const doc: ClusterDoc = {
      id,
      createdAt: now,
      updatedAt: now,
      version: 1,
      spec: req.spec,
      ca: { cert: ca.cert, digest },
      tokens: { worker: token('worker'), manager: token('manager') },
      defaultAddrPool: req.defaultAddrPool,
      subnetSize: req.subnetSize,
      dataPathPort: req.dataPathPort,
    };
    const created = await this.io('init', () => this.o.store.cas(CLUSTER_KEY, undefined, JSON.stringify(doc)));
    if (!created) throw new SwarmError(503, ALREADY_IN_SWARM);
    const self = newRecord(
      newId(),
      id,
      engine.addr,
      now,
      { Role: 'manager', Availability: req.availability || 'active' },
      { id: this.o.managers().self, addr },
    );
    self.admitted = { by: 'init', at: now };
    await this.io('node create', () => this.o.store.put(nodeKey(engine.addr), JSON.stringify(self)));
    const after = await this.read();
    if (after.doc) await this.admitDiscovered(after.doc, after);
    this.o.log.info({ cluster: id, node: self.id, engine: engine.addr, addr }, 'swarm initialised');
    return self.id;
  }

  /** The join tokens again, from the CA key on this manager's disk ('' where it cannot derive them). */
  private async tokens(doc: ClusterDoc): Promise<{ Worker: string; Manager: string }> {
    const ca = await loadCa(this.o.caDir).catch(() => undefined);
    if (!ca || caDigest(ca.cert) !== doc.ca.digest) return { Worker: '', Manager: '' };
    const one = (role: TokenRole) => {
      const rec = doc.tokens[role];
      const { token, record } = tokenRecord(ca.key, doc.id, doc.ca.digest, role, rec.nonce);
      return record.hash === rec.hash ? token : '';
    };
    return { Worker: one('worker'), Manager: one('manager') };
  }

  /** `GET /swarm`. */
  async inspect(): Promise<Record<string, unknown>> {
    const { doc } = await this.active();
    return clusterView(doc, await this.tokens(doc));
  }

  /** `POST /swarm/update?version=N&rotateWorkerToken=…&rotateManagerToken=…`. */
  async update(version: number, body: unknown, rotate: Record<TokenRole, boolean>): Promise<void> {
    const spec = normalizeSpec(body, 'Spec');
    const { doc, docRaw } = await this.active();
    if (doc.version !== version) throw outOfSequence();
    const tokens = { ...doc.tokens };
    if (rotate.worker || rotate.manager) {
      const ca = await loadCa(this.o.caDir).catch(() => undefined);
      if (!ca || caDigest(ca.cert) !== doc.ca.digest)
        throw new SwarmError(
          503,
          `cannot rotate join tokens: the cluster CA key is not in ${this.o.caDir} on this manager`,
        );
      for (const role of ['worker', 'manager'] as const)
        if (rotate[role])
          tokens[role] = tokenRecord(ca.key, doc.id, doc.ca.digest, role, randomBytes(16).toString('hex')).record;
    }
    const next: ClusterDoc = { ...doc, spec, tokens, version: doc.version + 1, updatedAt: this.now() };
    const ok = await this.io('update', () => this.o.store.cas(CLUSTER_KEY, docRaw, JSON.stringify(next)));
    if (!ok) throw outOfSequence();
    this.o.view?.wrote(CLUSTER_KEY, JSON.stringify(next));
  }

  /** `POST /swarm/leave[?force=1]`: with force, the whole swarm state is erased; the classic workflow stays. */
  async leave(force: boolean): Promise<void> {
    const r = await this.read();
    if (!r.doc) throw new SwarmError(503, NOT_IN_SWARM);
    if (!force) throw new SwarmError(503, LAST_MANAGER_LEAVE);
    await this.io('leave', () => this.o.store.deleteTree(MODE_PREFIX));
    this.o.view?.cleared();
    this.o.log.info({ cluster: r.doc.id }, 'left the swarm: swarm state erased');
  }

  private async joinedActive(): Promise<{ read: Read; nodes: Joined[]; records: NodeRecord[] }> {
    const read = await this.active();
    return { read, nodes: this.joined(read.records), records: read.records };
  }

  /** `POST /shoal/swarm/join`: token admission (./admit.ts). */
  admit(body: unknown): Promise<AdmissionAnswer> {
    const { store, caDir, discovery = '', log } = this.o;
    return admit({ store, caDir, discovery, log, now: () => this.now(), io: (w, fn) => this.io(w, fn) }, body);
  }

  /** Every node record joined with its engine, for the services orchestrator (503 when not initialised). */
  async members(): Promise<Joined[]> {
    return (await this.joinedActive()).nodes;
  }

  private view(j: Joined): Record<string, unknown> {
    return nodeView(j.rec, j.engine, this.o.managers());
  }

  /** `GET /nodes?filters=`. */
  async nodes(filters: Record<string, string[]>): Promise<Record<string, unknown>[]> {
    const { nodes } = await this.joinedActive();
    return filterNodes(
      nodes.map((j) => this.view(j)),
      filters,
    );
  }

  /** `GET /nodes/{ref}`. */
  async node(ref: string): Promise<Record<string, unknown>> {
    const { nodes, records } = await this.joinedActive();
    return this.view(resolveNode(ref, nodes, this.selfId(records)));
  }

  /** `POST /nodes/{ref}/update?version=N` with the whole NodeSpec. */
  async updateNode(ref: string, version: number, body: unknown): Promise<void> {
    const spec = parseNodeSpec(body);
    const { read, nodes, records } = await this.joinedActive();
    const { rec } = resolveNode(ref, nodes, this.selfId(records));
    if (rec.version !== version) throw outOfSequence();
    checkNodeUpdate(rec, spec, records);
    const next = updatedRecord(rec, spec, this.now());
    const before = read.raw.get(rec.addr) ?? JSON.stringify(rec);
    const ok = await this.io('node update', () => this.o.store.cas(nodeKey(rec.addr), before, JSON.stringify(next)));
    if (!ok) throw outOfSequence();
  }

  /** `DELETE /nodes/{ref}[?force=1]`: a down worker, or any worker with force; managers must be demoted first. */
  async removeNode(ref: string, force: boolean): Promise<void> {
    const { nodes, records } = await this.joinedActive();
    const j = resolveNode(ref, nodes, this.selfId(records));
    if (j.rec.spec.Role === 'manager')
      throw new SwarmError(
        400,
        `rpc error: code = FailedPrecondition desc = node ${j.rec.id} is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal`,
      );
    if (!force && nodeState(j.engine) !== 'down')
      throw new SwarmError(
        400,
        `rpc error: code = FailedPrecondition desc = node ${j.rec.id} is not down and can't be removed`,
      );
    await this.io('node remove', () => this.o.store.delete(nodeKey(j.rec.addr)));
  }
}
