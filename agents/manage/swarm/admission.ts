/**
 * Token admission, the decisions: what a join request must carry, and whether a token admits it and as what.
 * A node is a member of an initialised cluster only through its node record, which `swarm init` writes for the
 * engines discovered at that moment and admission writes for a host that presented a valid join token; an
 * engine that is only in discovery (a hand-written `/swarm/<addr>` key) is no node. Pure.
 */
import net from 'node:net';
import type { ClusterDoc } from './cluster.js';
import { SwarmError, SwarmInputError } from './errors.js';
import type { NodeRecord, Role } from './nodes.js';
import { tokenRole } from './tokens.js';
import { isObject } from './validate.js';

/** The shoal-specific endpoint `shoal join --token` calls on a manager. */
export const ADMISSION_PATH = '/shoal/swarm/join';

export interface JoinRequest {
  token: string;
  /** The engine address the host advertises in discovery, `IP:PORT`. */
  addr: string;
  /** A certificate request (PEM) for the node's own key; the key never leaves the host. */
  csr: string | undefined;
}

const MAX_TOKEN = 200;
const MAX_CSR = 16_384;
const CSR_RE = /^-----BEGIN CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----\r?\n?$/;

/** An engine address as discovery holds it: an IP literal and a port (`10.0.0.1:2375`, `[::1]:2375`). */
export function isEngineAddr(a: string): boolean {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(a) ?? /^([0-9.]+):(\d{1,5})$/.exec(a);
  if (!m) return false;
  const port = Number(m[2]);
  return net.isIP(m[1] as string) !== 0 && port >= 1 && port <= 65535;
}

/** The body of `POST /shoal/swarm/join`, checked field by field; a private key is refused outright. */
export function parseJoinRequest(body: unknown): JoinRequest {
  if (!isObject(body)) throw new SwarmInputError('body', 'expected a JSON object with Token and Addr');
  for (const k of Object.keys(body))
    if (!['Token', 'Addr', 'CSR'].includes(k)) throw new SwarmInputError(k, 'unknown field: expected Token, Addr, CSR');
  const token = body.Token;
  if (typeof token !== 'string' || token.trim() === '' || token.length > MAX_TOKEN)
    throw new SwarmInputError('Token', 'expected the join token (SWMTKN-1-...)');
  const addr = body.Addr;
  if (typeof addr !== 'string' || !isEngineAddr(addr))
    throw new SwarmInputError('Addr', `${JSON.stringify(addr)}: expected the engine's IP:PORT as advertised`);
  const csr = body.CSR;
  if (csr !== undefined && csr !== null && csr !== '') {
    if (typeof csr !== 'string' || csr.length > MAX_CSR || !CSR_RE.test(csr))
      throw new SwarmInputError('CSR', 'expected one PEM certificate request (never a private key)');
  }
  return { token: token.trim(), addr, csr: typeof csr === 'string' && csr !== '' ? csr : undefined };
}

export const INVALID_TOKEN = 'invalid join token';

/** Refused: the token is not a current token of this cluster. 403, nothing written. */
export class AdmissionRefused extends SwarmError {
  constructor(detail: string) {
    super(403, `${INVALID_TOKEN}: ${detail}`, 'SHOAL_SWARM_TOKEN');
  }
}

/**
 * The role a token admits as (constant-time comparison of its hash with each stored hash), or why not. A
 * malformed token is a 400 naming the field; one of another cluster or an old rotation a 403.
 */
export function admitRole(doc: ClusterDoc, token: string): Role {
  const r = tokenRole(token, doc.ca.digest, doc.tokens);
  if ('role' in r) return r.role;
  if (r.refused === 'malformed')
    throw new SwarmInputError('Token', 'expected a join token of the form SWMTKN-1-<50 characters>-<25 characters>');
  if (r.refused === 'wrong-ca') throw new AdmissionRefused('it was made for another swarm (its CA digest differs)');
  throw new AdmissionRefused('it is not a current token of this swarm (rotated, or never issued)');
}

/**
 * What admission writes for `addr`: a record already in this cluster keeps its ID and spec (a host that joins
 * again, e.g. after a restart), except that a manager token promotes it; else a new record with the token's role.
 */
export function admittedRecord(
  existing: NodeRecord | undefined,
  role: Role,
  fresh: () => NodeRecord,
  now: string,
): { rec: NodeRecord; changed: boolean } {
  if (!existing) return { rec: fresh(), changed: true };
  if (role === 'manager' && existing.spec.Role !== 'manager')
    return {
      rec: { ...existing, spec: { ...existing.spec, Role: 'manager' }, version: existing.version + 1, updatedAt: now },
      changed: true,
    };
  return { rec: existing, changed: false };
}

/** The host part of an engine address, for the certificate's IP SAN. */
export function addrIp(addr: string): string {
  return addr.replace(/^\[([^\]]+)\]:\d+$/, '$1').replace(/^([0-9.]+):\d+$/, '$1');
}
