/**
 * Swarm-mode errors: each carries the HTTP status and the message the docker CLI expects (the contract's error
 * catalogue, §10). The API shell answers them as they are; none of them is logged as a manager failure.
 */
import { ShoalError } from '../../common/errors.js';

export class SwarmError extends ShoalError {
  readonly status: number;
  constructor(status: number, message: string, code = 'SHOAL_SWARM') {
    super(code, message);
    this.status = status;
  }
}

/** Bad input: 400 naming the field; nothing was written. */
export class SwarmInputError extends SwarmError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(400, `invalid ${field}: ${message}`, 'SHOAL_SWARM_INPUT');
    this.field = field;
  }
}

export const NOT_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
export const ALREADY_IN_SWARM =
  'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.';
export const NOT_IN_SWARM = 'This node is not part of a swarm';
export const LAST_MANAGER_LEAVE =
  'You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message. ';
export const OUT_OF_SEQUENCE = 'rpc error: code = Unknown desc = update out of sequence';
export const DEMOTE_LAST_MANAGER =
  'rpc error: code = FailedPrecondition desc = attempting to demote the last manager of the swarm';

export const notManager = () => new SwarmError(503, NOT_MANAGER, 'SHOAL_SWARM_INACTIVE');
export const outOfSequence = () => new SwarmError(500, OUT_OF_SEQUENCE, 'SHOAL_SWARM_OUT_OF_SEQUENCE');
export const nodeNotFound = (ref: string) => new SwarmError(404, `node ${ref} not found`, 'SHOAL_SWARM_NO_NODE');

/** The store could not be read or written (after retries): the request fails, nothing half-done is claimed. */
export class SwarmStoreError extends SwarmError {
  constructor(what: string, cause: unknown) {
    super(503, `swarm state: ${what}: the store did not answer (${(cause as Error)?.message ?? cause})`);
  }
}

/**
 * The `version` query parameter of an update: a non-negative integer, required (contract §8). A missing or
 * malformed one answers Docker's 400 naming `kind` (`swarm`, `node`).
 */
export function parseVersion(kind: string, raw: string | null): number {
  const v = raw ?? '';
  if (!/^\d{1,15}$/.test(v))
    throw new SwarmInputError(
      'version',
      `invalid ${kind} version '${v}': expected the Version.Index of the ${kind} as last read`,
    );
  return Number(v);
}
