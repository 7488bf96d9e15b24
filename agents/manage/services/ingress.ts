/**
 * Ingress published ports, allocated cluster-wide as swarm does: a port asked for explicitly must not be
 * another service's, and an ingress port asked for without one (`-p 80`) gets a free port of 30000-32767,
 * kept across updates while the same target/protocol is still asked for. Host-mode ports are per node and
 * never allocated here. Pure: the caller passes the other services' claims and a pick for the free port.
 *
 * Nothing serves these ports yet (the edge listening on them is issue 12); tasks are reached through the
 * registrator and the edge's `<service>.<domain>` routes.
 */
import { ShoalError } from '../../common/errors.js';
import type { PortConfig } from './types.js';

export const INGRESS_MIN = 30000;
export const INGRESS_MAX = 32767;

/** A published ingress port held by another service. */
export interface IngressClaim {
  port: number;
  protocol: PortConfig['Protocol'];
  serviceId: string;
  serviceName: string;
}

/** A published port that cannot be given: Docker's InvalidArgument (400). */
export class IngressPortError extends ShoalError {
  readonly status = 400;
  constructor(message: string) {
    super('SHOAL_INGRESS_PORT', `rpc error: code = InvalidArgument desc = ${message}`);
  }
}

const slot = (port: number, protocol: string) => `${port}/${protocol}`;

/** Docker's refusal of a published port another service holds. */
export function portInUse(port: number, holder: { serviceName: string; serviceId: string }): IngressPortError {
  return new IngressPortError(
    `port '${port}' is already in use by service '${holder.serviceName}' (${holder.serviceId}) as an ingress port`,
  );
}

/** The claims of a service's assigned ports. */
export function claimsOf(serviceId: string, serviceName: string, ports: readonly PortConfig[]): IngressClaim[] {
  return ports
    .filter((p) => p.PublishMode === 'ingress' && p.PublishedPort > 0)
    .map((p) => ({ port: p.PublishedPort, protocol: p.Protocol, serviceId, serviceName }));
}

/**
 * The endpoint ports of a spec with every ingress port published: explicit ones checked against `taken`,
 * dynamic ones reusing `previous` (the service's earlier assignment for the same target/protocol) or else
 * the lowest free port of the range.
 */
export function assignIngress(
  ports: readonly PortConfig[],
  taken: readonly IngressClaim[],
  previous: readonly PortConfig[] = [],
): PortConfig[] {
  const used = new Map(taken.map((c) => [slot(c.port, c.protocol), c]));
  for (const p of ports) {
    if (p.PublishMode !== 'ingress' || p.PublishedPort === 0) continue;
    const other = used.get(slot(p.PublishedPort, p.Protocol));
    if (other) throw portInUse(p.PublishedPort, other);
  }
  const mine = new Set(
    ports
      .filter((p) => p.PublishMode === 'ingress' && p.PublishedPort > 0)
      .map((p) => slot(p.PublishedPort, p.Protocol)),
  );
  const free = (port: number, protocol: string) => !used.has(slot(port, protocol)) && !mine.has(slot(port, protocol));
  const reusable = previous.filter((p) => p.PublishMode === 'ingress' && p.PublishedPort > 0);
  return ports.map((p) => {
    if (p.PublishMode !== 'ingress' || p.PublishedPort > 0) return { ...p };
    const again = reusable.findIndex(
      (q) => q.TargetPort === p.TargetPort && q.Protocol === p.Protocol && free(q.PublishedPort, q.Protocol),
    );
    let port: number | undefined;
    if (again >= 0) port = reusable.splice(again, 1)[0]!.PublishedPort;
    else {
      for (let c = INGRESS_MIN; c <= INGRESS_MAX && port === undefined; c++) if (free(c, p.Protocol)) port = c;
    }
    if (port === undefined)
      throw new IngressPortError(
        `no free ingress port in ${INGRESS_MIN}-${INGRESS_MAX} for ${p.TargetPort}/${p.Protocol}`,
      );
    mine.add(slot(port, p.Protocol));
    return { ...p, PublishedPort: port };
  });
}
