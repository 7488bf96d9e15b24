/**
 * Typed errors. Every error shoal raises on purpose has a stable `code` and a `recoverable` flag:
 * retry loops check `recoverable`, never the message text. The CLI maps `exitCode` to the process exit.
 */
export class ShoalError extends Error {
  readonly code: string;
  readonly recoverable: boolean;
  readonly exitCode: number;
  constructor(code: string, message: string, opts: { recoverable?: boolean; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.recoverable = opts.recoverable ?? false;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** Bad user input (flags, env, config file). Exit code 2, one line, no stack. */
export class ConfigError extends ShoalError {
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super('SHOAL_CONFIG_INVALID', message, { exitCode: 2 });
    this.field = field;
  }
}

/** The store could not be reached or did not answer in time: retry with backoff. */
export class StoreUnavailableError extends ShoalError {
  constructor(message: string, cause?: unknown) {
    super('SHOAL_STORE_UNAVAILABLE', message, { recoverable: true, cause });
  }
}

export class StoreTimeoutError extends ShoalError {
  constructor(message: string, cause?: unknown) {
    super('SHOAL_STORE_TIMEOUT', message, { recoverable: true, cause });
  }
}

/** The store refused us (ACL, bad credentials, TLS): retrying will not help until an operator acts. */
export class StoreAuthError extends ShoalError {
  constructor(message: string, cause?: unknown) {
    super('SHOAL_STORE_AUTH', message, { recoverable: false, cause });
  }
}

/** A key that cannot be stored safely (escapes the prefix, empty segment, `..`). */
export class StoreKeyError extends ShoalError {
  constructor(message: string) {
    super('SHOAL_STORE_KEY', message);
  }
}

/** Any other store failure we did not classify; treated as recoverable, since most are. */
export class StoreError extends ShoalError {
  constructor(message: string, cause?: unknown, recoverable = true) {
    super('SHOAL_STORE_ERROR', message, { recoverable, cause });
  }
}

/** The operation was cancelled by its AbortSignal (shutdown). */
export class AbortedError extends ShoalError {
  constructor(message = 'aborted') {
    super('SHOAL_ABORTED', message);
  }
}

/**
 * An agent's start failed in a way that retrying cannot fix (a refused token or password, a TLS setup the
 * store rejects, a request the service refuses): one line naming the agent and the target, exit code 2.
 * Anything else is returned unchanged. `target` must not carry credentials (store URIs never do).
 */
export function startFailure(agent: string, target: string, err: unknown): unknown {
  if (!(err instanceof ShoalError) || err.recoverable || err instanceof AbortedError || err.exitCode === 2) return err;
  const why = err instanceof StoreAuthError ? 'store refused the credentials' : 'cannot start';
  return new ShoalError(err.code, `shoal ${agent}: ${why} (${target}): ${err.message}`, { exitCode: 2, cause: err });
}

/** `startFailure` as a `.catch` handler for one start step. */
export function rethrowAtStart(agent: string, target: string): (err: unknown) => never {
  return (err) => {
    throw startFailure(agent, target, err);
  };
}

export function isRecoverable(err: unknown): boolean {
  return err instanceof ShoalError ? err.recoverable : false;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
