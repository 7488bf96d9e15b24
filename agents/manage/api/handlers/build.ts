/**
 * Calls that make an image on one node: `docker build` (the context is streamed to the node the scheduler
 * picks: health, constraint and affinity filters, then the strategy; placement from `--build-arg
 * constraint:...`/`affinity:...`, `?constraint=` or X-Shoal-Constraint) and `docker commit` (on the
 * container's node); and `docker save`, from a node that holds every image asked for.
 */
import { ApiError } from '../http.js';
import { forward } from '../proxy.js';
import type { Handler } from '../context.js';
import { BuildArgsError, buildPlacement } from '../../scheduler/buildargs.js';
import { schedule } from '../../scheduler/scheduler.js';
import { requestOf } from '../../scheduler/targets.js';
import { engineParams, requestConstraints } from '../constraints.js';
import { holders } from './images.js';

const PLACEMENT_FILTERS = new Set(['health', 'constraint', 'affinity']);

export const build: Handler = async (ctx) => {
  let placement;
  try {
    placement = buildPlacement(ctx.url.searchParams.get('buildargs'));
  } catch (err) {
    if (err instanceof BuildArgsError) throw new ApiError(400, err.message);
    throw err;
  }
  const req = requestOf([...placement.constraints, ...requestConstraints(ctx)], placement.affinities);
  const { api } = ctx;
  const nodes = api.cluster.list();
  const [best] = schedule(
    req,
    nodes.map((n) => n.snapshot()),
    { ...api.create, filters: api.create.filters.filter((f) => PLACEMENT_FILTERS.has(f.name)) },
  );
  const node = nodes.find((n) => n.addr === best?.addr);
  if (!node) throw new ApiError(503, 'no healthy node to build on');
  const q = engineParams(ctx.url);
  if (placement.buildargs !== undefined) q.set('buildargs', placement.buildargs);
  await forward(node.client, ctx.req, ctx.res, `${ctx.versionPrefix}/build?${q}`);
  void node.refresh().catch(() => {});
};

export const commit: Handler = async (ctx) => {
  const ref = ctx.url.searchParams.get('container') ?? '';
  if (ref === '') throw new ApiError(400, 'commit: the container parameter is required');
  const at = await ctx.api.cluster.locate(ref);
  if (!at) throw new ApiError(404, `No such container: ${ref}`);
  const q = new URLSearchParams(ctx.url.searchParams);
  q.set('container', at.id);
  await forward(at.node.client, ctx.req, ctx.res, `${ctx.versionPrefix}/commit?${q}`);
  void at.node.refresh().catch(() => {});
};

/** GET /images/{name}/get and /images/get?names=...: from the first healthy node holding all of them. */
export const save: Handler = async (ctx) => {
  const one = ctx.params[0];
  const names = one !== undefined && one !== '' ? [decodeURIComponent(one)] : ctx.url.searchParams.getAll('names');
  if (names.length === 0) throw new ApiError(400, 'save: no image named');
  const held = await Promise.all(names.map((name) => holders(ctx, encodeURIComponent(name))));
  const node = ctx.api.cluster.healthy().find((n) => held.every((hs) => hs.includes(n)));
  const nowhere = names.find((_, i) => held[i]?.length === 0);
  if (nowhere !== undefined) throw new ApiError(404, `No such image: ${nowhere}`);
  if (!node) throw new ApiError(404, `Unable to find a healthy engine containing all images: [${names.join(' ')}]`);
  await forward(node.client, ctx.req, ctx.res, `${ctx.url.pathname}${ctx.url.search}`);
};
