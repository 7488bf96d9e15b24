/**
 * Swarm-mode endpoints (`/swarm`, `/nodes`): a thin shell over ../../swarm/service.ts. Without a store
 * discovery there is nowhere to keep swarm state, and they answer 501 as before.
 */
import { parseVersion } from '../../swarm/errors.js';
import { rotateFlag } from '../../swarm/cluster.js';
import type { Swarm } from '../../swarm/service.js';
import { ApiError, parseFilters, readJson, sendJson } from '../http.js';
import type { Ctx, Handler } from '../context.js';
import { noStore, pathRef } from './swarm-shared.js';

function swarmOf(ctx: Ctx): Swarm {
  return ctx.api.swarm ?? noStore(ctx);
}

function ref(ctx: Ctx): string {
  return pathRef(ctx, 'node reference');
}

function isForce(ctx: Ctx): boolean {
  const f = ctx.url.searchParams.get('force');
  return f === '1' || f === 'true';
}

function empty(ctx: Ctx): void {
  ctx.res.writeHead(200, { 'content-length': 0 });
  ctx.res.end();
}

export const init: Handler = async (ctx) => {
  const swarm = swarmOf(ctx);
  sendJson(ctx.res, 200, await swarm.init(await readJson(ctx.req)));
};

export const inspect: Handler = async (ctx) => {
  sendJson(ctx.res, 200, await swarmOf(ctx).inspect());
};

export const update: Handler = async (ctx) => {
  const swarm = swarmOf(ctx);
  const q = ctx.url.searchParams;
  const body = await readJson(ctx.req);
  const version = parseVersion('swarm', q.get('version'));
  const rotate = {
    worker: rotateFlag('rotateWorkerToken', q.get('rotateWorkerToken')),
    manager: rotateFlag('rotateManagerToken', q.get('rotateManagerToken')),
  };
  rotateFlag('rotateManagerUnlockKey', q.get('rotateManagerUnlockKey'));
  await swarm.update(version, body, rotate);
  empty(ctx);
};

export const leave: Handler = async (ctx) => {
  const swarm = swarmOf(ctx);
  ctx.req.resume();
  await swarm.leave(isForce(ctx));
  empty(ctx);
};

export const nodes: Handler = async (ctx) => {
  const swarm = swarmOf(ctx);
  sendJson(ctx.res, 200, await swarm.nodes(parseFilters(ctx.url.searchParams.get('filters'))));
};

export const node: Handler = async (ctx) => {
  sendJson(ctx.res, 200, await swarmOf(ctx).node(ref(ctx)));
};

export const updateNode: Handler = async (ctx) => {
  const swarm = swarmOf(ctx);
  const body = await readJson(ctx.req);
  const version = parseVersion('node', ctx.url.searchParams.get('version'));
  await swarm.updateNode(ref(ctx), version, body);
  empty(ctx);
};

export const removeNode: Handler = async (ctx) => {
  const swarm = swarmOf(ctx);
  ctx.req.resume();
  await swarm.removeNode(ref(ctx), isForce(ctx));
  empty(ctx);
};

/** `POST /shoal/swarm/join`: token admission for `shoal join --token` (../../swarm/admit.ts). */
export const admit: Handler = async (ctx) => {
  const swarm = swarmOf(ctx);
  sendJson(ctx.res, 200, await swarm.admit(await readJson(ctx.req)));
};
