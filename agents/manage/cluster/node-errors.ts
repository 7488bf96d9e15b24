/** The typed errors of an engine node's checks and refresh loop. */
import { ShoalError } from '../../common/errors.js';
import type { Health } from '../scheduler/node.js';

export class EngineRefusedError extends ShoalError {
  constructor(addr: string, why: string) {
    super('SHOAL_MANAGE_ENGINE_REFUSED', `engine ${addr} refused: ${why}`, { recoverable: true });
  }
}

/** The refresh loop's signal to back off: the node is pending or unhealthy after a refresh. */
export class NotHealthyError extends ShoalError {
  constructor(addr: string, health: Health, why: string) {
    super('SHOAL_MANAGE_ENGINE_NOT_HEALTHY', `engine ${addr} is ${health}: ${why}`, { recoverable: true });
  }
}
