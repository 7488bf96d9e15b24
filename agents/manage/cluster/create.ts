/**
 * `POST /containers/create` over the cluster: prepare the body, check the name, schedule (pure), reserve
 * the placement, create on the engine; a missing image is pulled through that node, else placement is
 * retried with image affinity where the image is; other failures (but a 409) retry on the next node up to
 * swarm.createretry times. Global requests create one container per matching node.
 */
import { randomBytes } from 'node:crypto';
import { ShoalError } from '../../common/errors.js';
import { prepareCreate, type PlacementRequest, type CreateBody } from '../scheduler/request.js';
import { schedule, scheduleGlobal, PlacementError, type SchedulerOptions } from '../scheduler/scheduler.js';
import type { ContainerSnapshot, NodeSnapshot } from '../scheduler/node.js';
import type { Cluster } from './cluster.js';
import type { EngineNode } from './node.js';
import type { CreateAnswer } from '../../docker/wire.js';
import { bodyForEngine } from '../engine/convert.js';
import { DockerUnavailableError } from '../../docker/errors.js';

export const GROUP_LABEL = 'shoal.global.group';

export class NameConflictError extends ShoalError {
  constructor(name: string) {
    super(
      'SHOAL_MANAGE_NAME_CONFLICT',
      `Conflict. The container name "/${name}" is already in use in the cluster. You have to remove (or rename) that container to be able to reuse that name.`,
    );
  }
}

export interface CreateOptions extends SchedulerOptions {
  createRetry: number;
}

export interface CreateResult {
  status: number;
  body: CreateAnswer;
  node?: EngineNode;
  /** Why the pull of a missing image failed on that node (classic Swarm answers with it). */
  pullError?: string;
}

const newId = () => randomBytes(32).toString('hex');

function pendingOf(req: PlacementRequest, id: string): ContainerSnapshot {
  return {
    id: `pending-${id}`,
    names: req.name ? [req.name] : [],
    image: req.image,
    imageId: '',
    labels: {},
    ports: req.ports,
    state: 'pending',
    cpus: req.cpus,
    memory: req.memory,
  };
}

function query(name: string | undefined, extra: URLSearchParams): string {
  const q = new URLSearchParams(extra);
  q.delete('name');
  if (name) q.set('name', name);
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function createOn(
  cluster: Cluster,
  node: EngineNode,
  req: PlacementRequest,
  body: CreateBody,
  params: URLSearchParams,
  swarmId: string,
): Promise<CreateResult> {
  const release = cluster.reserve(node.addr, pendingOf(req, swarmId));
  body = bodyForEngine(body, node.cpus);
  let r;
  let pullError: string | undefined;
  try {
    r = await node.client.createContainer(body, query(req.name, params));
    if (r.status === 404 && /no such image/i.test(r.body?.message ?? String(r.body))) {
      pullError = await pull(node, req.image);
      if (pullError === undefined) r = await node.client.createContainer(body, query(req.name, params));
    }
  } catch (err) {
    release();
    throw err;
  }
  if (r.status === 201 && r.body.Id) {
    // the reservation (name, ports, resources) holds until the cache has the real container: no need to wait
    void node
      .refreshContainer(r.body.Id)
      .catch(() => node.refreshContainers())
      .catch(() => {})
      .finally(release);
  } else release();
  return { status: r.status, body: r.body, node, ...(pullError === undefined ? {} : { pullError }) };
}

/** Pull through the node: undefined when the engine reports no error, else classic Swarm's words for it. */
async function pull(node: EngineNode, image: string): Promise<string | undefined> {
  const i = image.lastIndexOf(':');
  const [from, tag] = i > image.lastIndexOf('/') ? [image.slice(0, i), image.slice(i + 1)] : [image, 'latest'];
  try {
    const r = await node.client.pullImage(from, tag);
    return pullFailure(from, r.status, r.body);
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * What a failed pull answers, as classic Swarm words it (it pulled with the engine's Go client): a 64-hex
 * repository is refused before any request; an engine refusal reads `Error response from daemon: MSG`; an
 * error in the progress stream is its own message. Undefined when the pull succeeded. Pure.
 */
export function pullFailure(repo: string, status: number, body: unknown): string | undefined {
  if (/^[0-9a-f]{64}$/.test(repo))
    return `invalid repository name (${repo}), cannot specify 64-byte hexadecimal strings`;
  if (status >= 300) {
    const message = (body as { message?: unknown } | undefined)?.message;
    return `Error response from daemon: ${typeof message === 'string' ? message : String(body)}`;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  for (const line of text.split('\n')) {
    try {
      const item = JSON.parse(line) as { error?: unknown; errorDetail?: { message?: unknown } };
      const error = item.errorDetail?.message ?? item.error;
      if (typeof error === 'string' && error !== '') return error;
    } catch {
      // not a JSON line: progress text
    }
  }
  return undefined;
}

function hasImage(s: NodeSnapshot, image: string): boolean {
  const want = image.includes(':') ? image : `${image}:latest`;
  return s.images.some(
    (i) => i.repoTags.includes(want) || i.id === image || i.id.replace(/^sha256:/, '').startsWith(image),
  );
}

/**
 * After a failed attempt (`attempt` from 0), is the create tried on the next node? As classic Swarm: any
 * refusal but a name clash may be particular to that node (a 400 included: e.g. `--ipc container:X` with X
 * elsewhere; a 500 for an engine that could not be reached), so it is retried, up to swarm.createretry times.
 * Pure.
 */
export function retriesCreate(status: number, attempt: number, createRetry: number): boolean {
  return status !== 409 && attempt < createRetry;
}

/** An engine the create could not reach: counted against its health, answered in classic Swarm's words. */
function unreachable(node: EngineNode, err: unknown): CreateResult {
  if (!(err instanceof DockerUnavailableError)) throw err;
  return { status: 500, body: { message: node.callFailed(err) }, node };
}

export async function createContainer(
  cluster: Cluster,
  input: unknown,
  name: string | undefined,
  params: URLSearchParams,
  opts: CreateOptions,
  swarmId = newId(),
): Promise<CreateResult> {
  const { request, body } = prepareCreate(input, name, swarmId);
  if (request.global) return createGlobal(cluster, request, body, params, opts);
  if (name && cluster.nameTaken(name)) throw new NameConflictError(name);
  let req = request;
  const tried = new Set<string>();
  let last: CreateResult | undefined;
  for (let attempt = 0; attempt <= opts.createRetry + 1; attempt++) {
    // schedule and reserve in one synchronous step: no other create sees the node free in between
    const snaps = cluster.snapshots().filter((s) => !tried.has(s.addr));
    const ranked = schedule(req, snaps, opts);
    const chosen = cluster.byAddr((ranked[0] as NodeSnapshot).addr) as EngineNode;
    const res = await createOn(cluster, chosen, req, body, params, swarmId).catch((e: unknown) =>
      unreachable(chosen, e),
    );
    if (res.status === 201) return res;
    last = res;
    tried.add(chosen.addr);
    const missing = res.status === 404 && /no such image/i.test(res.body?.message ?? '');
    if (missing) {
      const elsewhere = cluster.snapshots().some((s) => !tried.has(s.addr) && hasImage(s, req.image));
      // as classic Swarm: the image is nowhere, so the chosen node's pull failure is the answer
      if (!elsewhere)
        return res.pullError === undefined ? res : { ...res, status: 500, body: { message: res.pullError } };
      req = { ...req, affinities: [...req.affinities, { key: 'image', op: '==', value: req.image, soft: false }] };
      continue;
    }
    if (!retriesCreate(res.status, attempt, opts.createRetry)) return res;
  }
  return last as CreateResult;
}

async function createGlobal(
  cluster: Cluster,
  request: PlacementRequest,
  body: CreateBody,
  params: URLSearchParams,
  opts: CreateOptions,
): Promise<CreateResult> {
  const targets = scheduleGlobal(request, cluster.snapshots(), opts);
  const group = newId();
  const results = await Promise.all(
    targets.map((t) => {
      const node = cluster.byAddr(t.addr) as EngineNode;
      const name = request.name ? `${request.name}-${node.name || node.addr.replace(/[:.]/g, '-')}` : undefined;
      if (name && cluster.nameTaken(name))
        return Promise.resolve<CreateResult>({ status: 409, body: { message: new NameConflictError(name).message } });
      const labels = {
        ...(body.Labels as Record<string, string>),
        [GROUP_LABEL]: group,
        'com.docker.swarm.id': newId(),
      };
      return createOn(
        cluster,
        node,
        { ...request, name },
        { ...body, Labels: labels },
        params,
        labels['com.docker.swarm.id'] as string,
      ).catch((e: unknown) => unreachable(node, e));
    }),
  );
  const ok = results.filter((r) => r.status === 201);
  if (ok.length === 0) return results[0] ?? { status: 500, body: { message: 'global create: no node' } };
  const warnings = results.flatMap((r, i) =>
    r.status === 201 ? [] : [`global: ${targets[i]?.name}: ${r.body?.message ?? r.status}`],
  );
  const first = ok[0] as CreateResult;
  return {
    status: 201,
    body: {
      Id: first.body.Id,
      Warnings: [`global: ${ok.length} containers (group ${group.slice(0, 12)}), started together`, ...warnings],
    },
    node: first.node,
  };
}

export { PlacementError };
