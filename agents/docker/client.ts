/**
 * How to reach a Docker engine, from a DOCKER_HOST-style URL: `unix:///path`, `/path.sock`, `tcp://H:P`
 * (TLS when DOCKER_TLS_VERIFY is set or DOCKER_CERT_PATH names a directory with ca/cert/key.pem).
 * Pure apart from reading the certificate files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseListenAddress } from '../common/address.js';
import { ConfigError } from '../common/errors.js';

export interface DockerEndpoint {
  /** For logs: the URL as given. */
  url: string;
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  ca?: string;
  cert?: string;
  key?: string;
}

export function dockerEndpoint(url: string, env: NodeJS.ProcessEnv = process.env, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): DockerEndpoint {
  let addr;
  try {
    addr = parseListenAddress(url, 2375);
  } catch (err) {
    throw new ConfigError(`invalid Docker host ${JSON.stringify(url)}: ${(err as Error).message}`, 'dockerHost');
  }
  if (addr.kind === 'unix') return { url, socketPath: addr.path };
  const tlsVerify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  const certPath = env.DOCKER_CERT_PATH;
  if (!tlsVerify && !certPath) return { url, host: addr.host, port: addr.port, protocol: 'http' };
  const dir = certPath ?? path.join(env.HOME ?? '', '.docker');
  try {
    return {
      url,
      host: addr.host,
      port: addr.port,
      protocol: 'https',
      ca: read(path.join(dir, 'ca.pem')),
      cert: read(path.join(dir, 'cert.pem')),
      key: read(path.join(dir, 'key.pem')),
    };
  } catch (err) {
    throw new ConfigError(`cannot read Docker TLS files in ${dir}: ${(err as Error).message}`, 'dockerHost');
  }
}

/** `tcp://10.0.0.1:2375` -> `10.0.0.1`; undefined for unix sockets and wildcard hosts. */
export function endpointHostIp(ep: DockerEndpoint): string | undefined {
  if (ep.host === undefined || ep.host === '0.0.0.0' || ep.host === '::') return undefined;
  return /^[0-9.]+$/.test(ep.host) || ep.host.includes(':') ? ep.host : undefined;
}
