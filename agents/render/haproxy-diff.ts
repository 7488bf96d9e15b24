/**
 * Old rendered HAProxy config -> new one: can the change be applied through the runtime API (servers added,
 * removed or re-addressed inside backends that exist in both), or does it change the shape (anything else:
 * a backend, a frontend rule, a global setting) and need a reload? Pure; works on the rendered text, so the
 * file on disk and what is applied live are the same lines by construction.
 */

export interface ServerLine {
  /** `ip:port` or `[v6]:port`, as written. */
  addr: string;
  /** Everything after the address (`check inter 2s ...`), single-spaced. */
  args: string;
}

export interface ParsedConfig {
  /** Every meaningful line that is not a backend's `server` line, in order (comments and blanks dropped). */
  shape: string;
  /** backend -> server name -> line. */
  backends: Map<string, Map<string, ServerLine>>;
  /** Path of the first `stats socket ... level admin` of `global`, when there is one. */
  adminSocket: string | undefined;
}

export type RuntimeOp =
  | { op: 'add'; backend: string; server: string; addr: string; args: string }
  | { op: 'del'; backend: string; server: string }
  | { op: 'addr'; backend: string; server: string; addr: string };

export type Plan = { kind: 'same' } | { kind: 'shape'; why: string } | { kind: 'servers'; ops: RuntimeOp[] };

function stripComment(line: string): string {
  const i = line.indexOf('#');
  return (i < 0 ? line : line.slice(0, i)).trim().replace(/\s+/g, ' ');
}

export function parseHaproxyConfig(text: string): ParsedConfig {
  const shape: string[] = [];
  const backends = new Map<string, Map<string, ServerLine>>();
  let section = '';
  let backend: Map<string, ServerLine> | undefined;
  let adminSocket: string | undefined;
  for (const raw of text.split('\n')) {
    const line = stripComment(raw);
    if (line === '') continue;
    const words = line.split(' ');
    if (!/^\s/.test(raw)) {
      section = words[0] ?? '';
      backend = undefined;
      if (section === 'backend' && words[1] !== undefined) {
        backend = new Map();
        backends.set(words[1], backend);
      }
    } else if (backend && words[0] === 'server' && words.length >= 3) {
      backend.set(words[1] as string, { addr: words[2] as string, args: words.slice(3).join(' ') });
      continue;
    } else if (section === 'global' && words[0] === 'stats' && words[1] === 'socket' && adminSocket === undefined) {
      const level = words.indexOf('level');
      if (level > 0 && words[level + 1] === 'admin') adminSocket = words[2];
    }
    shape.push(line);
  }
  return { shape: shape.join('\n'), backends, adminSocket };
}

/** The runtime operations from `old` to `next`: adds first, then address changes, then removals. */
export function planRuntime(old: ParsedConfig, next: ParsedConfig): Plan {
  if (old.shape !== next.shape) return { kind: 'shape', why: 'frontends, backends or settings changed' };
  const adds: RuntimeOp[] = [];
  const addrs: RuntimeOp[] = [];
  const dels: RuntimeOp[] = [];
  for (const [backend, servers] of next.backends) {
    const before = old.backends.get(backend) ?? new Map<string, ServerLine>();
    for (const [server, line] of servers) {
      const was = before.get(server);
      if (was === undefined) adds.push({ op: 'add', backend, server, addr: line.addr, args: line.args });
      else if (was.args !== line.args) return { kind: 'shape', why: `server ${backend}/${server} changed settings` };
      else if (was.addr !== line.addr) addrs.push({ op: 'addr', backend, server, addr: line.addr });
    }
    for (const server of before.keys()) if (!servers.has(server)) dels.push({ op: 'del', backend, server });
  }
  const ops = [...adds, ...addrs, ...dels];
  return ops.length === 0 ? { kind: 'same' } : { kind: 'servers', ops };
}

/** `ip:port` / `[v6]:port` -> the `set server ... addr IP port N` arguments. */
export function splitAddr(addr: string): { ip: string; port: string } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:]+):(\d+)$/.exec(addr);
  return m ? { ip: m[1] as string, port: m[2] as string } : undefined;
}

/** Whether a server line asks for health checks (then `enable health` after `add server`). */
export function hasCheck(args: string): boolean {
  return args.split(' ').includes('check');
}
