import { StoreUnavailableError } from '../common/errors.js';

/** Socket error codes that mean the host could not be reached (or dropped us): another host may answer. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** A StoreUnavailableError when the socket error `code` is one of `codes`; undefined otherwise. */
export function unreachableError(
  code: string | undefined,
  msg: string,
  cause: unknown,
  codes: ReadonlySet<string> = NETWORK_CODES,
): StoreUnavailableError | undefined {
  return code !== undefined && codes.has(code) ? new StoreUnavailableError(msg, cause) : undefined;
}
