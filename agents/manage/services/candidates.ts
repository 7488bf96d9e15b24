/**
 * Placement helpers over node indexes: a constraint set's candidate nodes with the count of nodes per task
 * total (so the fewest is known without a scan), and spread-group counts compared in preference order.
 */
export interface Groups {
  gid: Int32Array;
  counts: Int32Array;
}

/** Node i's groups hold the fewest of the service's tasks for every preference: no node can do better. */
export function atFloor(groups: readonly Groups[], floor: readonly number[], i: number): boolean {
  for (let p = 0; p < groups.length; p++) if (groups[p]!.counts[groups[p]!.gid[i]!] !== floor[p]) return false;
  return true;
}

/** Spread preferences in order: fewer of the service's tasks in node i's group than in node j's is better. */
export function compareGroups(groups: readonly Groups[], i: number, j: number): number {
  for (const g of groups) {
    const d = g.counts[g.gid[i]!]! - g.counts[g.gid[j]!]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Candidate node indexes of one constraint set, with how many of them hold each task count. */
export class CandList {
  readonly idx: number[] = [];
  readonly member: Uint8Array;
  private readonly hist: number[] = [];
  /** The fewest tasks any member holds. */
  min = Number.MAX_SAFE_INTEGER;
  cursor = 0;
  /** Per spread descriptor: each node's group id (-1: not a candidate) and the number of groups. */
  readonly groups = new Map<string, { gid: Int32Array; size: number }>();

  constructor(size: number) {
    this.member = new Uint8Array(size);
  }

  add(i: number, tasks: number): void {
    this.idx.push(i);
    this.member[i] = 1;
    this.hist[tasks] = (this.hist[tasks] ?? 0) + 1;
    if (tasks < this.min) this.min = tasks;
  }

  move(from: number, to: number): void {
    this.hist[from] = (this.hist[from] ?? 0) - 1;
    this.hist[to] = (this.hist[to] ?? 0) + 1;
    if (to < this.min) this.min = to;
    else if (from === this.min && this.hist[from] === 0) this.min = to;
  }
}
