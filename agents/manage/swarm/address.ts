/** Where joins reach this manager (`ManagerStatus.Addr`, the address `docker swarm join-token` prints). Pure. */
import type { EngineFacts } from './nodes.js';

const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

function splitHostPort(a: string): { host: string; port: string | undefined } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(a);
  if (v6) return { host: `[${v6[1]}]`, port: v6[2] };
  const m = /^([^:]*)(?::(\d+))?$/.exec(a);
  return m ? { host: m[1] as string, port: m[2] } : { host: a, port: undefined };
}

/**
 * With replication, the `--advertise` address. Otherwise init's `AdvertiseAddr` (given a port, as it is;
 * without, with the API's listening port), else the listening address unless it is a wildcard. Undefined:
 * no usable address (Docker's "could not find the system's IP address").
 */
export function joinAddress(
  advertise: string,
  replicationAdvertise: string | undefined,
  listening: readonly string[],
): string | undefined {
  if (replicationAdvertise) return replicationAdvertise;
  const tcp = listening.map((a) => /^(?:tcp|https):\/\/(.+)$/.exec(a)?.[1]).find((a) => a !== undefined);
  const listen = tcp ? splitHostPort(tcp) : undefined;
  if (advertise !== '') {
    const a = splitHostPort(advertise);
    if (a.port) return advertise;
    return listen?.port ? `${a.host}:${listen.port}` : undefined;
  }
  if (!listen || WILDCARD.has(listen.host) || !listen.port) return undefined;
  return `${listen.host}:${listen.port}`;
}

export function hostOf(addr: string): string {
  return splitHostPort(addr).host;
}

/**
 * Which engine the initialising manager stands for: one on the join address's host when there is one, a
 * healthy one before others, then the lowest address. Pure.
 */
export function pickSelfEngine(engines: readonly EngineFacts[], joinAddr: string): EngineFacts | undefined {
  const host = hostOf(joinAddr);
  const rank = (e: EngineFacts) => (hostOf(e.addr) === host ? 0 : 2) + (e.health === 'healthy' ? 0 : 1);
  return [...engines].sort((a, b) => rank(a) - rank(b) || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0))[0];
}
