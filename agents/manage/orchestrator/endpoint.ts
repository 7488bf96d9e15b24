/**
 * The edge of a service write, pure: the typed spec of a request body (a bad one is Docker's 400 naming the
 * field) and its endpoint ports with every ingress port assigned against the other services and the stored
 * port claims (a taken one is Docker's 400 naming the port).
 */
import { SpecError } from '../services/errors.js';
import { assignIngress, claimsOf, IngressPortError, portInUse, type IngressClaim } from '../services/ingress.js';
import { parseServiceSpec } from '../services/spec.js';
import type { PortConfig, ServiceSpec } from '../services/types.js';
import { SwarmError } from '../swarm/errors.js';
import type { ClaimClash, PortSlot } from './port-claims.js';
import type { Service } from './records.js';

/** The typed spec of a create or update body; a bad one is a 400 naming the field. */
export function specOf(body: unknown): ServiceSpec {
  try {
    return parseServiceSpec(body);
  } catch (err) {
    if (err instanceof SpecError) throw new SwarmError(400, err.message, 'SHOAL_SERVICE_SPEC');
    throw err;
  }
}

/**
 * The spec's ports with ingress ports assigned against the other services' and the stored port claims (a taken
 * one is a 400).
 */
export function ingressPorts(
  spec: ServiceSpec,
  services: readonly Service[],
  self?: Service,
  stored: readonly IngressClaim[] = [],
): PortConfig[] {
  const others = services.filter((s) => s !== self);
  const taken = others
    .flatMap((s) => claimsOf(s.rec.id, s.spec.Name, s.rec.endpointPorts ?? s.spec.EndpointSpec.Ports))
    .concat(stored.filter((c) => c.serviceId !== self?.rec.id));
  try {
    return assignIngress(spec.EndpointSpec.Ports, taken, self?.rec.endpointPorts ?? []);
  } catch (err) {
    if (err instanceof IngressPortError) throw new SwarmError(400, err.message, err.code);
    throw err;
  }
}

/** The published ingress ports of assigned endpoint ports, as claim slots. */
export const slotsOf = (ports: readonly PortConfig[] | undefined): PortSlot[] =>
  claimsOf('', '', ports ?? []).map(({ port, protocol }) => ({ port, protocol }));
export const sameSlot = (a: PortSlot) => (b: PortSlot) => a.port === b.port && a.protocol === b.protocol;

/** A port claim lost to another service: Docker's 400 naming the port. */
export const clashError = (c: ClaimClash) => {
  const e = portInUse(c.slot.port, { serviceName: c.holder.name, serviceId: c.holder.id });
  return new SwarmError(400, e.message, e.code);
};
