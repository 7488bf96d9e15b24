/**
 * The set of engines discovery names, and what spans them: snapshots for the scheduler (pending creates
 * included, so concurrent creates never double-book ports or slots), container lookup by ID, name or
 * `node/name`, and exec ownership. Nothing here outlives the process: all of it is rebuilt from the engines.
 */
import type { Logger } from '../../common/log.js';
import type { ContainerSnapshot, NodeSnapshot } from '../scheduler/node.js';
import { reserved, withContainer } from '../scheduler/node.js';
import { containerIs } from '../scheduler/filters/dependency.js';
import { DockerClient } from '../../docker/client.js';
import type { EngineTls } from '../../docker/endpoint.js';
import { EngineNode } from './node.js';
import { ExecOwners } from './execs.js';
import { rescheduledAway } from './reschedule.js';

const NONE: ReadonlySet<string> = new Set();

export interface ClusterOptions {
  /** Called for every engine added (the manager hooks rescheduling here). */
  onNode?: (node: EngineNode) => void;
  failureRetry: number;
  refreshMinMs: number;
  refreshMaxMs: number;
  /** Light /_ping between refreshes (0 or absent: off). */
  pingMs?: number;
  log: Logger;
  tls?: EngineTls | undefined;
}

export interface Pending {
  addr: string;
  container: ContainerSnapshot;
}

export interface Located {
  node: EngineNode;
  id: string;
}

export class Cluster {
  readonly nodes = new Map<string, EngineNode>();
  private readonly pending = new Set<Pending>();
  private readonly execs = new ExecOwners();

  constructor(private readonly opts: ClusterOptions) {}

  /** Discovery's latest list: new engines are started, vanished ones dropped. */
  setAddrs(addrs: readonly string[]): void {
    for (const a of addrs) {
      if (this.nodes.has(a)) continue;
      const node = new EngineNode(DockerClient.forAddress(a, this.opts.tls), this.opts);
      this.nodes.set(a, node);
      this.opts.onNode?.(node);
      node.start();
      this.opts.log.info({ addr: a }, 'engine added');
    }
    for (const [a, node] of this.nodes) {
      if (addrs.includes(a)) continue;
      node.stop();
      this.nodes.delete(a);
      this.opts.log.info({ addr: a }, 'engine removed');
    }
  }

  list(): EngineNode[] {
    return [...this.nodes.values()].sort((a, b) => a.name.localeCompare(b.name) || a.addr.localeCompare(b.addr));
  }

  /** The nodes that take work and answer cluster-wide calls. */
  healthy(): EngineNode[] {
    return this.list().filter((n) => n.health === 'healthy');
  }

  /** Resolves once every node left `pending` (or the timeout passes). */
  async settled(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && this.list().some((n) => n.health === 'pending'))
      await new Promise((r) => setTimeout(r, 50));
  }

  snapshots(): NodeSnapshot[] {
    return this.list().map((n) => {
      let s = n.snapshot();
      for (const p of this.pending) if (p.addr === n.addr) s = withContainer(s, p.container);
      return s;
    });
  }

  /** IDs of a node's containers the cluster no longer shows: an unhealthy node's copies rescheduled elsewhere. */
  hidden(node: EngineNode): ReadonlySet<string> {
    if (node.health !== 'unhealthy') return NONE;
    return rescheduledAway(
      node.snapshot(),
      this.list().map((n) => n.snapshot()),
    );
  }

  /** The node's snapshot as the cluster shows it (info, lookups): without its hidden containers. */
  shown(node: EngineNode): NodeSnapshot {
    const snap = node.snapshot();
    const hidden = this.hidden(node);
    if (hidden.size === 0) return snap;
    const containers = snap.containers.filter((c) => !hidden.has(c.id));
    const r = reserved(containers);
    return { ...snap, containers, reservedCpus: r.cpus, reservedMemory: r.memory };
  }

  /** Hold a placement until the engine's answer is in the cache; call the returned function to release. */
  reserve(addr: string, container: ContainerSnapshot): () => void {
    const p = { addr, container };
    this.pending.add(p);
    return () => this.pending.delete(p);
  }

  byAddr(addr: string): EngineNode | undefined {
    return this.nodes.get(addr);
  }

  /** Is a container name taken on a node that is not unhealthy (pending creates included)? */
  nameTaken(name: string): boolean {
    return this.snapshots().some((n) => n.health !== 'unhealthy' && n.containers.some((c) => c.names.includes(name)));
  }

  /** Find a container by full or unique-prefix ID, name, `node/name` or com.docker.swarm.id. */
  async locate(ref: string): Promise<Located | undefined> {
    const r = decodeURIComponent(ref).replace(/^\//, '');
    const slash = r.indexOf('/');
    if (slash > 0) {
      const nodeName = r.slice(0, slash);
      const name = r.slice(slash + 1);
      const node = this.list().find((n) => n.name === nodeName || n.addr === nodeName || n.id === nodeName);
      if (!node) return undefined;
      // an unhealthy node cannot be asked: what it last showed answers
      if (node.health === 'unhealthy') {
        const c = this.shown(node).containers.find((c) => c.names.includes(name) || c.id.startsWith(name));
        return c ? { node, id: c.id } : undefined;
      }
      return this.askNode(node, name);
    }
    const hits: Located[] = [];
    // a stale copy on a failed node never shadows the live one
    const ordered = this.list().sort((a, b) => Number(a.health === 'unhealthy') - Number(b.health === 'unhealthy'));
    for (const node of ordered) {
      for (const c of this.shown(node).containers) {
        if (c.id === r || c.names.includes(r) || c.labels['com.docker.swarm.id'] === r) return { node, id: c.id };
        if (r.length >= 1 && c.id.startsWith(r)) hits.push({ node, id: c.id });
      }
    }
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) return undefined;
    // not in the cache (created behind our back, or the cache is behind): ask every healthy node
    const answers = await Promise.all(this.healthy().map((n) => this.askNode(n, r)));
    return answers.find((a) => a !== undefined);
  }

  private async askNode(node: EngineNode, ref: string): Promise<Located | undefined> {
    try {
      const res = await node.client.json<{ Id?: string }>('GET', `/containers/${encodeURIComponent(ref)}/json`);
      return res.status === 200 && res.body.Id ? { node, id: res.body.Id } : undefined;
    } catch {
      return undefined;
    }
  }

  rememberExec(execId: string, addr: string): void {
    this.execs.remember(execId, addr);
  }

  /** The node that owns an exec: remembered, else asked (a restarted manager keeps none). */
  locateExec(execId: string): Promise<EngineNode | undefined> {
    return this.execs.locate(execId, this.list());
  }

  /** Containers of a given node matching a reference, for dependency checks. */
  static holds(s: NodeSnapshot, ref: string): boolean {
    return s.containers.some((c) => containerIs(c, ref));
  }

  stop(): void {
    for (const n of this.nodes.values()) n.stop();
    this.nodes.clear();
  }
}
