/** Typed render errors (stable codes). Template errors live in template.ts. */
import { ShoalError } from '../common/errors.js';

/** The proxy rejected the staged config; `output` is its own message. The live file was not touched. */
export class CheckFailedError extends ShoalError {
  constructor(
    readonly destination: string,
    readonly output: string,
  ) {
    super(
      'SHOAL_RENDER_CHECK_FAILED',
      `check of the new ${destination} failed: ${output.trim().split('\n').slice(-6).join(' | ')}`,
    );
  }
}

/** The reload command failed or timed out; retried with backoff. */
export class ReloadFailedError extends ShoalError {
  constructor(
    readonly destination: string,
    readonly output: string,
  ) {
    super(
      'SHOAL_RENDER_RELOAD_FAILED',
      `reload after ${destination} failed: ${output.trim().split('\n').slice(-6).join(' | ')}`,
      { recoverable: true },
    );
  }
}

/** Writing the staged file or the swap failed (disk full, permissions). */
export class WriteError extends ShoalError {
  constructor(destination: string, cause: unknown) {
    super('SHOAL_RENDER_WRITE_FAILED', `could not write ${destination}: ${(cause as Error).message ?? String(cause)}`, {
      cause,
      recoverable: true,
    });
  }
}

/** A command on HAProxy's admin socket failed or was refused: the change falls back to a reload. */
export class RuntimeApiError extends ShoalError {
  constructor(
    readonly command: string,
    readonly output: string,
    cause?: unknown,
  ) {
    super('SHOAL_RENDER_RUNTIME_API', `runtime API: \`${command}\` failed: ${output.trim().slice(0, 300)}`, {
      cause,
      recoverable: true,
    });
  }
}
