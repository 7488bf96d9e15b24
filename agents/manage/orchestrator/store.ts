/**
 * Services and tasks in the store, next to swarm mode's node records: one value per service at
 * `docker/swarm/mode/services/<id>`, one per task at `.../tasks/<id>`, and a name claim per service at
 * `.../service-names/<name>` so two creates of one name cannot both win, a claim per published ingress port
 * (port-claims.ts) so two services cannot both publish one, and a fence the orchestrator's task writes go
 * through (`commit`: a stale orchestrator's pass is refused). Every service write is a
 * compare-and-set on the value last read; its `version` (Version.Index) rises by one with each write, and an
 * update naming another version is "update out of sequence". Store calls are retried briefly; a store that
 * does not answer fails the request with a 503. Requests on a swarm that is not initialised answer Docker's 503.
 */
import { ShoalError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { retry } from '../../common/retry.js';
import type { Store } from '../../store/store.js';
import { randomId } from '../services/names.js';
import { parseServiceSpec } from '../services/spec.js';
import type { TaskRecord, UpdateStatus } from '../services/model.js';
import { specKey } from '../services/speckey.js';
import { SwarmError, SwarmStoreError, notManager, outOfSequence } from '../swarm/errors.js';
import { CLUSTER_KEY, MODE_PREFIX } from '../swarm/layout.js';
import { PortClaims } from './port-claims.js';
import { clashError, ingressPorts, sameSlot, slotsOf, specOf } from './endpoint.js';
import { parseServiceRecord, parseTaskRecord, type Service, type ServiceRecord } from './records.js';

export const SERVICES_PREFIX = `${MODE_PREFIX}/services`;
export const TASKS_PREFIX = `${MODE_PREFIX}/tasks`;
export const NAMES_PREFIX = `${MODE_PREFIX}/service-names`;
/** The orchestrator's fencing key: every pass that writes moves it by compare-and-set on the value it read. */
export const FENCE_KEY = `${MODE_PREFIX}/orchestrator-fence`;
export const serviceKey = (id: string) => `${SERVICES_PREFIX}/${id}`;
export const taskKey = (id: string) => `${TASKS_PREFIX}/${id}`;
const nameKey = (name: string) => `${NAMES_PREFIX}/${name}`;

export const serviceNotFound = (ref: string) => new SwarmError(404, `service ${ref} not found`, 'SHOAL_NO_SERVICE');
export const taskNotFound = (ref: string) => new SwarmError(404, `task ${ref} not found`, 'SHOAL_NO_TASK');

export interface State {
  services: Service[];
  /** The raw stored values, by service ID (what a compare-and-set expects). */
  raw: Map<string, string>;
  tasks: TaskRecord[];
  /** The raw stored task values, by task ID (what a task write expects). */
  taskRaw: Map<string, string>;
  /** The fence as read before the services and tasks (what a pass's commit expects). */
  fence: string | undefined;
}

/**
 * A pass's writes were refused: another orchestrator (a new leader, or a deposed one still running) wrote
 * since this pass read. The pass must stop acting; the next pass reads again.
 */
export class StaleWriteError extends ShoalError {
  constructor(what: string) {
    super('SHOAL_STALE_TASK_WRITE', `services orchestrator: ${what} changed since this pass read it`, {
      recoverable: true,
    });
  }
}

export class ServiceStore {
  /** Who this orchestrator is, in the fence's value. */
  private readonly instance = randomId().slice(0, 12);
  private commits = 0;
  private readonly ports: PortClaims;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** Whether a swarm is initialised, when a watched view can tell without the store (else undefined). */
    private readonly clusterKnown: () => boolean | undefined = () => undefined,
  ) {
    this.ports = new PortClaims(store, (what, fn) => this.io(what, fn), now);
  }

  private readonly live = async (id: string) =>
    (await this.io('read', () => this.store.get(serviceKey(id)))) !== undefined;

  private async io<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await retry(fn, { attempts: 3, initialMs: 200, maxMs: 1000, what: `services ${what}`, log: this.log });
    } catch (err) {
      if (err instanceof SwarmError) throw err;
      throw new SwarmStoreError(what, err);
    }
  }

  /**
   * Refuses (Docker's 503) unless a swarm is initialised. The watched view may lag an init made through another
   * manager by a moment, so its "no swarm" is confirmed by one read, except for the orchestrator's own passes
   * (`viewOnly`), which run on a timer and must not poll the store while there is no swarm.
   */
  async active(viewOnly = false): Promise<void> {
    const known = this.clusterKnown();
    if (known === false && viewOnly) throw notManager();
    if (known) return;
    if ((await this.io('read', () => this.store.get(CLUSTER_KEY))) === undefined) throw notManager();
  }

  /** Every service and task record (unreadable values are skipped). */
  async read(viewOnly = false): Promise<State> {
    await this.active(viewOnly);
    // the fence first: a commit by another orchestrator after it is seen, even if its task writes are not yet
    const fence = await this.io('read', () => this.store.get(FENCE_KEY));
    const [svcs, tasks] = await Promise.all([
      this.io('read', () => this.store.list(SERVICES_PREFIX)),
      this.io('read', () => this.store.list(TASKS_PREFIX)),
    ]);
    const services: Service[] = [];
    const raw = new Map<string, string>();
    for (const kv of svcs) {
      const s = parseServiceRecord(kv.value);
      if (s && kv.key === serviceKey(s.rec.id)) {
        services.push(s);
        raw.set(s.rec.id, kv.value);
      }
    }
    const out: TaskRecord[] = [];
    const taskRaw = new Map<string, string>();
    for (const kv of tasks) {
      const t = parseTaskRecord(kv.value);
      if (t && kv.key === taskKey(t.id)) {
        out.push(t);
        taskRaw.set(t.id, kv.value);
      }
    }
    return { services, raw, tasks: out, taskRaw, fence };
  }

  /** The service `ref` names: an exact ID, an exact name, then a unique ID prefix (Docker's order). */
  static resolve(services: readonly Service[], ref: string): Service {
    const exact = services.find((s) => s.rec.id === ref) ?? services.find((s) => s.spec.Name === ref);
    if (exact) return exact;
    const byPrefix = services.filter((s) => s.rec.id.startsWith(ref));
    if (byPrefix.length === 1) return byPrefix[0]!;
    throw serviceNotFound(ref);
  }

  /**
   * `POST /services/create`: the new service's ID. Nothing is written for a bad spec, a taken name or a taken
   * port: the name is claimed, then each published ingress port (create-only), then the record is written. A
   * port assigned from the range that another create claimed first is assigned again (a few times).
   */
  async create(body: unknown): Promise<string> {
    const spec = specOf(body);
    const id = randomId();
    const conflict = () =>
      new SwarmError(
        409,
        `rpc error: code = AlreadyExists desc = name conflicts with an existing object: service ${spec.Name} already exists`,
        'SHOAL_SERVICE_EXISTS',
      );
    const asked = slotsOf(spec.EndpointSpec.Ports);
    for (let attempt = 1; ; attempt++) {
      const st = await this.read();
      if (st.services.some((s) => s.spec.Name === spec.Name)) throw conflict();
      const endpointPorts = ingressPorts(spec, st.services, undefined, await this.ports.list());
      const claimed = await this.io('create', () => this.store.get(nameKey(spec.Name)));
      // a claim whose service is gone (a create that failed half-way) may be taken over
      if (claimed !== undefined && st.services.some((s) => s.rec.id === claimed)) throw conflict();
      if (!(await this.io('create', () => this.store.cas(nameKey(spec.Name), claimed, id)))) throw conflict();
      const slots = slotsOf(endpointPorts);
      const clash = await this.ports.claim({ id, name: spec.Name }, slots, this.live).catch(async (err: unknown) => {
        await this.releaseName(spec.Name, id);
        throw err;
      });
      if (clash) {
        await this.releaseName(spec.Name, id);
        if (!asked.some(sameSlot(clash.slot)) && attempt < 5) continue;
        throw clashError(clash);
      }
      const at = new Date(this.now()).toISOString();
      const rec: ServiceRecord = {
        id,
        version: 1,
        createdAt: at,
        updatedAt: at,
        spec: body as Record<string, unknown>,
        endpointPorts,
      };
      try {
        await this.io('create', () => this.store.cas(serviceKey(id), undefined, JSON.stringify(rec)));
      } catch (err) {
        await this.ports.release(id, slots).catch(() => {});
        await this.releaseName(spec.Name, id).catch(() => {});
        throw err;
      }
      this.log.info({ service: id, name: spec.Name }, 'service created');
      return id;
    }
  }

  private async releaseName(name: string, id: string): Promise<void> {
    const claim = await this.io('remove', () => this.store.get(nameKey(name)));
    if (claim === id) await this.io('remove', () => this.store.delete(nameKey(name)));
  }

  /**
   * `POST /services/{id}/update?version=N[&rollback=previous]`: the whole new spec; a changed task spec starts
   * a rolling update (UpdateStatus `updating`), a rollback swaps in the previous spec.
   */
  async update(ref: string, version: number, body: unknown, rollback: boolean): Promise<void> {
    const spec = specOf(body);
    const st = await this.read();
    const s = ServiceStore.resolve(st.services, ref);
    if (s.rec.version !== version) throw outOfSequence();
    if (spec.Name !== s.spec.Name)
      throw new SwarmError(400, 'rpc error: code = Unimplemented desc = renaming services is not supported');
    const at = this.now();
    let next: ServiceRecord;
    if (rollback) {
      if (!s.rec.previousSpec)
        throw new SwarmError(
          400,
          `rpc error: code = FailedPrecondition desc = service ${s.rec.id} does not have a previous spec`,
        );
      const status: UpdateStatus = { State: 'rollback_started', StartedAt: at, Message: 'manually requested rollback' };
      const prev = s.previous?.spec ?? parseServiceSpec(s.rec.previousSpec);
      const back = ingressPorts(prev, st.services, s, await this.ports.list());
      next = {
        ...s.rec,
        spec: s.rec.previousSpec,
        previousSpec: s.rec.spec,
        updateStatus: status,
        endpointPorts: back,
      };
    } else {
      const changed = specKey(spec) !== s.key;
      const status: UpdateStatus | null | undefined = changed
        ? { State: 'updating', StartedAt: at, Message: 'update in progress' }
        : s.rec.updateStatus;
      const endpointPorts = ingressPorts(spec, st.services, s, await this.ports.list());
      const spec2 = body as Record<string, unknown>;
      next = { ...s.rec, spec: spec2, previousSpec: s.rec.spec, updateStatus: status, endpointPorts };
    }
    next = { ...next, version: s.rec.version + 1, updatedAt: new Date(at).toISOString() };
    // the new ports are claimed before the record names them; the ones it no longer names are freed after
    const before = slotsOf(s.rec.endpointPorts);
    const after = slotsOf(next.endpointPorts);
    const clash = await this.ports.claim({ id: s.rec.id, name: s.spec.Name }, after, this.live);
    if (clash) throw clashError(clash);
    const ok = await this.io('update', () =>
      this.store.cas(serviceKey(s.rec.id), st.raw.get(s.rec.id), JSON.stringify(next)),
    );
    if (!ok) {
      await this.ports.release(
        s.rec.id,
        after.filter((p) => !before.some(sameSlot(p))),
      );
      throw outOfSequence();
    }
    await this.ports.release(
      s.rec.id,
      before.filter((p) => !after.some(sameSlot(p))),
    );
  }

  /** `DELETE /services/{id}`: the record and its name claim; the orchestrator then removes the tasks. */
  async remove(ref: string): Promise<void> {
    const st = await this.read();
    const s = ServiceStore.resolve(st.services, ref);
    await this.io('remove', () => this.store.delete(serviceKey(s.rec.id)));
    await this.releaseName(s.spec.Name, s.rec.id);
    const held = (await this.ports.list()).filter((c) => c.serviceId === s.rec.id);
    await this.ports.release(s.rec.id, held);
    this.log.info({ service: s.rec.id, name: s.spec.Name }, 'service removed');
  }

  /**
   * The orchestrator's writes of one pass, fenced: first the fence moves by compare-and-set on the value `st`
   * read (refused: another orchestrator committed since, so this pass is stale and writes nothing), then each
   * task record by compare-and-set on its value in `st` (absent for a new task), then the dropped ones.
   * A refused write throws `StaleWriteError`: the caller must not act on this pass's decision.
   */
  async commit(st: State, changed: readonly TaskRecord[], deleted: readonly string[]): Promise<void> {
    if (!changed.length && !deleted.length) return;
    const next = `${this.instance}:${++this.commits}:${this.now()}`;
    if (!(await this.io('task write', () => this.store.cas(FENCE_KEY, st.fence, next))))
      throw new StaleWriteError('the fence');
    st.fence = next;
    const refused: string[] = [];
    await Promise.all(
      changed.map(async (t) => {
        const value = JSON.stringify(t);
        const ok = await this.io('task write', () => this.store.cas(taskKey(t.id), st.taskRaw.get(t.id), value));
        if (ok) st.taskRaw.set(t.id, value);
        else refused.push(t.id);
      }),
    );
    if (refused.length) throw new StaleWriteError(`task ${refused.sort().join(', ')}`);
    await Promise.all(deleted.map((id) => this.io('task delete', () => this.store.delete(taskKey(id)))));
  }

  /**
   * One task record changed by `fn` on its current value (read-modify-write by compare-and-set, tried again a
   * few times on a race); false when the task is gone or kept on losing.
   */
  async updateTask(id: string, fn: (t: TaskRecord) => TaskRecord): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const raw = await this.io('task read', () => this.store.get(taskKey(id)));
      const t = raw === undefined ? undefined : parseTaskRecord(raw);
      if (!t) return false;
      const value = JSON.stringify(fn(t));
      if (value === raw) return true;
      if (await this.io('task write', () => this.store.cas(taskKey(id), raw, value))) return true;
    }
    return false;
  }

  /**
   * A service's UpdateStatus from the orchestrator, by compare-and-set on the value it read (a lost race is
   * decided again on the next pass); with `rollback` the previous spec becomes the current one (an update whose
   * FailureAction is rollback failed).
   */
  async setUpdateStatus(raw: string, status: UpdateStatus, rollback = false): Promise<boolean> {
    const s = parseServiceRecord(raw);
    if (!s) return false;
    let next: ServiceRecord = { ...s.rec, updateStatus: status, version: s.rec.version + 1 };
    if (rollback && s.rec.previousSpec)
      next = {
        ...next,
        spec: s.rec.previousSpec,
        previousSpec: s.rec.spec,
        updatedAt: new Date(this.now()).toISOString(),
      };
    return this.io('update status', () => this.store.cas(serviceKey(s.rec.id), raw, JSON.stringify(next)));
  }
}
