/**
 * Published ingress ports held in the store, one claim key per port (`.../ingress-ports/<port>-<protocol>`,
 * value `{service, name, at}`) written by create-only compare-and-set, so two creates or updates racing for
 * one port (through one manager or two) cannot both win. A claim whose service record is absent and which is
 * older than `CLAIM_GRACE_MS` is left from a create that failed half-way and may be taken over. The service
 * record's `endpointPorts` stays what the API shows; the claims only arbitrate.
 */
import type { Store } from '../../store/store.js';
import type { IngressClaim } from '../services/ingress.js';
import { MODE_PREFIX } from '../swarm/layout.js';

export const PORTS_PREFIX = `${MODE_PREFIX}/ingress-ports`;
/** How long a claim without its service record is taken to be a create still in progress. */
export const CLAIM_GRACE_MS = 60_000;

export type PortSlot = Pick<IngressClaim, 'port' | 'protocol'>;
export const portKey = (p: PortSlot) => `${PORTS_PREFIX}/${p.port}-${p.protocol}`;

interface ClaimValue {
  service: string;
  name: string;
  at: number;
}

function parseClaim(raw: string | undefined): ClaimValue | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(raw) as ClaimValue;
    return typeof v?.service === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Every claim in the store as the taken ports it stands for. Pure over a listing. */
export function claimsFromListing(kvs: readonly { key: string; value: string }[]): IngressClaim[] {
  const out: IngressClaim[] = [];
  for (const kv of kvs) {
    const m = /\/(\d+)-(tcp|udp|sctp)$/.exec(kv.key);
    const v = parseClaim(kv.value);
    if (m && v)
      out.push({
        port: Number(m[1]),
        protocol: m[2] as IngressClaim['protocol'],
        serviceId: v.service,
        serviceName: v.name,
      });
  }
  return out;
}

/** A port held by another service's claim: the slot and its holder. */
export interface ClaimClash {
  slot: PortSlot;
  holder: { id: string; name: string };
}

export class PortClaims {
  constructor(
    private readonly store: Store,
    private readonly io: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
    private readonly now: () => number,
  ) {}

  async list(): Promise<IngressClaim[]> {
    return claimsFromListing(await this.io('read', () => this.store.list(PORTS_PREFIX)));
  }

  /**
   * Claims every slot for `service` (already ours counts as claimed). On the first clash the claims made by
   * this call are released again and the clash is returned; `live(id)` says whether a service record exists.
   */
  async claim(
    service: { id: string; name: string },
    slots: readonly PortSlot[],
    live: (id: string) => Promise<boolean>,
  ): Promise<ClaimClash | undefined> {
    const value = JSON.stringify({ service: service.id, name: service.name, at: this.now() } satisfies ClaimValue);
    const made: PortSlot[] = [];
    for (const slot of slots) {
      const key = portKey(slot);
      if (await this.io('port claim', () => this.store.cas(key, undefined, value))) {
        made.push(slot);
        continue;
      }
      const raw = await this.io('port claim', () => this.store.get(key));
      const cur = parseClaim(raw);
      if (cur?.service === service.id) continue;
      const abandoned =
        raw !== undefined && (!cur || (this.now() - cur.at > CLAIM_GRACE_MS && !(await live(cur.service))));
      if (abandoned && (await this.io('port claim', () => this.store.cas(key, raw, value)))) {
        made.push(slot);
        continue;
      }
      await this.release(service.id, made);
      return { slot, holder: { id: cur?.service ?? '', name: cur?.name ?? '' } };
    }
    return undefined;
  }

  /** Deletes the claims of `slots` that still name `serviceId` (another's are left alone). */
  async release(serviceId: string, slots: readonly PortSlot[]): Promise<void> {
    for (const slot of slots) {
      const key = portKey(slot);
      const cur = parseClaim(await this.io('port release', () => this.store.get(key)));
      if (cur?.service === serviceId) await this.io('port release', () => this.store.delete(key));
    }
  }
}
