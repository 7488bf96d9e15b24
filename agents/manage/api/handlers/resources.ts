/**
 * Networks and volumes are per node, listed from every node as `<node>/<name>`. As in classic Swarm, a
 * network is created on one node (the one named `<node>/<name>`, else the scheduler's pick) and found by a
 * reference that names exactly one network, then answered by its engine as is; a volume is created on every
 * healthy node (or the one named, or those its whitelist labels allow) and inspected and removed by
 * `<node>/<name>` or plain name. A container is connected to (or disconnected from) a network on the node it
 * runs on.
 */
import type { EngineNode } from '../../cluster/node.js';
import { schedule } from '../../scheduler/scheduler.js';
import { ApiError, readJson, sendJson } from '../http.js';
import { listRefusal, nodeScoped, nodeSelected } from '../listing.js';
import { findNetwork, networkPlacement, noSuchNetwork, volumePlacement, type NetworkRef } from '../netref.js';
import { forward } from '../proxy.js';
import type { Ctx, Handler } from '../context.js';

type Kind = 'networks' | 'volumes';

/** `<node>/<name>` when the part before the slash names one of `nodes`; otherwise no node, the whole name. */
function prefixed(nodes: readonly EngineNode[], ref: string): { node: EngineNode | undefined; name: string } {
  const r = decodeURIComponent(ref);
  const i = r.indexOf('/');
  const node = i > 0 ? nodes.find((n) => n.name === r.slice(0, i)) : undefined;
  return node ? { node, name: r.slice(i + 1) } : { node: undefined, name: r };
}

/** The healthy node a `<node>/<name>` reference names, or every healthy node for a plain name. */
function split(ctx: Ctx, ref: string): { nodes: EngineNode[]; name: string } {
  const healthy = ctx.api.cluster.healthy();
  const { node, name } = prefixed(healthy, ref);
  return { nodes: node ? [node] : healthy, name };
}

/** Every node's list of `kind`, each item named `<node>/<name>` (a node that does not answer lists none). */
export async function collect(kind: Kind, { url, api }: Ctx): Promise<{ status: number; body: unknown }> {
  const scope = nodeScoped(url.searchParams);
  const nodes = api.cluster.healthy().filter((n) => nodeSelected(scope.nodes, n));
  const ask = (n: EngineNode) => n.client.json<unknown>('GET', `/${kind}${scope.query}`).catch(() => undefined);
  const replies = await Promise.all(nodes.map(ask));
  const refusal = listRefusal(replies.filter((r) => r !== undefined));
  if (refusal) return refusal;
  const parts = nodes.map((n, i) => {
    const body = replies[i]?.status === 200 ? replies[i]?.body : undefined;
    const items = kind === 'volumes' ? (body as { Volumes?: unknown } | undefined)?.Volumes : body;
    const list = Array.isArray(items) ? (items as Record<string, unknown>[]) : [];
    return list.map((it) => ({ ...it, Name: `${n.name}/${it['Name']}`, Node: { Name: n.name, Addr: n.addr } }));
  });
  return { status: 200, body: kind === 'volumes' ? { Volumes: parts.flat(), Warnings: null } : parts.flat() };
}

export const list =
  (kind: Kind): Handler =>
  async (ctx) => {
    const r = await collect(kind, ctx);
    sendJson(ctx.res, r.status, r.body);
  };

export async function objectBody(ctx: Ctx): Promise<Record<string, unknown>> {
  const body = await readJson(ctx.req);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ApiError(400, 'expected a JSON object');
  return body as Record<string, unknown>;
}

/** The healthy nodes a placement request lets through, best first (throws classic Swarm's placement error). */
function placed(ctx: Ctx, request: Parameters<typeof schedule>[0]): EngineNode[] {
  const ranked = schedule(request, ctx.api.cluster.snapshots(), ctx.api.create);
  return ranked.map((s) => ctx.api.cluster.byAddr(s.addr)).filter((n): n is EngineNode => n !== undefined);
}

/** `docker network create [NODE/]NAME`: one network, on NODE or on the node the scheduler picks. */
export async function createNetworkOnNode(ctx: Ctx, body: Record<string, unknown>): Promise<void> {
  const { request, name } = networkPlacement(typeof body['Name'] === 'string' ? body['Name'] : '');
  const node = placed(ctx, request)[0];
  if (!node) throw new ApiError(503, 'no healthy node');
  const r = await node.client.operation<unknown>('POST', '/networks/create', { ...body, Name: name });
  sendJson(ctx.res, r.status, r.body);
}

/** `docker volume create`: on the node named, else on the nodes its placement labels allow, else on all. */
export const createVolume: Handler = async (ctx) => {
  const body = await objectBody(ctx);
  const ref = typeof body['Name'] === 'string' ? body['Name'] : '';
  let { nodes, name } = split(ctx, ref);
  const request = prefixed(ctx.api.cluster.healthy(), ref).node ? undefined : volumePlacement(body['Labels']);
  if (request) nodes = placed(ctx, request);
  if (nodes.length === 0) throw new ApiError(503, 'no healthy node');
  const results = await Promise.all(
    nodes.map((n) => n.client.operation<Record<string, unknown>>('POST', '/volumes/create', { ...body, Name: name })),
  );
  const bad = results.find((r) => r.status >= 300);
  if (bad) return sendJson(ctx.res, bad.status, bad.body);
  sendJson(ctx.res, 201, results[0]?.body);
};

/** Every network the healthy nodes list (a node that does not answer lists none). */
async function networks(ctx: Ctx): Promise<{ refs: NetworkRef[]; nodes: Map<string, EngineNode> }> {
  const healthy = ctx.api.cluster.healthy();
  const lists = await Promise.all(
    healthy.map((n) =>
      n.client
        .json<{ Id?: string; Name?: string }[]>('GET', '/networks')
        .then((r) => (r.status === 200 && Array.isArray(r.body) ? r.body : []))
        .catch(() => []),
    ),
  );
  const refs = healthy.flatMap((n, i) =>
    (lists[i] ?? []).map((net) => ({
      id: net.Id ?? '',
      name: net.Name ?? '',
      node: { name: n.name, id: n.id, addr: n.addr },
    })),
  );
  return { refs, nodes: new Map(healthy.map((n) => [n.addr, n])) };
}

/** `docker network inspect|rm REF`: the one network REF names, answered by its engine as is. */
export const oneNetwork: Handler = async (ctx) => {
  const ref = decodeURIComponent(ctx.params[0] as string);
  const method = ctx.req.method ?? 'GET';
  const { refs, nodes } = await networks(ctx);
  const hit = findNetwork(refs, ref);
  const node = hit && nodes.get(hit.node.addr);
  if (!hit || !node) throw new ApiError(404, noSuchNetwork(method, ref));
  await forward(node.client, ctx.req, ctx.res, `${ctx.versionPrefix}/networks/${hit.id}${ctx.url.search}`);
};

export const one =
  (kind: Kind): Handler =>
  async (ctx) => {
    const { nodes, name } = split(ctx, ctx.params[0] as string);
    const method = ctx.req.method ?? 'GET';
    const results = await Promise.all(
      nodes.map((n) =>
        n.client.json<unknown>(method, `/${kind}/${encodeURIComponent(name)}${ctx.url.search}`).then((r) => ({ n, r })),
      ),
    );
    const hit = results.filter(({ r }) => r.status < 300);
    if (hit.length === 0) throw new ApiError(404, `No such ${kind === 'networks' ? 'network' : 'volume'}: ${name}`);
    if (method === 'DELETE') {
      ctx.res.writeHead(204);
      return void ctx.res.end();
    }
    const first = hit[0] as { n: EngineNode; r: { body: unknown } };
    sendJson(ctx.res, 200, { ...(first.r.body as object), Node: { Name: first.n.name, Addr: first.n.addr } });
  };

/** `docker network connect|disconnect NET CONTAINER`: on the container's node, by the network's plain name. */
export const connect: Handler = async (ctx) => {
  const [ref, op] = ctx.params as [string, string];
  const body = (await readJson(ctx.req)) as { Container?: unknown } | undefined;
  if (
    typeof body !== 'object' ||
    body === null ||
    Array.isArray(body) ||
    typeof body.Container !== 'string' ||
    body.Container === ''
  ) {
    throw new ApiError(400, 'expected a JSON object with Container');
  }
  const at = await ctx.api.cluster.locate(body.Container);
  if (!at) throw new ApiError(404, `No such container: ${body.Container}`);
  const { node, name } = prefixed(ctx.api.cluster.list(), ref);
  if (node && node.name !== at.node.name)
    throw new ApiError(
      400,
      `network ${decodeURIComponent(ref)} is not on ${at.node.name}, where container ${body.Container} runs`,
    );
  const answer = await at.node.client.json<unknown>(
    'POST',
    `${ctx.versionPrefix}/networks/${encodeURIComponent(name)}/${op}`,
    { ...body, Container: at.id },
  );
  if (answer.status < 300) void at.node.refreshContainer(at.id).catch(() => {});
  if (answer.body === '' || answer.body === undefined) {
    ctx.res.writeHead(answer.status);
    return void ctx.res.end();
  }
  sendJson(ctx.res, answer.status, answer.body);
};
