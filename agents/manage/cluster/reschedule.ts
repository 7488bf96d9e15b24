/**
 * Rescheduling on node failure: when a node turns unhealthy, each of its containers labelled
 * `reschedule-policies: on-node-failure` is re-created (same name, same com.docker.swarm.id) on a healthy
 * node and started. From then on the cluster no longer lists the old copy (as classic Swarm, which drops it
 * when it reschedules); when the failed node comes back, its stale copies (a swarm ID that now lives on
 * another node) are removed from the engine.
 */
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { createBodyFrom } from '../engine/convert.js';
import type { NodeSnapshot } from '../scheduler/node.js';
import { wantsReschedule } from './cached.js';
import type { Cluster } from './cluster.js';
import { createContainer, type CreateOptions } from './create.js';
import type { EngineNode } from './node.js';

const ID = 'com.docker.swarm.id';

export function watchForRescheduling(cluster: Cluster, node: EngineNode, opts: CreateOptions, log: Logger): void {
  node.on('health', (was, now) => {
    if (now === 'unhealthy') void rescheduleFrom(cluster, node, opts, log);
    if (now === 'healthy' && was === 'unhealthy') void removeStale(cluster, node, log);
  });
}

/** How long before the first failure an exit still counts as caused by it (a dockerd shutdown stops its containers first). */
export const FAILURE_WINDOW_MS = 10_000;

/** Running when last seen, or exited around the time the node started failing: not stopped on purpose. Pure. */
export function stoppedByFailure(
  state: string,
  finishedAt: string | undefined,
  firstFailureAt: number | undefined,
): boolean {
  if (state === 'running') return true;
  if (state !== 'exited' || !finishedAt || firstFailureAt === undefined) return false;
  const t = Date.parse(finishedAt);
  return Number.isFinite(t) && t >= firstFailureAt - FAILURE_WINDOW_MS;
}

/**
 * The IDs of `node`'s containers that were rescheduled away: the node is unhealthy, the container asks for
 * on-node-failure, and its swarm ID now lives on another, healthy node. The cluster leaves them out of its
 * lists and lookups. Pure.
 */
export function rescheduledAway(node: NodeSnapshot, nodes: readonly NodeSnapshot[]): Set<string> {
  const out = new Set<string>();
  if (node.health !== 'unhealthy') return out;
  const mine = node.containers.filter((c) => c.labels[ID] && wantsReschedule(c.labels));
  if (mine.length === 0) return out;
  const live = new Set(
    nodes
      .filter((n) => n.addr !== node.addr && n.health === 'healthy')
      .flatMap((n) => n.containers.map((c) => c.labels[ID]).filter((id): id is string => !!id)),
  );
  for (const c of mine) if (live.has(c.labels[ID] as string)) out.add(c.id);
  return out;
}

export async function rescheduleFrom(
  cluster: Cluster,
  node: EngineNode,
  opts: CreateOptions,
  log: Logger,
): Promise<void> {
  for (const { snap, inspect } of node.reschedulable()) {
    if (!stoppedByFailure(snap.state, inspect.State?.FinishedAt, node.firstFailureAt)) continue;
    const swarmId = snap.labels[ID];
    if (
      swarmId &&
      cluster.list().some((n) => n !== node && n.snapshot().containers.some((c) => c.labels[ID] === swarmId))
    )
      continue;
    const name = snap.names[0];
    try {
      const r = await createContainer(
        cluster,
        createBodyFrom(inspect, snap.cpus),
        name,
        new URLSearchParams(),
        opts,
        swarmId,
      );
      if (r.status !== 201 || !r.node || !r.body.Id) throw new Error(r.body.message ?? `status ${r.status}`);
      await r.node.client.startContainer(r.body.Id);
      await r.node.refreshContainers();
      log.info({ name, from: node.addr, to: r.node.addr }, 'container rescheduled');
    } catch (err) {
      log.warn({ name, from: node.addr, err: errorMessage(err) }, 'rescheduling failed');
    }
  }
}

export async function removeStale(cluster: Cluster, node: EngineNode, log: Logger): Promise<void> {
  for (const { snap } of node.reschedulable()) {
    const swarmId = snap.labels[ID];
    if (!swarmId) continue;
    const elsewhere = cluster
      .list()
      .some(
        (n) => n !== node && n.health === 'healthy' && n.snapshot().containers.some((c) => c.labels[ID] === swarmId),
      );
    if (!elsewhere) continue;
    try {
      await node.client.removeContainer(snap.id, { force: true });
      log.info({ name: snap.names[0], node: node.addr }, 'stale copy of a rescheduled container removed');
    } catch (err) {
      log.warn({ name: snap.names[0], err: errorMessage(err) }, 'could not remove a stale copy');
    }
  }
  await node.refreshContainers().catch(() => {});
}
