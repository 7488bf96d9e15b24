/** Images: listed across nodes; pulled, imported and loaded on every healthy node or the constrained ones; tagged/removed where they are. */
import type { EngineNode } from '../../cluster/node.js';
import { forward } from '../proxy.js';
import { fanout } from '../fanout.js';
import { imageTargets } from '../../scheduler/targets.js';
import { engineParams, requestConstraints } from '../constraints.js';
import { ApiError, sendJson } from '../http.js';
import { listRefusal, mergeImages, nodeScoped, nodeSelected } from '../listing.js';
import type { Ctx, Handler } from '../context.js';

const query = (q: URLSearchParams) => (q.size === 0 ? '' : `?${q}`);

/** The healthy nodes holding an image, asked live (the image cache may lag a tag made a moment ago). */
export async function holders(ctx: Ctx, ref: string): Promise<EngineNode[]> {
  const nodes = ctx.api.cluster.healthy();
  const found = await Promise.all(
    nodes.map((n) =>
      n.client.json('GET', `/images/${ref}/json`).then(
        (r) => r.status === 200,
        () => false,
      ),
    ),
  );
  return nodes.filter((_, i) => found[i]);
}

export const list: Handler = async ({ res, url, api }) => {
  const scope = nodeScoped(url.searchParams);
  const nodes = api.cluster.healthy().filter((n) => nodeSelected(scope.nodes, n));
  type Images = Record<string, unknown>[];
  const ask = (n: EngineNode) => n.client.json<Images>('GET', `/images/json${scope.query}`).catch(() => undefined);
  const replies = (await Promise.all(nodes.map(ask))).filter((r) => r !== undefined);
  const refusal = listRefusal(replies);
  if (refusal) return sendJson(res, refusal.status, refusal.body);
  sendJson(res, 200, mergeImages(replies.map((r) => (r.status === 200 && Array.isArray(r.body) ? r.body : []))));
};

/** The nodes an image operation goes to: healthy ones, narrowed by the request's constraints. */
function targets(ctx: Ctx): EngineNode[] {
  const nodes = ctx.api.cluster.list();
  const picked = new Set(
    imageTargets(
      nodes.map((n) => n.snapshot()),
      requestConstraints(ctx),
    ).map((s) => s.addr),
  );
  return nodes.filter((n) => picked.has(n.addr));
}

function bodyHeaders(req: Ctx['req']): Record<string, string> {
  const h: Record<string, string> = {};
  for (const k of ['x-registry-auth', 'content-type', 'content-length']) {
    const v = req.headers[k];
    if (typeof v === 'string') h[k] = v;
  }
  return h;
}

/**
 * `docker pull` and `docker import` (POST /images/create), `docker load` (POST /images/load): on every
 * healthy node at once, or the constrained ones; an import or load body is teed to each; the progress
 * streams are merged, each message marked with its node.
 */
export const fanoutImage: Handler = async (ctx) => {
  const nodes = targets(ctx);
  const op = ctx.url.pathname.endsWith('/load') ? 'load' : 'create';
  const withBody = op === 'load' || ctx.url.searchParams.get('fromSrc') === '-';
  ctx.res.writeHead(200, { 'content-type': 'application/json' });
  await fanout(
    nodes,
    ctx.req,
    ctx.res,
    'POST',
    `${ctx.versionPrefix}/images/${op}${query(engineParams(ctx.url))}`,
    bodyHeaders(ctx.req),
    withBody,
  );
  await Promise.all(nodes.map((n) => n.refresh().catch(() => undefined)));
  ctx.res.end();
};

/** inspect and history: from a node holding the image. */
export const inspect: Handler = async (ctx) => {
  const [ref, what = 'json'] = ctx.params as [string, string?];
  const [node] = await holders(ctx, ref);
  if (!node) throw new ApiError(404, `No such image: ${decodeURIComponent(ref)}`);
  await forward(node.client, ctx.req, ctx.res, `${ctx.versionPrefix}/images/${ref}/${what}${ctx.url.search}`);
};

/** `docker push`: from every node holding the image, the progress streams merged. */
export const push: Handler = async (ctx) => {
  const ref = ctx.params[0] as string;
  const tag = ctx.url.searchParams.get('tag');
  const nodes = await holders(ctx, tag ? `${ref}:${encodeURIComponent(tag)}` : ref);
  if (nodes.length === 0) throw new ApiError(404, `No such image: ${decodeURIComponent(ref)}${tag ? `:${tag}` : ''}`);
  ctx.res.writeHead(200, { 'content-type': 'application/json' });
  const path = `${ctx.versionPrefix}/images/${ref}/push${ctx.url.search}`;
  await fanout(nodes, ctx.req, ctx.res, 'POST', path, bodyHeaders(ctx.req), false);
  ctx.res.end();
};

/** `docker search` and `docker login`: answered by any one healthy node, as classic Swarm did. */
export const anyNode: Handler = async (ctx) => {
  const nodes = ctx.api.cluster.healthy();
  const node = nodes[Math.floor(Math.random() * nodes.length)];
  if (!node) throw new ApiError(503, 'no healthy node');
  await forward(node.client, ctx.req, ctx.res, `${ctx.url.pathname}${ctx.url.search}`);
};

/** tag and rmi: on every node holding the image; the first failure (if all fail) is the answer. */
export const onHolders: Handler = async (ctx) => {
  const [ref, rest = ''] = ctx.params as [string, string?];
  const nodes = await holders(ctx, ref);
  if (nodes.length === 0) throw new ApiError(404, `No such image: ${decodeURIComponent(ref)}`);
  const method = ctx.req.method ?? 'POST';
  const results = await Promise.all(
    nodes.map((n) => n.client.json(method, `${ctx.versionPrefix}/images/${ref}${rest}${ctx.url.search}`)),
  );
  await Promise.all(nodes.map((n) => n.refresh()));
  const ok = results.filter((r) => r.status < 300);
  if (ok.length === 0) return sendJson(ctx.res, results[0]?.status ?? 500, results[0]?.body);
  if (method === 'DELETE')
    return sendJson(
      ctx.res,
      200,
      ok.flatMap((r) => (Array.isArray(r.body) ? r.body : [])),
    );
  ctx.res.writeHead(ok[0]?.status ?? 201);
  ctx.res.end();
};
