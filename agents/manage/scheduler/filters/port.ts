import type { HostPort, NodeSnapshot } from '../node.js';
import { keep, type Filter } from './filter.js';

const ANY = new Set(['', '0.0.0.0', '::']);

/** Two bindings clash when protocol and port agree and either listens on every address or both on the same one. */
export function clash(a: HostPort, b: HostPort): boolean {
  return (
    a.hostPort === b.hostPort &&
    a.proto === b.proto &&
    (ANY.has(a.hostIp) || ANY.has(b.hostIp) || a.hostIp === b.hostIp)
  );
}

function free(node: NodeSnapshot, want: HostPort): boolean {
  return !node.containers.some((c) => c.ports.some((held) => clash(held, want)));
}

/** No two containers on one node bind the same host IP/port (stopped, pending and host-network ones included). */
export const port: Filter = {
  name: 'port',
  conditions: (req) =>
    req.ports.map((p) =>
      req.hostNetwork ? `port ${p.hostPort}/${p.proto} (Host mode)` : `port ${p.hostPort} (Bridge mode)`,
    ),
  apply(req, nodes) {
    let out = [...nodes];
    for (const want of req.ports) {
      out = out.filter((n) => free(n, want));
      if (out.length === 0) {
        const ip = want.hostIp === '' ? '' : `${want.hostIp}:`;
        return {
          ok: false,
          reason: `port ${ip}${want.hostPort}/${want.proto} (${req.hostNetwork ? 'Host' : 'Bridge'} mode) is taken on every node`,
        };
      }
    }
    return { ok: true, nodes: out };
  },
};
