/**
 * What the manager says when it cannot reach an engine, and when a container's node is unhealthy, in classic
 * Swarm's words: a refused connection or a call without answer is the Docker client's `Cannot connect to the
 * Docker daemon at tcp://ADDR. Is the docker daemon running?`; anything else keeps shoal's own message. Pure.
 */
import { errorMessage } from '../../common/errors.js';
import { DockerUnavailableError } from '../../docker/errors.js';

export function cannotConnect(addr: string): string {
  return `Cannot connect to the Docker daemon at tcp://${addr}. Is the docker daemon running?`;
}

/** Node's network error codes the Docker client reports as "Cannot connect". */
const CANNOT_CONNECT = new Set(['ECONNREFUSED', 'ETIMEDOUT']);

/**
 * A refused connection or a deadline passed without an answer (the Docker client's connection failure):
 * a DockerUnavailableError of either kind, or the network error itself (a request passed through).
 */
export function isCannotConnect(err: unknown): boolean {
  const e = (err instanceof DockerUnavailableError ? err.cause : err) as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === 'string' && CANNOT_CONNECT.has(e.code)) return true;
  return typeof e?.message === 'string' && /^no (answer|connection) within /.test(e.message);
}

/** The message for an engine failure: classic Swarm's for a connection failure, else the error's own. */
export function engineFailure(addr: string, err: unknown): string {
  return isCannotConnect(err) ? cannotConnect(addr) : errorMessage(err);
}

/**
 * Classic Swarm answers an operation on a container whose node is unhealthy at once, without trying the
 * engine, but for start and remove, which it tries (and which then fail to connect).
 */
export function refusedOnUnhealthy(method: string, op: string): boolean {
  return method !== 'DELETE' && !(method === 'POST' && op === '/start');
}

/** Classic Swarm's answer (HTTP 500) to an operation on a container whose node is unhealthy. */
export function unhealthyNodeMessage(ref: string, nodeName: string): string {
  return `Container ${ref} running on unhealthy node ${nodeName}`;
}
