/**
 * `/networks` once a swarm is initialised: cluster networks (the overlay driver, what `docker stack deploy`
 * creates) live in the store and are listed, inspected, label-filtered and removed like swarm's; every other
 * network is the per-node kind of ./resources.ts. Without swarm mode everything goes to ./resources.ts.
 */
import { filterNetworks, findClusterNetwork, networkView } from '../../networks/model.js';
import { networkIds } from '../../networks/attach.js';
import type { NetworkStore } from '../../networks/store.js';
import { ApiError, parseFilters, sendJson } from '../http.js';
import type { Ctx, Handler } from '../context.js';
import * as resources from './resources.js';

/** The cluster networks' store while a swarm is initialised, else undefined. */
async function clusterNetworks(ctx: Ctx): Promise<NetworkStore | undefined> {
  const n = ctx.api.services?.networks;
  return n && (await n.active()) ? n : undefined;
}

/** `POST /networks/create`: the overlay driver makes a cluster network; any other a network on one node. */
export const create: Handler = async (ctx) => {
  const body = await resources.objectBody(ctx);
  const store = body.Driver === 'overlay' ? await clusterNetworks(ctx) : undefined;
  if (!store) return resources.createNetworkOnNode(ctx, body);
  const rec = await store.create(body);
  sendJson(ctx.res, 201, { Id: rec.id, Warning: '' });
};

/** `GET /networks`: the cluster networks the filters let through (none with a `node` filter), then each node's. */
export const list: Handler = async (ctx) => {
  const r = await resources.collect('networks', ctx);
  const store = r.status === 200 ? await clusterNetworks(ctx) : undefined;
  if (!store) return sendJson(ctx.res, r.status, r.body);
  const { node, ...f } = parseFilters(ctx.url.searchParams.get('filters'));
  const mine = node?.length ? [] : filterNetworks(await store.list(), f).map(networkView);
  sendJson(ctx.res, 200, [...mine, ...(r.body as unknown[])]);
};

/** `GET|DELETE /networks/{ref}`: a cluster network by ID, name or ID prefix first, else a node's network. */
export const one: Handler = async (ctx) => {
  const store = await clusterNetworks(ctx);
  let ref: string;
  try {
    ref = decodeURIComponent(ctx.params[0] as string);
  } catch {
    throw new ApiError(400, 'invalid network reference: malformed percent-encoding');
  }
  const rec = store && findClusterNetwork(await store.list(), ref);
  if (!store || !rec) return resources.oneNetwork(ctx);
  if (ctx.req.method !== 'DELETE') return sendJson(ctx.res, 200, networkView(rec));
  ctx.req.resume();
  const services = ctx.api.services;
  const users = new Map<string, string[]>();
  if (services) for (const s of (await services.store.read()).services) users.set(s.rec.id, networkIds(s.spec));
  await store.remove(rec, users);
  services?.janitor?.kick();
  ctx.res.writeHead(204);
  ctx.res.end();
};
