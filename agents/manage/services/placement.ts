/**
 * Where a new task goes. A `Pool` holds one decision's accounting (tasks per node, per service and per
 * spread group, reserved resources, host ports in use) and picks, among nodes that are ready, active, match
 * the constraints and platforms, have room for the reservation and the host ports, the node that spreads
 * best: the fewest tasks of the service in its spread group(s), then on the node, then in total.
 */
import { allMatch, factOf } from './constraints.js';
import { atFloor, CandList, compareGroups, type Groups } from './candidates.js';
import type { NodeInfo } from './model.js';
import type { ServiceSpec } from './types.js';

/** What placement needs from a service, computed once per decision. */
export interface PlaceCtx {
  serviceId: string;
  spec: ServiceSpec;
  cpu: number;
  mem: number;
  ports: string[];
  maxPerNode: number;
  prefs: string[];
}

export function placeCtx(serviceId: string, spec: ServiceSpec): PlaceCtx {
  const r = spec.TaskTemplate.Resources.Reservations;
  return {
    serviceId,
    spec,
    cpu: r.NanoCPUs,
    mem: r.MemoryBytes,
    ports: spec.EndpointSpec.Ports.filter((p) => p.PublishMode === 'host' && p.PublishedPort > 0).map(
      (p) => `${p.PublishedPort}/${p.Protocol}`,
    ),
    maxPerNode: spec.TaskTemplate.Placement.MaxReplicas,
    prefs: spec.TaskTemplate.Placement.Preferences.map((p) => p.SpreadDescriptor),
  };
}

function platformOk(spec: ServiceSpec, n: NodeInfo): boolean {
  const ps = spec.TaskTemplate.Placement.Platforms;
  if (ps.length === 0) return true;
  return ps.some(
    (p) => (p.OS === '' || p.OS === n.platform.os) && (p.Architecture === '' || p.Architecture === n.platform.arch),
  );
}

/** Ready, active, constraints and platforms: what does not change while one decision places tasks. */
export function staticOk(spec: ServiceSpec, n: NodeInfo): boolean {
  return (
    n.state === 'ready' &&
    n.availability === 'active' &&
    allMatch(spec.TaskTemplate.Placement.Constraints, n) &&
    platformOk(spec, n)
  );
}

export class Pool {
  readonly nodes: readonly NodeInfo[];
  private readonly index = new Map<string, number>();
  private readonly tasks: Int32Array;
  private readonly cpu: Float64Array;
  private readonly mem: Float64Array;
  private readonly ports: (Set<string> | undefined)[];
  /** serviceId -> node index -> tasks */
  private readonly perService = new Map<string, Map<number, number>>();
  private readonly lists = new Map<string, CandList>();

  constructor(nodes: readonly NodeInfo[]) {
    this.nodes = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const n = this.nodes.length;
    this.tasks = new Int32Array(n);
    this.cpu = new Float64Array(n);
    this.mem = new Float64Array(n);
    this.ports = new Array<Set<string> | undefined>(n);
    this.nodes.forEach((node, i) => {
      this.index.set(node.id, i);
      this.cpu[i] = node.reservedByOthers?.NanoCPUs ?? 0;
      this.mem[i] = node.reservedByOthers?.MemoryBytes ?? 0;
      if (node.portsByOthers?.length) this.ports[i] = new Set(node.portsByOthers);
    });
  }

  /** Count a live task of `ctx` on `nodeId` (+1) or release it (-1). */
  account(ctx: PlaceCtx, nodeId: string, sign: 1 | -1): void {
    const i = this.index.get(nodeId);
    if (i === undefined) return;
    const before = this.tasks[i]!;
    this.tasks[i] = before + sign;
    for (const l of this.lists.values()) if (l.member[i]) l.move(before, before + sign);
    this.cpu[i]! += sign * ctx.cpu;
    this.mem[i]! += sign * ctx.mem;
    if (ctx.ports.length > 0) {
      const set = (this.ports[i] ??= new Set());
      for (const p of ctx.ports)
        if (sign > 0) set.add(p);
        else set.delete(p);
    }
    let m = this.perService.get(ctx.serviceId);
    if (!m) this.perService.set(ctx.serviceId, (m = new Map()));
    m.set(i, (m.get(i) ?? 0) + sign);
  }

  tasksOf(serviceId: string, nodeId: string): number {
    const i = this.index.get(nodeId);
    return i === undefined ? 0 : (this.perService.get(serviceId)?.get(i) ?? 0);
  }

  /** Room on `n` for one more task of `ctx` (resources, host ports, max per node). */
  fits(ctx: PlaceCtx, n: NodeInfo): boolean {
    const i = this.index.get(n.id);
    return i !== undefined && this.fitsAt(ctx, i);
  }

  private fitsAt(ctx: PlaceCtx, i: number): boolean {
    const n = this.nodes[i]!;
    if (ctx.cpu > 0 && this.cpu[i]! + ctx.cpu > n.resources.NanoCPUs) return false;
    if (ctx.mem > 0 && this.mem[i]! + ctx.mem > n.resources.MemoryBytes) return false;
    const used = this.ports[i];
    if (used) for (const p of ctx.ports) if (used.has(p)) return false;
    return ctx.maxPerNode === 0 || (this.perService.get(ctx.serviceId)?.get(i) ?? 0) < ctx.maxPerNode;
  }

  /** The nodes passing `staticOk`, per constraint set for this decision. */
  private candidates(ctx: PlaceCtx): CandList {
    const p = ctx.spec.TaskTemplate.Placement;
    const key = p.Constraints.length + p.Platforms.length === 0 ? '' : JSON.stringify([p.Constraints, p.Platforms]);
    let list = this.lists.get(key);
    if (!list) {
      list = new CandList(this.nodes.length);
      for (let i = 0; i < this.nodes.length; i++) if (staticOk(ctx.spec, this.nodes[i]!)) list.add(i, this.tasks[i]!);
      this.lists.set(key, list);
    }
    return list;
  }

  /**
   * The best node for one more task of `ctx`, or a reason why there is none. The scan starts after the node
   * chosen last from the same candidates and stops at the first node that fits with the fewest of the
   * service's tasks in its spread groups, none on the node, and the fewest tasks of any candidate.
   */
  choose(ctx: PlaceCtx): { node: NodeInfo } | { reason: string } {
    const list = this.candidates(ctx);
    const cands = list.idx;
    const n = cands.length;
    if (n === 0) return { reason: 'no suitable node (scheduling constraints not satisfied on any node)' };
    const mine = this.perService.get(ctx.serviceId);
    const counted = mine !== undefined && mine.size > 0;
    const groups = ctx.prefs.length === 0 ? undefined : ctx.prefs.map((d) => this.groupCounts(list, d, mine));
    const floor = groups?.map((g) => Math.min(...g.counts));
    let best = -1;
    let bestAt = 0;
    let bestMine = 0;
    let bestTotal = 0;
    for (let k = 0; k < n; k++) {
      const c = (list.cursor + k) % n;
      const i = cands[c]!;
      const m = counted ? (mine.get(i) ?? 0) : 0;
      const total = this.tasks[i]!;
      if (best >= 0) {
        const cmp = groups ? compareGroups(groups, i, best) : 0;
        if (cmp > 0 || (cmp === 0 && (m > bestMine || (m === bestMine && total >= bestTotal)))) continue;
      }
      if (!this.fitsAt(ctx, i)) continue;
      best = i;
      bestAt = c;
      bestMine = m;
      bestTotal = total;
      if (m === 0 && total === list.min && (!groups || atFloor(groups, floor!, i))) break;
    }
    if (best < 0) return { reason: `no suitable node (${this.why(ctx, cands)})` };
    list.cursor = (bestAt + 1) % n;
    return { node: this.nodes[best]! };
  }

  /** The service's tasks per spread group of `descriptor` among the candidates, and each node's group. */
  private groupCounts(list: CandList, descriptor: string, mine: Map<number, number> | undefined): Groups {
    let g = list.groups.get(descriptor);
    if (!g) {
      const gid = new Int32Array(this.nodes.length).fill(-1);
      const ids = new Map<string, number>();
      for (const i of list.idx) {
        const v = factOf(this.nodes[i]!, descriptor) ?? '';
        let id = ids.get(v);
        if (id === undefined) ids.set(v, (id = ids.size));
        gid[i] = id;
      }
      list.groups.set(descriptor, (g = { gid, size: ids.size }));
    }
    const counts = new Int32Array(g.size);
    if (mine) for (const [i, m] of mine) if (g.gid[i]! >= 0) counts[g.gid[i]!]! += m;
    return { gid: g.gid, counts };
  }

  /** Why `n` cannot take one more task of `ctx` (swarm's wording), for a global task bound to it. */
  whyNot(ctx: PlaceCtx, n: NodeInfo): string {
    const i = this.index.get(n.id);
    return `no suitable node (${i === undefined ? 'unknown node' : this.why(ctx, [i])})`;
  }

  private why(ctx: PlaceCtx, cands: readonly number[]): string {
    const n = cands.length;
    const s = n === 1 ? '' : 's';
    if (ctx.ports.length > 0 && cands.every((i) => ctx.ports.some((p) => this.ports[i]?.has(p))))
      return `host-mode port already in use on ${n} node${s}`;
    const mine = this.perService.get(ctx.serviceId);
    if (ctx.maxPerNode > 0 && cands.every((i) => (mine?.get(i) ?? 0) >= ctx.maxPerNode))
      return 'max replicas per node limit exceed';
    return `insufficient resources on ${n} node${s}`;
  }
}
