/** Host/port parsing shared by every agent. Pure functions; they throw Error with the expectation. */

export interface HostPort {
  host: string;
  port: number;
}

export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new Error('expected a port number 1-65535');
  const port = Number(text);
  if (port < 1 || port > 65535) throw new Error('expected a port number 1-65535');
  return port;
}

/** `host:port`, `[v6]:port`. With `defaultPort`, a bare host is accepted too. */
export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const t = text.trim();
  const v6 = /^\[([0-9a-fA-F:.%a-zA-Z]+)\](?::(\d+))?$/.exec(t);
  if (v6) {
    const portText = v6[2];
    if (portText === undefined) {
      if (defaultPort === undefined) throw new Error('expected HOST:PORT');
      return { host: v6[1] as string, port: defaultPort };
    }
    return { host: v6[1] as string, port: parsePort(portText) };
  }
  const idx = t.lastIndexOf(':');
  if (idx < 0) {
    if (defaultPort === undefined || !isHostname(t)) throw new Error('expected HOST:PORT');
    return { host: t, port: defaultPort };
  }
  const host = t.slice(0, idx);
  const portText = t.slice(idx + 1);
  if (!isHostname(host)) throw new Error('expected HOST:PORT');
  try {
    return { host, port: parsePort(portText) };
  } catch {
    throw new Error('expected HOST:PORT');
  }
}

export function isHostname(host: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252})$/.test(host);
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** A Docker-style listen address: `tcp://H:P`, `H:P`, `:P`, `unix:///path`, `/path.sock`. */
export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export function parseListenAddress(text: string, defaultPort = 2375): ListenAddress {
  const t = text.trim();
  if (t.startsWith('unix://')) {
    const path = t.slice('unix://'.length);
    if (!path.startsWith('/')) throw new Error('expected unix:///absolute/path');
    return { kind: 'unix', path };
  }
  if (t.startsWith('/')) return { kind: 'unix', path: t };
  let rest = t;
  if (rest.startsWith('tcp://')) rest = rest.slice('tcp://'.length);
  else if (/^[a-z]+:\/\//.test(rest)) throw new Error('expected tcp://HOST:PORT or unix:///path');
  if (rest.startsWith(':')) rest = `0.0.0.0${rest}`;
  const hp = parseHostPort(rest, defaultPort);
  return { kind: 'tcp', host: hp.host, port: hp.port };
}
