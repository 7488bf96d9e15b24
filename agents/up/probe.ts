/** Small readiness probes (HTTP over TCP or a unix socket, TCP connect, a Docker engine) and a poll loop. */
import http from 'node:http';
import net from 'node:net';
import { DockerClient } from '../docker/client.js';

export function httpGet(
  url: string,
  opts: { socketPath?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.get(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        timeout: opts.timeoutMs ?? 2000,
        headers: opts.headers ?? {},
        ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
  });
}

/**
 * One use of a client for `unix:///path` or `tcp://host:port`, closed after. Plain HTTP: `shoal up` talks to
 * engines and a manager it started or was pointed at, never through DOCKER_TLS_VERIFY.
 */
export async function withEngine<T>(dockerHost: string, use: (engine: DockerClient) => Promise<T>): Promise<T> {
  const engine = DockerClient.forHost(dockerHost, { env: {}, timeoutMs: 2000 });
  try {
    return await use(engine);
  } finally {
    engine.close();
  }
}

/** Does a Docker engine (or a manager) answer `OK` to /_ping? */
export async function dockerPing(dockerHost: string): Promise<boolean> {
  return withEngine(dockerHost, (engine) => engine.ping()).then(
    () => true,
    () => false,
  );
}

export function tcpOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export class WaitTimeout extends Error {}

/** Poll `check` until true; `abort` (e.g. "the child exited") stops early with its message. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; abort?: () => string | undefined; intervalMs?: number },
): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return;
    const why = opts.abort?.();
    if (why) throw new WaitTimeout(`${what}: ${why}`);
    if (Date.now() - start > opts.timeoutMs)
      throw new WaitTimeout(`${what}: not ready after ${Math.round(opts.timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}
