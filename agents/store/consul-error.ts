/** consul client failures as typed store errors, and what Consul's refusals say. */
import {
  AbortedError,
  ShoalError,
  StoreAuthError,
  StoreError,
  StoreTimeoutError,
  errorMessage,
} from '../common/errors.js';
import { parseDuration } from '../common/duration.js';
import { unreachableError } from './net-codes.js';

/** Certificate and handshake failures: retrying will not help until an operator fixes the TLS setup. */
const TLS_CODES = /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_)/;
/** Map any failure of the consul client to a typed store error. */
export function consulError(err: unknown, what: string): ShoalError {
  if (err instanceof ShoalError) return err;
  const e = err as { isTimeout?: boolean; isAbort?: boolean; code?: string; response?: { statusCode?: number } };
  const msg = `consul ${what}: ${errorMessage(err)}`;
  if (e.isAbort) return new AbortedError(msg);
  if (e.isTimeout) return new StoreTimeoutError(msg, err);
  const status = e.response?.statusCode;
  if (status === 401 || status === 403) return new StoreAuthError(`${msg} (check the ACL token)`, err);
  if (status !== undefined) return new StoreError(`${msg} (HTTP ${status})`, err, status >= 500 || status === 429);
  const down = unreachableError(e.code, msg, err);
  if (down) return down;
  if (e.code && TLS_CODES.test(e.code))
    return new StoreAuthError(`${msg} (TLS: check the CA, certificate and key)`, err);
  return new StoreError(msg, err);
}

/** The HTTP status behind a typed error, if the server answered at all. */
export function statusOf(err: unknown): number | undefined {
  return (err as { cause?: { response?: { statusCode?: number } } }).cause?.response?.statusCode;
}

/** Consul's refusal of a session TTL names its bounds: `Invalid Session TTL '7500000000', must be between [10s=24h0m0s]`. Pure. */
export function sessionTtlBounds(message: string): { minMs: number; maxMs: number } | undefined {
  const m = /Invalid Session TTL .*must be between \[([0-9a-z.]+)=([0-9a-z.]+)\]/.exec(message);
  if (!m) return undefined;
  try {
    return { minMs: parseDuration(m[1] as string), maxMs: parseDuration(m[2] as string) };
  } catch {
    return undefined;
  }
}
