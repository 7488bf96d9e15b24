/** etcd3 client failures as typed store errors: what to retry, what is an auth problem, what is final. */
import {
  EtcdAuthenticationFailedError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  EtcdRoleNotGrantedError,
  GRPCDeadlineExceededError,
  GRPCInvalidArgumentError,
  GRPCUnauthenticatedError,
  ClientClosedError,
  isRecoverableError,
} from 'etcd3';
import {
  ShoalError,
  StoreAuthError,
  StoreError,
  StoreTimeoutError,
  StoreUnavailableError,
  errorMessage,
} from '../common/errors.js';

/** Map any failure of the etcd3 client to a typed store error. */
export function etcdError(err: unknown, what: string): ShoalError {
  if (err instanceof ShoalError) return err;
  const msg = `etcd ${what}: ${errorMessage(err)}`;
  if (err instanceof GRPCDeadlineExceededError) return new StoreTimeoutError(msg, err);
  if (
    err instanceof EtcdAuthenticationFailedError ||
    err instanceof EtcdInvalidAuthTokenError ||
    err instanceof EtcdPermissionDeniedError ||
    err instanceof EtcdRoleNotGrantedError ||
    err instanceof GRPCUnauthenticatedError
  )
    return new StoreAuthError(msg, err);
  // etcd3 has no class for ErrUserEmpty (auth enabled, no credentials given): it arrives as INVALID_ARGUMENT
  if (err instanceof GRPCInvalidArgumentError && /user name is empty/.test(err.message))
    return new StoreAuthError(`${msg} (credentials required)`, err);
  if (err instanceof ClientClosedError || err instanceof GRPCInvalidArgumentError)
    return new StoreError(msg, err, false);
  if (err instanceof Error && isRecoverableError(err)) return new StoreUnavailableError(msg, err);
  return new StoreError(msg, err);
}
