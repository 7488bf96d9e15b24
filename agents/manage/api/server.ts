/**
 * The API server: one node:http (or https) server per `-H` address (tcp or unix socket). Requests go
 * through the route table; upgrades (attach, exec start) are hijacked to the owning engine. Every error
 * becomes a Docker-style JSON answer; nothing a client sends can crash the manager.
 */
import http from 'node:http';
import https from 'node:https';
import { existsSync, unlinkSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { ListenAddress } from '../../common/address.js';
import { errorMessage } from '../../common/errors.js';
import { CreateBodyError } from '../scheduler/request.js';
import { PlacementError } from '../scheduler/scheduler.js';
import { NameConflictError } from '../cluster/create.js';
import { refusedOnUnhealthy, unhealthyNodeMessage } from '../cluster/unreachable.js';
import { DockerUnavailableError } from '../../docker/errors.js';
import { ApiError, sendError } from './http.js';
import { forward, hijack } from './proxy.js';
import { match, splitVersion, UNSUPPORTED } from './routes.js';
import type { ApiOptions } from './context.js';
import { routeLabel } from '../metrics.js';
import { SwarmError } from '../swarm/errors.js';

export interface ServerTls {
  ca?: string;
  cert: string;
  key: string;
  verify: boolean;
}

/** The https server options of `tls`: its certificate, and client certificates required with `verify`. */
export function httpsOptions(tls: ServerTls): https.ServerOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca ? { ca: tls.ca } : {}),
    requestCert: tls.verify,
    rejectUnauthorized: tls.verify,
  };
}

function statusOf(err: unknown): number {
  if (err instanceof ApiError) return err.status;
  if (err instanceof SwarmError) return err.status;
  if (err instanceof CreateBodyError) return 400;
  if (err instanceof PlacementError) return 500;
  if (err instanceof NameConflictError) return 409;
  if (err instanceof DockerUnavailableError) return 502;
  return 500;
}

/** A replica answers /_ping and /info itself and proxies everything else to the primary. */
function isReplicaRequest(api: ApiOptions, path: string): boolean {
  return api.role().role === 'replica' && path !== '/_ping' && path !== '/info';
}

export function handler(api: ApiOptions) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    let route = 'unmatched';
    const metrics = api.metrics;
    if (metrics) {
      res.once('finish', () => {
        metrics.requests.inc({ route, status: String(res.statusCode) });
        if (route === 'POST /containers/create' && res.statusCode === 201) metrics.containersCreated.inc();
      });
    }
    try {
      const url = new URL(req.url ?? '/', 'http://manager');
      const { prefix, path } = splitVersion(url.pathname);
      const method = req.method ?? 'GET';
      if (isReplicaRequest(api, path)) {
        route = 'proxied to primary';
        const primary = api.primaryClient?.();
        if (!primary) throw new ApiError(503, 'this manager is a replica and no primary is elected yet');
        await forward(primary, req, res, `${url.pathname}${url.search}`);
        return;
      }
      const m = match(method, path);
      if (!m) {
        const status = UNSUPPORTED.test(path) ? 501 : 404;
        req.resume();
        return sendError(
          res,
          status,
          `shoal manage: ${method} ${path} is not supported${status === 501 ? ' by a cluster manager' : ''}`,
        );
      }
      route = routeLabel(method, path, m.params);
      await m.route.handle({ req, res, params: m.params, url, versionPrefix: prefix, api });
    } catch (err) {
      const status = statusOf(err);
      if (err instanceof PlacementError) api.metrics?.placementFailures.inc();
      if (status === 500 && !(err instanceof PlacementError) && !(err instanceof SwarmError))
        api.log.error({ err: errorMessage(err), url: req.url }, 'request failed');
      if (res.headersSent) res.destroy();
      else sendError(res, status, errorMessage(err));
    }
  };
}

export function upgradeHandler(api: ApiOptions) {
  return async (req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const refuse = (status: number, message: string) => {
      const body = JSON.stringify({ message });
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    socket.on('error', () => socket.destroy());
    try {
      const url = new URL(req.url ?? '/', 'http://manager');
      const { prefix, path } = splitVersion(url.pathname);
      if (isReplicaRequest(api, path)) {
        const primary = api.primaryClient?.();
        if (!primary) return refuse(503, 'this manager is a replica and no primary is elected yet');
        return hijack(primary, req, socket, head, `${url.pathname}${url.search}`);
      }
      const m = match(req.method ?? 'GET', path);
      if (!m?.route.hijack) return refuse(404, `shoal manage: ${req.method} ${path} cannot be upgraded`);
      const [ref, rest = ''] = m.params as [string, string?];
      if (m.route.hijack === 'container') {
        const at = await api.cluster.locate(ref);
        if (!at) return refuse(404, `No such container: ${ref}`);
        if (at.node.health === 'unhealthy' && refusedOnUnhealthy(req.method ?? 'GET', rest))
          return refuse(500, unhealthyNodeMessage(decodeURIComponent(ref), at.node.name || at.node.addr));
        return hijack(at.node.client, req, socket, head, `${prefix}/containers/${at.id}${rest}${url.search}`);
      }
      const node = await api.cluster.locateExec(ref);
      if (!node) return refuse(404, `No such exec instance: ${ref}`);
      return hijack(node.client, req, socket, head, `${prefix}/exec/${ref}${rest}${url.search}`);
    } catch (err) {
      refuse(500, errorMessage(err));
    }
  };
}

export interface Listening {
  addresses: string[];
  close(): Promise<void>;
}

export async function listen(hosts: readonly ListenAddress[], api: ApiOptions, tls?: ServerTls): Promise<Listening> {
  const servers: http.Server[] = [];
  const addresses: string[] = [];
  for (const h of hosts) {
    const server = tls ? https.createServer({ allowHalfOpen: true, ...httpsOptions(tls) }) : http.createServer();
    server.on('request', (req, res) => void handler(api)(req, res));
    server.on('upgrade', (req, socket, head) => void upgradeHandler(api)(req, socket, head));
    server.on('clientError', (_err, socket) => socket.destroy());
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (h.kind === 'unix') {
        if (existsSync(h.path)) unlinkSync(h.path);
        server.listen(h.path, () => resolve());
      } else server.listen(h.port, h.host, () => resolve());
    });
    const a = server.address();
    addresses.push(typeof a === 'string' ? `unix://${a}` : `${tls ? 'https' : 'tcp'}://${a?.address}:${a?.port}`);
    servers.push(server);
  }
  return {
    addresses,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.close(() => r());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
