/**
 * Cluster-wide housekeeping: `docker container|image|network|volume|builder prune` (and so `docker system
 * prune`) run on every healthy node and answer one merged report; `docker system df` adds the nodes up.
 * Deleted names are marked `<node>/<name>` where a bare name would not say which node lost it.
 */
import type { EngineNode } from '../../cluster/node.js';
import { ApiError, sendJson } from '../http.js';
import type { Ctx, Handler } from '../context.js';

type Report = Record<string, unknown>;
const LISTS = ['ContainersDeleted', 'ImagesDeleted', 'NetworksDeleted', 'VolumesDeleted', 'CachesDeleted'] as const;

/** Merge per-node prune reports: lists concatenated (names marked with the node), space summed. Pure. */
export function mergePrune(parts: readonly { node: string; body: Report }[]): Report {
  const out: Report = { SpaceReclaimed: 0 };
  for (const { node, body } of parts) {
    for (const key of LISTS) {
      const items = body[key];
      if (!Array.isArray(items)) continue;
      const marked =
        key === 'NetworksDeleted' || key === 'VolumesDeleted' ? items.map((n) => `${node}/${String(n)}`) : items;
      out[key] = [...((out[key] as unknown[] | undefined) ?? []), ...marked];
    }
    if (typeof body['SpaceReclaimed'] === 'number')
      out['SpaceReclaimed'] = (out['SpaceReclaimed'] as number) + body['SpaceReclaimed'];
  }
  return out;
}

/** Merge per-node `GET /system/df` answers: sizes summed, lists concatenated. Pure. */
export function mergeDf(parts: readonly { node: string; body: Report }[]): Report {
  const out: Report = { LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] };
  for (const { node, body } of parts) {
    if (typeof body['LayersSize'] === 'number') out['LayersSize'] = (out['LayersSize'] as number) + body['LayersSize'];
    for (const key of ['Images', 'Containers', 'Volumes', 'BuildCache']) {
      const items = body[key];
      if (!Array.isArray(items)) continue;
      const marked =
        key === 'Volumes' ? items.map((v: Report) => ({ ...v, Name: `${node}/${String(v['Name'])}` })) : items;
      out[key] = [...(out[key] as unknown[]), ...marked];
    }
  }
  return out;
}

/** The healthy nodes, or a 503 when there are none. */
function healthyNodes(ctx: Ctx): EngineNode[] {
  const nodes = ctx.api.cluster.healthy();
  if (nodes.length === 0) throw new ApiError(503, 'no healthy node');
  return nodes;
}

async function everyNode(nodes: EngineNode[], method: string, path: string): Promise<{ node: string; body: Report }[]> {
  const answers = await Promise.all(
    nodes.map((n) => n.client.json<Report>(method, path, undefined, 120_000).then((r) => ({ n, r }))),
  );
  const bad = answers.find(({ r }) => r.status >= 300);
  if (bad) {
    const msg =
      typeof bad.r.body === 'object' && bad.r.body !== null
        ? String((bad.r.body as Report)['message'] ?? '')
        : String(bad.r.body);
    throw new ApiError(bad.r.status, `${bad.n.name}: ${msg}`);
  }
  return answers.map(({ n, r }) => ({
    node: n.name,
    body: typeof r.body === 'object' && r.body !== null ? r.body : {},
  }));
}

export const prune: Handler = async (ctx) => {
  const kind = ctx.params[0] as string;
  const nodes = healthyNodes(ctx);
  const parts = await everyNode(nodes, 'POST', `${ctx.versionPrefix}/${kind}/prune${ctx.url.search}`);
  await Promise.all(nodes.map((n) => n.refresh().catch(() => undefined)));
  sendJson(ctx.res, 200, mergePrune(parts));
};

export const df: Handler = async (ctx) => {
  const nodes = healthyNodes(ctx);
  sendJson(ctx.res, 200, mergeDf(await everyNode(nodes, 'GET', `${ctx.versionPrefix}/system/df${ctx.url.search}`)));
};
