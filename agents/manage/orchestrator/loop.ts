/**
 * The services orchestrator's I/O shell. On the replication leader (or the single manager) it runs one pass at
 * a time whenever something may have changed (a service write, an engine's container change, a timer,
 * leadership gained): read services, tasks and nodes, collect the task containers from the engines' listings,
 * let the pure `reconcile` decide, write the task records it changed (before any container is made for them),
 * then apply its engine actions through the per-node clients. An action already in flight for a task is not
 * started twice; engine calls are retried with backoff, and a create or start the engine refuses rejects the
 * task (the restart policy then decides on a retry).
 */
import type { Logger } from '../../common/log.js';
import { errorMessage } from '../../common/errors.js';
import { retry } from '../../common/retry.js';
import { DockerRequestError } from '../../docker/errors.js';
import { answerMessage } from '../../docker/errors.js';
import type { Cluster } from '../cluster/cluster.js';
import type { EngineNode } from '../cluster/node.js';
import { containerCreate } from '../services/container.js';
import type { Action, NodeInfo, ObservedTask, TaskRecord } from '../services/model.js';
import { rejectTask } from '../services/observe.js';
import { reconcile } from '../services/reconcile.js';
import { SwarmError } from '../swarm/errors.js';
import type { Swarm } from '../swarm/service.js';
import type { TaskNetworks } from './netattach.js';
import { nodeInfo, observedTask } from './observed.js';
import { KeyedLimiter } from './limiter.js';
import { desired, type Service } from './records.js';
import { StaleWriteError, type ServiceStore } from './store.js';

export interface OrchestratorOptions {
  store: ServiceStore;
  swarm: Swarm;
  cluster: Cluster;
  isLeader: () => boolean;
  log: Logger;
  /** Cluster networks: the bridges a task joins on its node (absent: tasks run on the default bridge). */
  networks?: TaskNetworks;
  /** A full pass at least this often (default 2 s). */
  intervalMs?: number;
  now?: () => number;
  /** Engine actions in flight at once per node (default 4); the rest wait their turn. */
  perNode?: number;
  /** Called once per pass the leader decides (for the passes metric). */
  onPass?: () => void;
}

/** Splits an image reference into what `POST /images/create` takes. */
function pullRef(image: string): { from: string; tag: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { from: image.slice(0, at), tag: image.slice(at + 1) };
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/')
    ? { from: image.slice(0, colon), tag: image.slice(colon + 1) }
    : { from: image, tag: 'latest' };
}

export class Orchestrator {
  private wanted = false;
  private running: Promise<void> | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();
  private readonly watched = new WeakSet<EngineNode>();
  private readonly now: () => number;
  private readonly limiter: KeyedLimiter;
  /** The latest decision's action per task: a queued action no longer decided is dropped when its turn comes. */
  private decided = new Set<string>();

  constructor(private readonly o: OrchestratorOptions) {
    this.now = o.now ?? Date.now;
    this.limiter = new KeyedLimiter(o.perNode ?? 4);
  }

  start(): void {
    this.timer = setInterval(() => this.trigger(), this.o.intervalMs ?? 2000);
    this.timer.unref();
    this.trigger();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Asks for a pass; passes never overlap, and requests made during one give one more. */
  trigger(): void {
    if (this.stopped) return;
    this.wanted = true;
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  private async loop(): Promise<void> {
    while (this.wanted && !this.stopped) {
      this.wanted = false;
      try {
        await this.pass();
      } catch (err) {
        if (err instanceof StaleWriteError) {
          this.o.log.info({ err: err.message }, 'services orchestrator: stale pass dropped; reading again');
          this.wanted = true;
        } else if (!(err instanceof SwarmError && err.status === 503 && /not a swarm manager/.test(err.message)))
          this.o.log.warn({ err: errorMessage(err) }, 'services orchestrator: pass failed');
      }
    }
  }

  private watch(): void {
    for (const n of this.o.cluster.nodes.values())
      if (!this.watched.has(n)) {
        this.watched.add(n);
        n.on('change', () => this.trigger());
      }
  }

  /** One decision and its writes; the engine actions run on in the background. */
  async pass(): Promise<void> {
    if (!this.o.isLeader()) return;
    this.o.onPass?.();
    this.watch();
    const st = await this.o.store.read(true);
    const members = await this.o.swarm.members();
    const nodes: NodeInfo[] = members.map(nodeInfo);
    // only task containers of this cluster's services: engines may be shared with another cluster's tasks
    const ours = new Set([...st.services.map((s) => s.rec.id), ...st.tasks.map((t) => t.serviceId)]);
    const observed: ObservedTask[] = [];
    const engineOf = new Map<string, EngineNode>();
    for (const j of members) {
      const engine = this.o.cluster.byAddr(j.rec.addr);
      if (!engine) continue;
      engineOf.set(j.rec.id, engine);
      if (engine.health !== 'healthy') continue;
      for (const s of engine.summaries()) {
        const o = observedTask(s, j.rec.id, engine.containerTimes(s.Id));
        if (o && ours.has(o.serviceId)) observed.push(o);
      }
    }
    const result = reconcile({
      services: st.services.map(desired),
      nodes,
      tasks: st.tasks,
      observed,
      now: this.now(),
    });
    // leadership may have moved while deciding: a deposed leader writes nothing and acts on nothing
    if (!this.o.isLeader() || this.stopped) return;
    // fenced: refused (StaleWriteError) when another orchestrator wrote since `st` was read; nothing is acted on
    await this.o.store.commit(st, result.changed, result.deleted);
    this.decided = new Set(result.actions.flatMap((a) => (a.kind === 'rollback' ? [] : [`${a.taskId} ${a.kind}`])));
    const rollbacks = new Set(result.actions.flatMap((a) => (a.kind === 'rollback' ? [a.serviceId] : [])));
    for (const u of result.updateStatus) {
      const raw = st.raw.get(u.serviceId);
      if (raw !== undefined) await this.o.store.setUpdateStatus(raw, u.status, rollbacks.has(u.serviceId));
    }
    const tasks = new Map(result.tasks.map((t) => [t.id, t]));
    const services = new Map(st.services.map((s) => [s.rec.id, s]));
    const nodeById = new Map(nodes.map((n) => [n.id, n]));
    for (const a of result.actions) {
      if (a.kind === 'rollback') continue;
      if (this.inFlight.has(a.taskId)) continue;
      const engine = engineOf.get(a.nodeId);
      if (!engine) continue;
      this.inFlight.add(a.taskId);
      const rec = tasks.get(a.taskId);
      void this.limiter
        .run(a.nodeId, async () => {
          if (!this.decided.has(`${a.taskId} ${a.kind}`) || !this.o.isLeader() || this.stopped) return;
          await this.act(a, engine, rec, services, nodeById);
        })
        .catch((err: unknown) =>
          this.o.log.warn(
            { task: a.taskId, action: a.kind, err: errorMessage(err) },
            'services orchestrator: action failed',
          ),
        )
        .finally(() => {
          this.inFlight.delete(a.taskId);
          this.trigger();
        });
    }
  }

  private engineCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return retry(fn, { attempts: 3, initialMs: 300, maxMs: 2000, what, log: this.o.log });
  }

  private async act(
    a: Exclude<Action, { kind: 'rollback' }>,
    engine: EngineNode,
    rec: TaskRecord | undefined,
    services: ReadonlyMap<string, Service>,
    nodes: ReadonlyMap<string, NodeInfo>,
  ): Promise<void> {
    const c = engine.client;
    switch (a.kind) {
      case 'create': {
        const svc = services.get(a.serviceId);
        const node = nodes.get(a.nodeId);
        if (!rec || !svc || !node) return;
        const ref = { id: rec.id, serviceId: rec.serviceId, slot: rec.slot, nodeId: a.nodeId, specKey: rec.specKey };
        const made = containerCreate(ref, svc.spec, node);
        const name = made.name;
        let body = made.body;
        let rest: Awaited<ReturnType<TaskNetworks['prepare']>>['rest'] = [];
        if (this.o.networks) {
          try {
            ({ body, rest } = await this.o.networks.prepare(c, svc.spec, body));
          } catch (err) {
            return this.reject(
              rec,
              `network: ${err instanceof DockerRequestError ? answerMessage(err.body) : errorMessage(err)}`,
            );
          }
        }
        const q = `?name=${encodeURIComponent(name)}`;
        let r = await this.engineCall(`create ${name}`, () => c.createContainer(body, q));
        if (r.status === 404) {
          // the image is not on the engine: pull it, as swarm's agent does, then try once more
          const { from, tag } = pullRef(svc.spec.TaskTemplate.ContainerSpec.Image);
          await c.pullImage(from, tag).catch(() => undefined);
          r = await this.engineCall(`create ${name}`, () => c.createContainer(body, q));
        }
        let id: string | undefined;
        if (r.status === 409) id = (await c.inspectContainer(name))?.Id;
        else if (r.status >= 200 && r.status < 300) id = r.body.Id;
        else return this.reject(rec, answerMessage(r.body));
        if (!id) return;
        if (rest.length && r.status !== 409) {
          try {
            await this.o.networks?.connectRest(c, id, rest);
          } catch (err) {
            return this.reject(
              rec,
              `network: ${err instanceof DockerRequestError ? answerMessage(err.body) : errorMessage(err)}`,
            );
          }
        }
        if (a.start) {
          try {
            await this.engineCall(`start ${name}`, () => this.startOn(c, id));
          } catch (err) {
            if (!(err instanceof DockerRequestError && err.status === 304)) {
              await engine.refreshContainer(id).catch(() => {});
              return this.reject(rec, err instanceof DockerRequestError ? answerMessage(err.body) : errorMessage(err));
            }
          }
        }
        await engine.refreshContainer(id).catch(() => {});
        return;
      }
      case 'start': {
        await this.engineCall(`start ${a.containerId}`, () => this.startOn(c, a.containerId));
        break;
      }
      case 'stop': {
        const secs = Math.max(0, Math.ceil(a.graceNs / 1e9));
        await this.engineCall(`stop ${a.containerId}`, async () => {
          const r = await c.json(
            'POST',
            `/containers/${encodeURIComponent(a.containerId)}/stop?t=${secs}`,
            undefined,
            secs * 1000 + 15_000,
          );
          if (r.status >= 300 && r.status !== 304 && r.status !== 404)
            throw new DockerRequestError(c.addr, r.status, r.body);
        });
        // a task on its way out (service removed, scaled down): its stopped container goes at once, not a pass later
        if (rec?.desiredState === 'remove') await this.removeOn(c, a.containerId);
        break;
      }
      case 'remove':
        await this.removeOn(c, a.containerId);
        break;
    }
    await engine.refreshContainer(a.containerId).catch(() => {});
  }

  private removeOn(c: EngineNode['client'], id: string): Promise<void> {
    return this.engineCall(`remove ${id}`, async () => {
      const r = await c.operation('DELETE', `/containers/${encodeURIComponent(id)}?force=1`);
      if (r.status >= 300 && r.status !== 404) throw new DockerRequestError(c.addr, r.status, r.body);
    });
  }

  /**
   * A start has no answer deadline (only one for the connection), as a create: on a busy host it may take longer
   * than a call's 10 s, and a start sent again while the first still runs would only wait behind it.
   */
  private async startOn(c: EngineNode['client'], id: string): Promise<void> {
    const r = await c.operation('POST', `/containers/${encodeURIComponent(id)}/start`);
    if (r.status >= 300 && r.status !== 304) throw new DockerRequestError(c.addr, r.status, r.body);
  }

  /** The engine refused the task's container: the record says so (rejected, with the engine's words). */
  private async reject(rec: TaskRecord, err: string): Promise<void> {
    if (!this.o.isLeader() || this.stopped) return;
    this.o.log.warn({ task: rec.id, err }, 'services orchestrator: task rejected');
    await this.o.store.updateTask(rec.id, (t) => rejectTask(t, err, this.now()));
  }
}
