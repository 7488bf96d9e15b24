/**
 * Join tokens, `SWMTKN-1-<CA digest>-<secret>` as Docker formats them: the digest is the SHA-256 of the cluster
 * CA certificate (PEM) written in base 36 over 50 characters, the secret 128 bits in base 36 over 25.
 *
 * The store holds only each token's SHA-256 and a random nonce per rotation, never a token. The secret is
 * derived, not stored: HMAC-SHA256(key, cluster ID, role, nonce), where the key comes from the cluster CA's
 * private key, which only the managers hold (their CA directory). So a manager can print the current token
 * again (`docker swarm join-token`), while a reader of the store can neither print nor forge one; rotating
 * draws a new nonce, and the old token's hash no longer matches. Pure functions.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { base36 } from './ids.js';

export type TokenRole = 'worker' | 'manager';

export const TOKEN_PREFIX = 'SWMTKN-1-';
const DIGEST_LEN = 50;
const SECRET_LEN = 25;
const TOKEN_RE = /^SWMTKN-1-([0-9a-z]{50})-([0-9a-z]{25})$/;

/** What the store keeps per role. */
export interface TokenRecord {
  /** SHA-256 (hex) of the whole token. */
  hash: string;
  /** Random hex drawn at init and at each rotation; with the key it gives the secret back. */
  nonce: string;
}

/** The CA digest part of a token: SHA-256 of the CA certificate PEM, base 36, 50 characters. */
export function caDigest(caCertPem: string): string {
  return base36(createHash('sha256').update(caCertPem).digest(), DIGEST_LEN);
}

/** The token secret for one role and rotation: only holders of `key` (the CA private key) can compute it. */
export function tokenSecret(key: string, clusterId: string, role: TokenRole, nonce: string): string {
  const sub = createHmac('sha256', key).update('shoal swarm join token v1').digest();
  const mac = createHmac('sha256', sub).update(`${clusterId}\n${role}\n${nonce}`).digest();
  return base36(mac.subarray(0, 16), SECRET_LEN);
}

export function formatToken(digest: string, secret: string): string {
  return `${TOKEN_PREFIX}${digest}-${secret}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function parseToken(token: string): { digest: string; secret: string } | undefined {
  const m = TOKEN_RE.exec(token);
  return m ? { digest: m[1] as string, secret: m[2] as string } : undefined;
}

/** The token of one role, derived again from the key and what the store holds. */
export function deriveToken(key: string, clusterId: string, digest: string, role: TokenRole, nonce: string): string {
  return formatToken(digest, tokenSecret(key, clusterId, role, nonce));
}

/** A new token record for `role` (the nonce is drawn by the caller) and the token it stands for. */
export function tokenRecord(
  key: string,
  clusterId: string,
  digest: string,
  role: TokenRole,
  nonce: string,
): { token: string; record: TokenRecord } {
  const token = deriveToken(key, clusterId, digest, role, nonce);
  return { token, record: { hash: hashToken(token), nonce } };
}

export type TokenCheck = 'ok' | 'malformed' | 'wrong-ca' | 'invalid';

/**
 * Whether `token` admits to a cluster whose CA digest is `digest` and whose current token hash is `hash`:
 * `malformed` (not a SWMTKN-1 token), `wrong-ca` (made for another cluster CA), `invalid` (rotated or forged).
 */
export function verifyToken(token: string, digest: string, hash: string): TokenCheck {
  const parsed = parseToken(token.trim());
  if (!parsed) return 'malformed';
  if (parsed.digest !== digest) return 'wrong-ca';
  const got = Buffer.from(hashToken(token.trim()), 'hex');
  const want = Buffer.from(hash, 'hex');
  return got.length === want.length && timingSafeEqual(got, want) ? 'ok' : 'invalid';
}

/** Which role a valid token admits as, or why it does not. */
export function tokenRole(
  token: string,
  digest: string,
  tokens: Record<TokenRole, TokenRecord>,
): { role: TokenRole } | { refused: TokenCheck } {
  let worst: TokenCheck = 'invalid';
  for (const role of ['manager', 'worker'] as const) {
    const c = verifyToken(token, digest, tokens[role].hash);
    if (c === 'ok') return { role };
    worst = c;
  }
  return { refused: worst };
}
