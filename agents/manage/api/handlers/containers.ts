/** Container endpoints: the aggregated list, scheduled create, and everything routed to the owning node. */
import { createContainer, GROUP_LABEL, NameConflictError } from '../../cluster/create.js';
import type { EngineNode } from '../../cluster/node.js';
import type { Located } from '../../cluster/cluster.js';
import type { ContainerSummary } from '../../../docker/wire.js';
import { forward, forwardThen } from '../proxy.js';
import { matchesFilters } from '../filters.js';
import { psQuery, taskMatches } from '../psquery.js';
import { nodeSelected } from '../listing.js';
import { refusedOnUnhealthy, unhealthyNodeMessage } from '../../cluster/unreachable.js';
import { ApiError, parseFilters, readBody, readJson, sendJson } from '../http.js';
import type { Ctx, Handler } from '../context.js';

export function nodeIp(node: EngineNode): string {
  return node.addr.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
}

export function nodeObject(node: EngineNode) {
  return {
    ID: node.id,
    IP: nodeIp(node),
    Addr: node.addr,
    Name: node.name,
    Cpus: node.cpus,
    Memory: node.memory,
    Labels: node.labels,
  };
}

/** One engine's container summaries as the cluster shows them: `/<node>/<name>`, 0.0.0.0 as the node IP. */
export function clusterSummary(
  node: EngineNode,
  c: ContainerSummary,
  down: boolean,
): ContainerSummary & Record<string, unknown> {
  const ip = nodeIp(node);
  return {
    ...c,
    Names: (c.Names ?? []).map((n) => `/${node.name}${n.startsWith('/') ? n : `/${n}`}`),
    Ports: (c.Ports ?? []).map((p) => (p.IP === '0.0.0.0' ? { ...p, IP: ip } : p)),
    ...(down ? { Status: 'Host Down' } : {}),
  };
}

const CACHED_FILTERS = new Set(['name', 'id', 'label', 'status']);

export const list: Handler = async ({ res, url, api }) => {
  const ps = psQuery(url.searchParams, parseFilters(url.searchParams.get('filters')));
  const { all, filters } = ps;
  const q = ps.engine;
  // classic Swarm: plain `ps` leaves out an unhealthy node's containers; -a (or a limit) shows them Host Down
  const nodes = api.cluster.list().filter((n) => (all || n.health !== 'unhealthy') && nodeSelected(ps.nodes, n));
  // small clusters are asked live (exact Status text); large ones are answered from the event-fed cache
  const live =
    nodes.length <= api.liveListMax || q.has('size') || Object.keys(filters).some((k) => !CACHED_FILTERS.has(k));
  const cached = (n: EngineNode) => {
    const hidden = api.cluster.hidden(n); // copies rescheduled to another node
    return n
      .summaries()
      .filter((c) => !hidden.has(c.Id) && (all || c.State === 'running') && matchesFilters(c, filters));
  };
  const parts = await Promise.all(
    nodes.map(async (n) => {
      if (n.health === 'healthy' && !live) return cached(n).map((c) => clusterSummary(n, c, false));
      if (n.health === 'healthy') {
        try {
          const r = await n.client.json<ContainerSummary[]>(
            'GET',
            `/containers/json${q.size ? `?${q}` : ''}`,
            undefined,
            5000,
          );
          if (r.status === 200 && Array.isArray(r.body)) return r.body.map((c) => clusterSummary(n, c, false));
        } catch {
          // fall through to the cached list, marked down
        }
      }
      return cached(n).map((c) => clusterSummary(n, c, true));
    }),
  );
  const created = (c: object) => Number((c as { Created?: number }).Created ?? 0);
  const out = parts
    .flat()
    .filter((c) => taskMatches(c, ps.isTask))
    .sort((a, b) => created(b) - created(a));
  sendJson(res, 200, ps.limit > 0 ? out.slice(0, ps.limit) : out);
};

export const create: Handler = async ({ req, res, url, api }) => {
  const body = await readJson(req);
  const name = url.searchParams.get('name') ?? undefined;
  if (name !== undefined && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name))
    throw new ApiError(400, `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const r = await createContainer(api.cluster, body, name?.replace(/^\//, ''), url.searchParams, api.create);
  sendJson(res, r.status, r.body);
};

/** The container's node and ID; a node that is unhealthy refuses the operation as classic Swarm does (but start and rm). */
async function located(ctx: Ctx, ref: string, op = ''): Promise<Located> {
  const at = await ctx.api.cluster.locate(ref);
  if (!at) throw new ApiError(404, `No such container: ${decodeURIComponent(ref)}`);
  if (at.node.health === 'unhealthy' && refusedOnUnhealthy(ctx.req.method ?? 'GET', op))
    throw new ApiError(500, unhealthyNodeMessage(decodeURIComponent(ref), at.node.name || at.node.addr));
  return at;
}

export const inspect: Handler = async (ctx) => {
  const at = await located(ctx, ctx.params[0] as string, '/json');
  const r = await at.node.client.json<Record<string, unknown>>(
    'GET',
    `${ctx.versionPrefix}/containers/${at.id}/json${ctx.url.search}`,
  );
  if (r.status !== 200) return sendJson(ctx.res, r.status, r.body);
  sendJson(ctx.res, 200, { ...r.body, Node: nodeObject(at.node) });
};

/** Everything else under /containers/<ref>/...: forwarded to the owning node with the ref resolved to the ID. */
export const routed: Handler = async (ctx) => {
  const [ref, rest = ''] = ctx.params as [string, string?];
  const at = await located(ctx, ref, rest);
  const path = `${ctx.versionPrefix}/containers/${at.id}${rest}${ctx.url.search}`;
  if (ctx.req.method === 'POST' && rest === '/exec') return execCreate(ctx, at, path);
  const newName = rest === '/rename' ? ctx.url.searchParams.get('name')?.replace(/^\//, '') : undefined;
  if (newName && ctx.api.cluster.nameTaken(newName)) throw new NameConflictError(newName);
  // siblings of a global group start before the answer, so the client sees the whole group running
  if (ctx.req.method === 'POST' && rest === '/start') await startGroup(ctx, at);
  if (ctx.req.method === 'DELETE' || (ctx.req.method === 'POST' && STATE_OPS.has(rest))) {
    const refresh = () => at.node.refreshContainer(at.id).catch(() => at.node.refreshContainers());
    // a cached `ps` (large clusters) must see the change at once; a live one asks the engines anyway. A
    // removal always waits: the name, ports and slots it frees must be free for the client's next create.
    if (ctx.req.method === 'DELETE' || ctx.api.cluster.list().length > ctx.api.liveListMax)
      await forwardThen(at.node.client, ctx.req, ctx.res, path, refresh);
    else if ((await forward(at.node.client, ctx.req, ctx.res, path)) < 300) void refresh().catch(() => {});
    return;
  }
  await forward(at.node.client, ctx.req, ctx.res, path);
};

/** Operations whose small answer waits for the node's container cache to catch up. */
const STATE_OPS = new Set(['/start', '/stop', '/restart', '/kill', '/pause', '/unpause', '/rename', '/update']);

async function execCreate(ctx: Ctx, at: Located, path: string): Promise<void> {
  const body = await readBody(ctx.req);
  let parsed: unknown;
  try {
    parsed = body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch (err) {
    throw new ApiError(400, `malformed JSON body: ${(err as Error).message}`);
  }
  const r = await at.node.client.json<{ Id?: string }>('POST', path, parsed);
  if (r.status === 201 && r.body.Id) ctx.api.cluster.rememberExec(r.body.Id, at.node.addr);
  sendJson(ctx.res, r.status, r.body);
}

/** Starting one container of a global group starts its siblings that were only created (asked live). */
async function startGroup(ctx: Ctx, at: Located): Promise<void> {
  const find = () => at.node.snapshot().containers.find((c) => c.id === at.id);
  let me = find();
  if (!me) {
    await at.node.refreshContainer(at.id).catch(() => {});
    me = find();
  }
  const group = me?.labels[GROUP_LABEL];
  if (!group) return;
  const q = encodeURIComponent(JSON.stringify({ label: [`${GROUP_LABEL}=${group}`], status: ['created'] }));
  await Promise.all(
    ctx.api.cluster.healthy().map(async (n) => {
      const r = await n.client
        .json<ContainerSummary[]>('GET', `/containers/json?all=1&filters=${q}`)
        .catch(() => undefined);
      const ids = Array.isArray(r?.body) ? r.body.map((c) => c.Id).filter((id) => id !== at.id) : [];
      await Promise.all(ids.map((id) => n.client.json('POST', `/containers/${id}/start`).catch(() => undefined)));
    }),
  );
}

export const execRouted: Handler = async (ctx) => {
  const [id, rest = ''] = ctx.params as [string, string?];
  const node = await ctx.api.cluster.locateExec(id);
  if (!node) throw new ApiError(404, `No such exec instance: ${id}`);
  await forward(node.client, ctx.req, ctx.res, `${ctx.versionPrefix}/exec/${id}${rest}${ctx.url.search}`);
};
