/**
 * The unit tier's proof that its files need no server: every listening socket this process opens is recorded,
 * and a connection that reaches anything else (a harness store, an engine, a developer's Consul) is recorded
 * as a violation against the file that was running. A connection refused by a closed port is not one: only a
 * server that answered is. The harness refuses to start servers in this tier (SHOAL_TEST_UNIT=1, proc.ts).
 */
import net from 'node:net';

const listening = new Set<string>();
const violations: { file: string; what: string }[] = [];
let currentFile = '(no file)';

/** `port:N` for TCP, `path:P` for a unix socket. */
function endpoint(addr: string | net.AddressInfo | null): string | undefined {
  if (addr === null) return undefined;
  return typeof addr === 'string' ? `path:${addr}` : `port:${addr.port}`;
}

/** Where a `socket.connect(...)` call goes, from its arguments (options object, port[, host], or path). */
export function connectTarget(args: unknown[]): { key: string; text: string } | undefined {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first !== null && typeof first === 'object') {
    const o = first as { port?: number | string; host?: string; path?: string };
    // as net does: an empty path is no path (https.get passes one through)
    if (typeof o.path === 'string' && o.path !== '') return { key: `path:${o.path}`, text: o.path };
    if (o.port !== undefined) return { key: `port:${Number(o.port)}`, text: `${o.host ?? 'localhost'}:${o.port}` };
    return undefined;
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    return { key: `port:${Number(first)}`, text: `${host}:${first}` };
  }
  if (typeof first === 'string') return { key: `path:${first}`, text: first };
  return undefined;
}

export function installGuard(): void {
  process.env.SHOAL_TEST_UNIT = '1';
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    this.once('listening', () => {
      const key = endpoint(this.address());
      if (key) listening.add(key);
    });
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const target = connectTarget(args);
    const file = currentFile;
    if (target && !listening.has(target.key)) {
      this.once('connect', () => {
        if (!listening.has(target.key)) violations.push({ file, what: target.text });
      });
    }
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
}

export function setCurrentFile(file: string): void {
  currentFile = file;
}

/** The servers `file` reached that this process did not start, once each. */
export function violationsOf(file: string): string[] {
  return [...new Set(violations.filter((v) => v.file === file).map((v) => v.what))];
}
