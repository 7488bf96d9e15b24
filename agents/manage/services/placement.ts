/**
 * Where a new task goes. A `Pool` holds one decision's accounting (tasks per node, per service and per
 * spread group, reserved resources, host ports in use) and picks, among nodes that are ready, active, match
 * the constraints and platforms, have room for the reservation and the host ports, the node that spreads
 * best: the fewest tasks of the service in its spread group(s), then on the node, then in total.
 */
import { allMatch, factOf } from './constraints.js';
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

interface NodeUse {
  tasks: number;
  cpu: number;
  mem: number;
  ports: Set<string>;
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
  private readonly use = new Map<string, NodeUse>();
  /** serviceId -> nodeId -> tasks */
  private readonly perService = new Map<string, Map<string, number>>();
  private readonly staticCache = new Map<string, NodeInfo[]>();

  constructor(nodes: readonly NodeInfo[]) {
    this.nodes = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const n of this.nodes)
      this.use.set(n.id, {
        tasks: 0,
        cpu: n.reservedByOthers?.NanoCPUs ?? 0,
        mem: n.reservedByOthers?.MemoryBytes ?? 0,
        ports: new Set(n.portsByOthers ?? []),
      });
  }

  /** Count a live task of `ctx` on `nodeId` (+1) or release it (-1). */
  account(ctx: PlaceCtx, nodeId: string, sign: 1 | -1): void {
    const u = this.use.get(nodeId);
    if (!u) return;
    u.tasks += sign;
    u.cpu += sign * ctx.cpu;
    u.mem += sign * ctx.mem;
    for (const p of ctx.ports)
      if (sign > 0) u.ports.add(p);
      else u.ports.delete(p);
    let m = this.perService.get(ctx.serviceId);
    if (!m) this.perService.set(ctx.serviceId, (m = new Map()));
    m.set(nodeId, (m.get(nodeId) ?? 0) + sign);
  }

  tasksOf(serviceId: string, nodeId: string): number {
    return this.perService.get(serviceId)?.get(nodeId) ?? 0;
  }

  /** Room on `n` for one more task of `ctx` (resources, host ports, max per node). */
  fits(ctx: PlaceCtx, n: NodeInfo): boolean {
    const u = this.use.get(n.id);
    if (!u) return false;
    if (ctx.cpu > 0 && u.cpu + ctx.cpu > n.resources.NanoCPUs) return false;
    if (ctx.mem > 0 && u.mem + ctx.mem > n.resources.MemoryBytes) return false;
    for (const p of ctx.ports) if (u.ports.has(p)) return false;
    return ctx.maxPerNode === 0 || this.tasksOf(ctx.serviceId, n.id) < ctx.maxPerNode;
  }

  /** Nodes passing `staticOk`, cached per constraint set for this decision. */
  candidates(ctx: PlaceCtx): NodeInfo[] {
    const p = ctx.spec.TaskTemplate.Placement;
    const key = JSON.stringify([p.Constraints, p.Platforms]);
    let list = this.staticCache.get(key);
    if (!list) this.staticCache.set(key, (list = this.nodes.filter((n) => staticOk(ctx.spec, n))));
    return list;
  }

  /** The best node for one more task of `ctx`, or a reason why there is none. */
  choose(ctx: PlaceCtx): { node: NodeInfo } | { reason: string } {
    const cands = this.candidates(ctx);
    if (cands.length === 0) return { reason: 'no suitable node (scheduling constraints not satisfied on any node)' };
    const groups = ctx.prefs.map((d) => this.groupCounts(ctx.serviceId, d, cands));
    const mine = this.perService.get(ctx.serviceId);
    let best: NodeInfo | undefined;
    let bestKey: number[] = [];
    for (const n of cands) {
      if (!this.fits(ctx, n)) continue;
      const key: number[] = [];
      for (let i = 0; i < groups.length; i++) key.push(groups[i]!.get(factOf(n, ctx.prefs[i]!) ?? '') ?? 0);
      key.push(mine?.get(n.id) ?? 0, this.use.get(n.id)!.tasks);
      if (best === undefined || less(key, bestKey)) {
        best = n;
        bestKey = key;
      }
    }
    if (best) return { node: best };
    return { reason: `no suitable node (${this.why(ctx, cands)})` };
  }

  private groupCounts(serviceId: string, descriptor: string, cands: readonly NodeInfo[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const n of cands) {
      const g = factOf(n, descriptor) ?? '';
      out.set(g, (out.get(g) ?? 0) + this.tasksOf(serviceId, n.id));
    }
    return out;
  }

  private why(ctx: PlaceCtx, cands: readonly NodeInfo[]): string {
    const n = cands.length;
    const s = n === 1 ? '' : 's';
    const u = (x: NodeInfo) => this.use.get(x.id)!;
    if (ctx.ports.length > 0 && cands.every((x) => ctx.ports.some((p) => u(x).ports.has(p))))
      return `host-mode port already in use on ${n} node${s}`;
    if (ctx.maxPerNode > 0 && cands.every((x) => this.tasksOf(ctx.serviceId, x.id) >= ctx.maxPerNode))
      return `max replicas per node limit exceed`;
    return `insufficient resources on ${n} node${s}`;
  }
}

function less(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
