/**
 * Swarm-mode services and tasks (`/services`, `/tasks`): a thin shell over ../../orchestrator. Writes wake the
 * orchestrator. Without a store discovery they answer 501 as before; before `swarm init`, Docker's 503.
 */
import { parseVersion, SwarmError } from '../../swarm/errors.js';
import { nodeState } from '../../swarm/nodes.js';
import type { Orchestrator } from '../../orchestrator/loop.js';
import {
  filterServices,
  filterTasks,
  serviceView,
  taskView,
  unknownFilter,
  type Service,
} from '../../orchestrator/records.js';
import { ServiceStore, taskNotFound } from '../../orchestrator/store.js';
import type { Swarm } from '../../swarm/service.js';
import type { TaskRecord } from '../../services/model.js';
import { withDefaults } from '../../services/defaults.js';
import { streamServiceLogs } from '../../orchestrator/logs.js';
import { parseLogQuery, type LogSelector } from '../../services/logs.js';
import { ApiError, parseFilters, readJson, sendJson } from '../http.js';
import type { Ctx, Handler } from '../context.js';
import { noStore, pathRef } from './swarm-shared.js';
import { serviceBody } from './service-body.js';
import type { NetworkStore } from '../../networks/store.js';
import type { BridgeJanitor } from '../../networks/janitor.js';

export interface ServicesApi {
  store: ServiceStore;
  orchestrator: Orchestrator;
  swarm: Swarm;
  /** Cluster networks (the overlay driver), and the sweep of their per-node bridges. */
  networks?: NetworkStore;
  janitor?: BridgeJanitor;
}

function servicesOf(ctx: Ctx): ServicesApi {
  return ctx.api.services ?? noStore(ctx);
}

function ref(ctx: Ctx): string {
  return pathRef(ctx, 'reference');
}

function filters(ctx: Ctx, kind: 'services' | 'tasks'): Record<string, string[]> {
  const f = parseFilters(ctx.url.searchParams.get('filters'));
  const bad = unknownFilter(f, kind);
  if (bad !== undefined) throw new ApiError(400, `invalid filter '${bad}'`);
  return f;
}

async function upNodes(api: ServicesApi): Promise<Set<string>> {
  return new Set((await api.swarm.members()).filter((j) => nodeState(j.engine) === 'ready').map((j) => j.rec.id));
}

export const create: Handler = async (ctx) => {
  const api = servicesOf(ctx);
  const body = await serviceBody(api, await readJson(ctx.req));
  const id = await api.store.create(body);
  api.orchestrator.trigger();
  sendJson(ctx.res, 201, { ID: id, Warnings: null });
};

export const list: Handler = async (ctx) => {
  const api = servicesOf(ctx);
  const f = filters(ctx, 'services');
  const st = await api.store.read();
  const withStatus = ctx.url.searchParams.get('status') === 'true' || ctx.url.searchParams.get('status') === '1';
  const up = withStatus ? await upNodes(api) : undefined;
  sendJson(
    ctx.res,
    200,
    filterServices(st.services, f).map((s) =>
      serviceView(s, up ? { tasks: st.tasks, upNodes: up, nodeCount: up.size } : undefined),
    ),
  );
};

export const inspect: Handler = async (ctx) => {
  const api = servicesOf(ctx);
  const st = await api.store.read();
  const view = serviceView(ServiceStore.resolve(st.services, ref(ctx)));
  const q = ctx.url.searchParams.get('insertDefaults');
  if (q === 'true' || q === '1') view.Spec = withDefaults(view.Spec as Record<string, unknown>);
  sendJson(ctx.res, 200, view);
};

export const update: Handler = async (ctx) => {
  const api = servicesOf(ctx);
  const body = await serviceBody(api, await readJson(ctx.req));
  const q = ctx.url.searchParams;
  const version = parseVersion('service', q.get('version'));
  const rollback = q.get('rollback');
  if (rollback !== null && rollback !== '' && rollback !== 'previous')
    throw new SwarmError(400, `invalid rollback parameter: ${JSON.stringify(rollback)}`);
  await api.store.update(ref(ctx), version, body, rollback === 'previous');
  api.orchestrator.trigger();
  sendJson(ctx.res, 200, { Warnings: null });
};

export const remove: Handler = async (ctx) => {
  const api = servicesOf(ctx);
  ctx.req.resume();
  await api.store.remove(ref(ctx));
  api.orchestrator.trigger();
  ctx.res.writeHead(200, { 'content-length': 0 });
  ctx.res.end();
};

export const tasks: Handler = async (ctx) => {
  const api = servicesOf(ctx);
  const f = filters(ctx, 'tasks');
  const st = await api.store.read();
  const byId = new Map<string, Service>(st.services.map((s) => [s.rec.id, s]));
  sendJson(
    ctx.res,
    200,
    filterTasks(st.tasks, byId, f).map((t) => taskView(t, byId.get(t.serviceId))),
  );
};

function findTask(tasks: readonly TaskRecord[], id: string): TaskRecord {
  const t = tasks.find((x) => x.id === id) ?? tasks.filter((x) => x.id.startsWith(id)).at(0);
  if (!t) throw taskNotFound(id);
  return t;
}

export const task: Handler = async (ctx) => {
  const api = servicesOf(ctx);
  const st = await api.store.read();
  const t = findTask(st.tasks, ref(ctx));
  sendJson(
    ctx.res,
    200,
    taskView(
      t,
      st.services.find((s) => s.rec.id === t.serviceId),
    ),
  );
};

/** `GET /services/{id}/logs` and `GET /tasks/{id}/logs`: the task containers' logs as one swarm-style stream. */
function logs(kind: 'service' | 'task'): Handler {
  return async (ctx) => {
    const api = servicesOf(ctx);
    const q = parseLogQuery(ctx.url.searchParams);
    if ('error' in q) throw new ApiError(400, q.error);
    const st = await api.store.read();
    const task = kind === 'task' ? findTask(st.tasks, ref(ctx)) : undefined;
    const svc = task
      ? st.services.find((s) => s.rec.id === task.serviceId)
      : ServiceStore.resolve(st.services, ref(ctx));
    const sel: LogSelector = task ? { taskId: task.id } : { serviceId: svc!.rec.id };
    ctx.req.resume();
    streamServiceLogs(ctx.api.cluster, sel, q, ctx.res, { tty: svc?.spec.TaskTemplate.ContainerSpec.TTY === true });
  };
}

export const serviceLogs = logs('service');
export const taskLogs = logs('task');

/** `GET /secrets` and `GET /configs`: none exist yet, so `[]` once a swarm is initialised (stack rm reads them). */
export const none: Handler = async (ctx) => {
  const api = servicesOf(ctx);
  await api.store.active();
  sendJson(ctx.res, 200, []);
};

/** `GET|DELETE /secrets/{id}` and `/configs/{id}`: none exists (stack deploy then tries to create it). */
export const noneOne: Handler = async (ctx) => {
  const api = servicesOf(ctx);
  ctx.req.resume();
  await api.store.active();
  const kind = ctx.params[0] === 'secrets' ? 'secret' : 'config';
  throw new SwarmError(404, `${kind} ${pathRef({ ...ctx, params: ctx.params.slice(1) }, kind)} not found`);
};

/** `POST /secrets/create` and `/configs/create` (compose `secrets:` / `configs:`): refused, saying so. */
export const noneCreate: Handler = async (ctx) => {
  const api = servicesOf(ctx);
  ctx.req.resume();
  await api.store.active();
  const kind = ctx.params[0] === 'secrets' ? 'secrets' : 'configs';
  throw new SwarmError(
    501,
    `shoal manage does not support swarm ${kind} (compose top-level \`${kind}:\`, \`docker ${kind.slice(0, -1)} create\`): deploy without them`,
    'SHOAL_UNSUPPORTED',
  );
};
