/**
 * Helpers of `shoal up`'s steps that talk to what they started: the local engine (--engines 0, reached
 * through a loopback forwarder when it has no TCP address), the manager's node count, a child that must keep
 * running.
 */
import net from 'node:net';
import { sleep } from '../common/backoff.js';
import { startChild } from './children.js';
import { dockerPing, httpGet, waitUntil, withEngine } from './probe.js';
import { isAlive, logTail, type ProcRecord } from './proc.js';
import type { EngineRef } from './state.js';
import { parseSystemStatus } from './status.js';
import type { UpOptions } from './types.js';

/** A child that is still running after `ms` (agents that exit at once, e.g. on bad config, fail here). */
export async function stillRunning(p: ProcRecord, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isAlive(p)) throw new Error(`exited:\n${logTail(p.log)}`);
    await sleep(200);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.once('error', reject);
  });
}

/** Nodes the manager reports Healthy. */
export async function managerNodes(listen: string): Promise<number> {
  const r = await httpGet(`http://${listen}/info`);
  const info = JSON.parse(r.body) as { SystemStatus?: [string, string][] };
  return parseSystemStatus(info.SystemStatus ?? []).filter((n) => n.status === 'Healthy').length;
}

type LocalOpts = Pick<UpOptions, 'dockerHost' | 'engineAddr'>;

export async function localEngine(
  opts: LocalOpts,
  logs: string,
  env: NodeJS.ProcessEnv,
  record: (p: ProcRecord) => void,
): Promise<EngineRef> {
  const host = opts.dockerHost;
  if (!(await dockerPing(host))) {
    throw new Error(`no Docker engine answers at ${host}: start docker, give --docker-host, or use --engines N`);
  }
  const info = await withEngine(host, (engine) => engine.info());
  let addr = opts.engineAddr ?? (host.startsWith('tcp://') ? host.slice(6) : undefined);
  if (!addr) {
    // a unix-only engine: a loopback forwarder gives the manager a HOST:PORT to dial
    const listen = `127.0.0.1:${await freePort()}`;
    const args = ['up-forward', listen, host.slice('unix://'.length)];
    const p = startChild({ name: 'engine-forward', role: 'forward', args }, logs, env);
    record(p);
    const abort = () => (isAlive(p) ? undefined : `exited:\n${logTail(p.log)}`);
    await waitUntil(`forwarder on ${listen}`, () => dockerPing(`tcp://${listen}`), { timeoutMs: 30_000, abort });
    addr = listen;
  }
  const labels: Record<string, string> = {};
  for (const l of info.Labels ?? []) {
    const i = l.indexOf('=');
    if (i > 0) labels[l.slice(0, i)] = l.slice(i + 1);
  }
  const ip = addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return { n: 0, name: info.Name ?? '', dockerHost: host, addr, ip, labels, started: false };
}
