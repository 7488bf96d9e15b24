/**
 * Where a Docker engine is and how to reach it: a unix socket, or HOST:PORT over plain TCP or TLS. Built from
 * a DOCKER_HOST-style URL (`unix:///path`, `/path.sock`, `tcp://H:P`; TLS when DOCKER_TLS_VERIFY is set or
 * DOCKER_CERT_PATH names a directory with ca/cert/key.pem), or from a discovered `HOST:PORT` and the
 * manager's certificates. Pure apart from reading the certificate files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseListenAddress } from '../common/address.js';
import { ConfigError } from '../common/errors.js';

export interface EngineTls {
  ca: string;
  cert: string;
  key: string;
}

export interface DockerEndpoint {
  /** For logs and error messages: the URL or address as given. */
  url: string;
  socketPath?: string;
  host?: string;
  port?: number;
  /** Present: HTTPS with these files. */
  tls?: EngineTls;
}

type ReadFile = (p: string) => string;

const readUtf8: ReadFile = (p) => readFileSync(p, 'utf8');

export function dockerEndpoint(url: string, env: NodeJS.ProcessEnv = process.env, read = readUtf8): DockerEndpoint {
  let addr;
  try {
    addr = parseListenAddress(url, 2375);
  } catch (err) {
    throw new ConfigError(`invalid Docker host ${JSON.stringify(url)}: ${(err as Error).message}`, 'dockerHost');
  }
  if (addr.kind === 'unix') return { url, socketPath: addr.path };
  const verify = env.DOCKER_TLS_VERIFY;
  const tlsVerify = verify !== undefined && verify !== '' && verify !== '0';
  const certPath = env.DOCKER_CERT_PATH;
  if (!tlsVerify && !certPath) return { url, host: addr.host, port: addr.port };
  const dir = certPath ?? path.join(env.HOME ?? '', '.docker');
  try {
    const file = (name: string) => read(path.join(dir, name));
    const tls = { ca: file('ca.pem'), cert: file('cert.pem'), key: file('key.pem') };
    return { url, host: addr.host, port: addr.port, tls };
  } catch (err) {
    throw new ConfigError(`cannot read Docker TLS files in ${dir}: ${(err as Error).message}`, 'dockerHost');
  }
}

/** A discovered engine, `10.0.0.1:2375` or `[::1]:2375`, over TLS when `tls` is given. */
export function addressEndpoint(addr: string, tls?: EngineTls): DockerEndpoint {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  return { url: addr, host, port: Number(addr.slice(i + 1)), ...(tls ? { tls } : {}) };
}

/** The Host header: `docker` on a unix socket, else HOST:PORT. */
export function hostHeader(ep: DockerEndpoint): string {
  if (ep.socketPath !== undefined) return 'docker';
  return `${ep.host?.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
}

/** `tcp://10.0.0.1:2375` -> `10.0.0.1`; undefined for unix sockets and wildcard hosts. */
export function endpointHostIp(ep: DockerEndpoint): string | undefined {
  if (ep.host === undefined || ep.host === '0.0.0.0' || ep.host === '::') return undefined;
  return /^[0-9.]+$/.test(ep.host) || ep.host.includes(':') ? ep.host : undefined;
}
