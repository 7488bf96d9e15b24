/**
 * The two ways an Engine API call fails. The engine could not be reached, or the connection broke or timed
 * out: recoverable, try again later. The engine answered with an error status: recoverable only for a 5xx
 * (a 4xx such as a bad request or a missing container will answer the same next time).
 */
import { ShoalError } from '../common/errors.js';

export class DockerUnavailableError extends ShoalError {
  constructor(addr: string, message: string, cause?: unknown) {
    super('SHOAL_DOCKER_UNAVAILABLE', `engine ${addr}: ${message}`, { recoverable: true, cause });
  }
}

/** The message of an error answer: its JSON `message`, else the start of its text. Pure. */
export function answerMessage(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'message' in body) return String(body.message);
  return String(body).trim().slice(0, 200);
}

export class DockerRequestError extends ShoalError {
  readonly status: number;
  readonly body: unknown;
  constructor(addr: string, status: number, body: unknown) {
    super('SHOAL_DOCKER_REQUEST', `engine ${addr}: ${status} ${answerMessage(body)}`, { recoverable: status >= 500 });
    this.status = status;
    this.body = body;
  }
}
