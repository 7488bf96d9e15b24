/** Images: listed across nodes, pulled on every healthy node, tagged/removed where they are. */
import type { EngineNode } from '../../cluster/node.js';
import { forward } from '../proxy.js';
import { ApiError, sendJson } from '../http.js';
import type { Ctx, Handler } from '../context.js';

/** The healthy nodes holding an image, asked live (the image cache may lag a tag made a moment ago). */
async function holders(ctx: Ctx, ref: string): Promise<EngineNode[]> {
  const nodes = ctx.api.cluster.list().filter((n) => n.health === 'healthy');
  const found = await Promise.all(nodes.map((n) => n.client.json('GET', `/images/${ref}/json`).then((r) => r.status === 200, () => false)));
  return nodes.filter((_, i) => found[i]);
}

export const list: Handler = async ({ res, url, api }) => {
  const seen = new Map<string, Record<string, unknown>>();
  await Promise.all(
    api.cluster.list().filter((n) => n.health === 'healthy').map(async (n) => {
      const r = await n.client.json<Record<string, unknown>[]>('GET', `/images/json${url.search}`).catch(() => undefined);
      if (r?.status === 200 && Array.isArray(r.body)) for (const img of r.body) if (!seen.has(img['Id'] as string)) seen.set(img['Id'] as string, img);
    }),
  );
  sendJson(res, 200, [...seen.values()]);
};

/** `docker pull`: on every healthy node, progress streams concatenated. */
export const pull: Handler = async ({ req, res, url, versionPrefix, api }) => {
  const nodes = api.cluster.list().filter((n) => n.health === 'healthy');
  if (nodes.length === 0) throw new ApiError(503, 'no healthy node to pull on');
  res.writeHead(200, { 'content-type': 'application/json' });
  for (const n of nodes) {
    await new Promise<void>((resolve) => {
      const headers: Record<string, string> = {};
      const auth = req.headers['x-registry-auth'];
      if (typeof auth === 'string') headers['x-registry-auth'] = auth;
      const preq = n.client.request(n.client.options('POST', `${versionPrefix}/images/create${url.search}`, headers, false));
      preq.on('response', (pres) => {
        const failed = (pres.statusCode ?? 500) >= 300;
        let text = '';
        pres.on('data', (d: Buffer) => (failed ? (text += d.toString('utf8')) : res.write(d)));
        pres.on('end', () => {
          if (failed) {
            let message = text.trim();
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? message;
            } catch {
              // not JSON: the text itself
            }
            res.write(JSON.stringify({ errorDetail: { message: `${n.name}: ${message}` }, error: `${n.name}: ${message}` }) + '\n');
          }
          resolve();
        });
        pres.on('error', () => resolve());
      });
      preq.on('error', (err) => {
        res.write(JSON.stringify({ error: `${n.name}: ${err.message}` }) + '\n');
        resolve();
      });
      preq.end();
    });
    void n.refresh();
  }
  res.end();
};

export const inspect: Handler = async (ctx) => {
  const [node] = await holders(ctx, ctx.params[0] as string);
  if (!node) throw new ApiError(404, `No such image: ${decodeURIComponent(ctx.params[0] as string)}`);
  await forward(node.client, ctx.req, ctx.res, `${ctx.versionPrefix}/images/${ctx.params[0]}/json${ctx.url.search}`);
};

/** tag and rmi: on every node holding the image; the first failure (if all fail) is the answer. */
export const onHolders: Handler = async (ctx) => {
  const [ref, rest = ''] = ctx.params as [string, string?];
  const nodes = await holders(ctx, ref);
  if (nodes.length === 0) throw new ApiError(404, `No such image: ${decodeURIComponent(ref)}`);
  const method = ctx.req.method ?? 'POST';
  const results = await Promise.all(nodes.map((n) => n.client.json(method, `${ctx.versionPrefix}/images/${ref}${rest}${ctx.url.search}`)));
  await Promise.all(nodes.map((n) => n.refresh()));
  const ok = results.filter((r) => r.status < 300);
  if (ok.length === 0) return sendJson(ctx.res, results[0]?.status ?? 500, results[0]?.body);
  if (method === 'DELETE') return sendJson(ctx.res, 200, ok.flatMap((r) => (Array.isArray(r.body) ? r.body : [])));
  ctx.res.writeHead(ok[0]?.status ?? 201);
  ctx.res.end();
};
