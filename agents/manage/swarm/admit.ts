/**
 * Token admission's I/O shell (`POST /shoal/swarm/join`): check the request and the token against the stored
 * hashes, sign the node's certificate request with the cluster CA when it sent one, then write its node
 * record by compare-and-set. Any refusal happens before the write, so a refused host leaves nothing behind.
 */
import type { Logger } from '../../common/log.js';
import { errorMessage } from '../../common/errors.js';
import type { Store } from '../../store/store.js';
import { caFiles } from '../../tls/ca.js';
import { signCsr } from '../../tls/sign.js';
import { admitRole, admittedRecord, addrIp, parseJoinRequest } from './admission.js';
import { loadCa } from './ca.js';
import { parseClusterDoc, type ClusterDoc } from './cluster.js';
import { SwarmError, SwarmInputError } from './errors.js';
import { newId } from './ids.js';
import { CLUSTER_KEY, nodeKey } from './layout.js';
import { newRecord, parseNodeRecord, type NodeRecord, type Role } from './nodes.js';
import { caDigest } from './tokens.js';

export interface AdmitContext {
  store: Store;
  caDir: string;
  /** The discovery URI the host heartbeats to (no credentials: store URIs never carry them). */
  discovery: string;
  log: Logger;
  now: () => string;
  /** A store call, retried briefly; a store that still fails is a 503. */
  io: <T>(what: string, fn: () => Promise<T>) => Promise<T>;
}

export interface AdmissionAnswer {
  NodeID: string;
  Role: Role;
  Discovery: string;
  /** The cluster CA certificate (PEM): what the node's certificate, and the manager's, verify against. */
  CA: string;
  /** The node's certificate (PEM), when it sent a request. */
  Certificate?: string;
}

const NANOS_PER_DAY = 86_400 * 1e9;

async function issue(ctx: AdmitContext, doc: ClusterDoc, csr: string, nodeId: string, addr: string): Promise<string> {
  const ca = await loadCa(ctx.caDir).catch(() => undefined);
  if (!ca || caDigest(ca.cert) !== doc.ca.digest)
    throw new SwarmError(
      409,
      `cannot issue the node certificate: the cluster CA key is not in ${ctx.caDir} on this manager`,
      'SHOAL_SWARM_NO_CA',
    );
  const days = Math.max(1, Math.ceil(doc.spec.CAConfig.NodeCertExpiry / NANOS_PER_DAY));
  const req = { name: nodeId, ips: [addrIp(addr)], dns: [], server: true, client: true, days };
  return signCsr(caFiles(ctx.caDir), csr, req).catch((err: unknown) => {
    throw new SwarmInputError('CSR', `not a valid certificate request (${errorMessage(err)})`);
  });
}

export async function admit(ctx: AdmitContext, body: unknown): Promise<AdmissionAnswer> {
  const req = parseJoinRequest(body);
  for (let attempt = 0; ; attempt += 1) {
    const docRaw = await ctx.io('read', () => ctx.store.get(CLUSTER_KEY));
    const doc = parseClusterDoc(docRaw);
    if (!doc)
      throw new SwarmError(
        409,
        'no swarm is initialised on this manager: run "docker swarm init" first',
        'SHOAL_SWARM_NONE',
      );
    const role = admitRole(doc, req.token);
    const key = nodeKey(req.addr);
    const raw = await ctx.io('node read', () => ctx.store.get(key));
    const parsed = raw === undefined ? undefined : parseNodeRecord(raw);
    const existing = parsed && parsed.cluster === doc.id && parsed.addr === req.addr ? parsed : undefined;
    const now = ctx.now();
    const fresh = (): NodeRecord => ({
      ...newRecord(newId(), doc.id, req.addr, now, { Role: role }),
      admitted: { by: 'token', at: now },
    });
    const { rec, changed } = admittedRecord(existing, role, fresh, now);
    const cert = req.csr ? await issue(ctx, doc, req.csr, rec.id, req.addr) : undefined;
    const written = !changed || (await ctx.io('node admit', () => ctx.store.cas(key, raw, JSON.stringify(rec))));
    if (written) {
      ctx.log.info(
        { cluster: doc.id, node: rec.id, addr: req.addr, role: rec.spec.Role, cert: cert !== undefined },
        'node admitted',
      );
      return {
        NodeID: rec.id,
        Role: rec.spec.Role,
        Discovery: ctx.discovery,
        CA: doc.ca.cert,
        ...(cert ? { Certificate: cert } : {}),
      };
    }
    if (attempt >= 2) throw new SwarmError(503, `node ${req.addr}: its record changed during admission; try again`);
  }
}
