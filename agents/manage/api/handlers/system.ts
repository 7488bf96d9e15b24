import os from 'node:os';
import { VERSION } from '../../../version.js';
import { buildInfo } from '../info.js';
import { sendJson } from '../http.js';
import type { ApiOptions, Handler } from '../context.js';

export const FALLBACK_API_VERSION = '1.41';

/** Classic Swarm's identity first: clients detect a classic cluster by the `swarm/` prefix. */
export const SERVER_VERSION = `swarm/1.2.9 (shoal ${VERSION})`;

/** The API version the manager speaks: the lowest its healthy engines speak. */
export function apiVersion(api: ApiOptions): string {
  const vs = api.cluster
    .list()
    .map((n) => n.apiVersion)
    .filter((v) => v !== '');
  if (vs.length === 0) return FALLBACK_API_VERSION;
  return vs.sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))[0] as string;
}

export const ping: Handler = async ({ res, req, api }) => {
  res.writeHead(200, {
    'content-type': 'text/plain; charset=utf-8',
    'api-version': apiVersion(api),
    'docker-experimental': 'false',
    ostype: 'linux',
    'builder-version': '1',
    'cache-control': 'no-cache, no-store, must-revalidate',
  });
  res.end(req.method === 'HEAD' ? undefined : 'OK');
};

export const version: Handler = async ({ res, api }) => {
  const v = apiVersion(api);
  sendJson(
    res,
    200,
    {
      Platform: { Name: 'Docker Swarm (shoal)' },
      Version: SERVER_VERSION,
      ApiVersion: v,
      MinAPIVersion: '1.24',
      Os: 'linux',
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      KernelVersion: os.release(),
      GoVersion: process.version,
      GitCommit: '',
      BuildTime: '',
      Components: [{ Name: 'shoal', Version: VERSION, Details: { ApiVersion: v } }],
    },
    { 'api-version': v },
  );
};

export const info: Handler = async ({ res, api }) => {
  const nodes = api.cluster.list();
  const images = nodes.reduce((sum, n) => sum + n.snapshot().images.length, 0);
  const r = api.role();
  const swarm = api.swarm ? await api.swarm.info() : undefined;
  const body = buildInfo({
    role: r.role,
    ...(r.primary === undefined ? {} : { primary: r.primary }),
    strategy: api.strategy,
    filters: api.filters,
    nodes: nodes.map((n) => ({
      snap: api.cluster.shown(n),
      reached: n.name !== '',
      error: n.error,
      updatedAt: n.updatedAt,
      serverVersion: n.serverVersion,
    })),
    images,
    overcommit: api.create.overcommit ?? 0,
    name: os.hostname(),
    version: SERVER_VERSION,
  });
  sendJson(res, 200, swarm ? { ...body, Swarm: swarm } : body);
};
