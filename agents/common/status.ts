/**
 * `--status-addr` for every daemon: GET /healthz answers the agent's health as JSON (200 when `ok`, else
 * 503), GET /metrics serves the agent's own prom-client registry, anything else 404.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { parseHostPort } from './address.js';

/** What /healthz reports: `ok` plus whatever details the agent adds. */
export interface Health {
  ok: boolean;
}

export interface StatusServer {
  /** `host:port` actually bound (port 0 picks a free one). */
  address: string;
  close(): Promise<void>;
}

export async function startStatusServer<H extends Health>(
  addr: string,
  health: () => H,
  registry: Registry,
): Promise<StatusServer> {
  const full = addr.startsWith(':') ? `0.0.0.0${addr}` : addr;
  // port 0 (pick a free one) is fine here, though not a valid port elsewhere
  const hp = full.endsWith(':0')
    ? { host: parseHostPort(`${full.slice(0, -2)}:1`).host, port: 0 }
    : parseHostPort(full);
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (url === '/healthz') {
      let h: Health;
      try {
        h = health();
      } catch (err) {
        h = { ok: false, error: String(err) } as Health;
      }
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(h)}\n`);
      return;
    }
    if (url === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(hp.port, hp.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    address: a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
