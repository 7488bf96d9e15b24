/** Typed errors of the services core. */
import { ShoalError } from '../../common/errors.js';

/**
 * A ServiceSpec field that cannot be accepted. `status` is the HTTP status the API answers (400); the message
 * names the field by its JSON path: `invalid spec: TaskTemplate.Placement.Constraints[0]: ...`.
 */
export class SpecError extends ShoalError {
  readonly status = 400;
  readonly field: string;
  readonly reason: string;
  constructor(field: string, reason: string) {
    super('SHOAL_SERVICE_SPEC', `invalid spec: ${field === '' ? '' : `${field}: `}${reason}`);
    this.field = field;
    this.reason = reason;
  }
}
