/**
 * What an admission answer must hold, checked before anything is trusted: the node ID, its role, where to
 * heartbeat, the cluster CA, and only a CA whose digest is the one inside the token (as `docker swarm join`
 * pins it), so a manager that is not the token's cluster cannot hand this host another CA. Pure.
 */
import { caDigest, parseToken } from '../manage/swarm/tokens.js';

export interface Admitted {
  nodeId: string;
  role: 'worker' | 'manager';
  discovery: string;
  ca: string;
  certificate: string | undefined;
}

export function checkAnswer(text: string, token: string, refuse: (message: string) => Error): Admitted {
  let a: Record<string, unknown>;
  try {
    a = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw refuse('the admission answer is not JSON');
  }
  const str = (k: string) => (typeof a?.[k] === 'string' ? (a[k] as string) : undefined);
  const nodeId = str('NodeID');
  const role = str('Role');
  const ca = str('CA');
  if (!nodeId || !/^[0-9a-z]{25}$/.test(nodeId)) throw refuse('the admission answer has no node ID');
  if (role !== 'worker' && role !== 'manager') throw refuse('the admission answer has no role');
  if (!ca) throw refuse('the admission answer has no cluster CA');
  const pinned = parseToken(token)?.digest;
  if (pinned !== caDigest(ca)) throw refuse('the cluster CA it sent is not the one the join token names');
  return { nodeId, role, discovery: str('Discovery') ?? '', ca, certificate: str('Certificate') };
}
