/**
 * The planning half of a full resync, pure: from the engine's container list, the inspected containers and what
 * the store holds, the entries each container should have and what to write. The Registrator does the I/O.
 */
import type { ContainerInfo } from '../docker/container.js';
import type { ContainerListing } from '../docker/source.js';
import type { KV } from '../store/store.js';
import { decide, type DecideOptions, type Decision } from './decide.js';
import { reconcile, type Plan } from './reconcile.js';
import { parseKey } from './service.js';

/** Whether a full resync inspects this container: it may run, or --deregister on-success looks at exit codes. */
export function needsInspect(s: ContainerListing, opts: DecideOptions): boolean {
  return s.state === 'running' || s.state === 'paused' || s.state === 'restarting' || opts.deregister === 'on-success';
}

export interface FullSyncPlan {
  /** key -> value of every entry this host should offer. */
  desired: Map<string, string>;
  /** container id -> (key -> value): what each container has in the store once the plan is applied. */
  byContainer: Map<string, Map<string, string>>;
  plan: Plan;
}

/**
 * `all`: every container listed; `infos`: the inspected ones (undefined: gone meanwhile); `current`: what the
 * store holds. Entries of containers decided `keep` stay as stored; without --cleanup only entries of containers
 * the engine still lists are removed.
 */
export function planFullSync(
  all: readonly ContainerListing[],
  infos: readonly (ContainerInfo | undefined)[],
  current: readonly KV[],
  opts: DecideOptions & { dockerHost: string; cleanup: boolean },
  entriesOf: (c: ContainerInfo, decision: Decision) => Map<string, string>,
): FullSyncPlan {
  const host = opts.dockerHost;
  const desired = new Map<string, string>();
  const byContainer = new Map<string, Map<string, string>>();
  const keepNames = new Map<string, string>(); // container name -> id
  for (const c of infos) {
    if (c === undefined) continue;
    const decision = decide(c, opts);
    if (decision === 'keep') keepNames.set(c.name, c.id);
    const entries = entriesOf(c, decision);
    if (entries.size > 0) byContainer.set(c.id, entries);
    for (const [k, v] of entries) desired.set(k, v);
  }
  const keep = new Set<string>();
  const known = new Set(all.map((s) => s.name));
  const removable = new Set<string>();
  for (const kv of current) {
    const p = parseKey(kv.key);
    if (p?.dockerHost !== host || p.containerName === undefined) continue;
    const keeper = keepNames.get(p.containerName);
    if (keeper !== undefined) {
      keep.add(kv.key);
      const m = byContainer.get(keeper) ?? new Map<string, string>();
      m.set(kv.key, kv.value);
      byContainer.set(keeper, m);
    }
    if (known.has(p.containerName)) removable.add(kv.key);
  }
  const plan = reconcile(desired, current, host, { cleanup: opts.cleanup, keep, removable });
  return { desired, byContainer, plan };
}
