/** Join tokens: Docker's format, derived again from the CA key, verified against the stored hash only. */
import t from 'tap';
import { createHash } from 'node:crypto';
import {
  caDigest,
  deriveToken,
  formatToken,
  hashToken,
  parseToken,
  tokenRecord,
  tokenRole,
  verifyToken,
} from '../../../agents/manage/swarm/tokens.js';
import { base36, isId, newId } from '../../../agents/manage/swarm/ids.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n';

t.test('base36 and IDs', async (t) => {
  t.equal(base36(Buffer.from([0]), 3), '000');
  t.equal(base36(Buffer.from([35]), 1), 'z');
  t.equal(base36(Buffer.from([1, 0]), 1), '74'); // 256
  t.equal(base36(Buffer.alloc(16, 0xff), 25).length, 25, '128 bits fit 25 base-36 digits');
  const id = newId();
  t.ok(isId(id), id);
  t.equal(
    newId(() => Buffer.alloc(16)),
    '0'.repeat(25),
  );
  for (const bad of ['', 'ABCDEFGHIJKLMNOPQRSTUVWXY', 'a'.repeat(24), 'a'.repeat(26), 'abc/../def'])
    t.notOk(isId(bad), bad);
});

t.test('the digest is the SHA-256 of the CA certificate in base 36 over 50 characters', async (t) => {
  const d = caDigest(CERT);
  t.match(d, /^[0-9a-z]{50}$/);
  t.equal(
    BigInt(`0x${createHash('sha256').update(CERT).digest('hex')}`)
      .toString(36)
      .padStart(50, '0'),
    d,
  );
  t.not(caDigest(`${CERT}x`), d);
});

t.test('tokens: format, parse, derivation', async (t) => {
  const d = caDigest(CERT);
  const tok = deriveToken(KEY, 'c1', d, 'worker', 'n1');
  t.match(tok, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  t.equal(deriveToken(KEY, 'c1', d, 'worker', 'n1'), tok, 'the same inputs give the token back');
  const differs: [string, string][] = [
    ['another key', deriveToken(`${KEY}x`, 'c1', d, 'worker', 'n1')],
    ['another cluster', deriveToken(KEY, 'c2', d, 'worker', 'n1')],
    ['another role', deriveToken(KEY, 'c1', d, 'manager', 'n1')],
    ['another nonce (rotation)', deriveToken(KEY, 'c1', d, 'worker', 'n2')],
  ];
  for (const [why, other] of differs) t.not(other, tok, why);
  t.same(parseToken(tok), { digest: d, secret: tok.slice(-25) });
  for (const bad of [
    '',
    'SWMTKN-1-abc-def',
    `SWMTKN-2-${d}-${tok.slice(-25)}`,
    `SWMTKN-1-${d}-${tok.slice(-25)}x`,
    `SWMTKN-1-${d.toUpperCase()}-${tok.slice(-25)}`,
    `${tok}\n`,
  ])
    t.equal(parseToken(bad), undefined, JSON.stringify(bad));
  t.equal(formatToken(d, 's'.repeat(25)), `SWMTKN-1-${d}-${'s'.repeat(25)}`);
});

t.test('verify: only the hash is needed; rotated, forged and foreign tokens are told apart', async (t) => {
  const d = caDigest(CERT);
  const { token, record } = tokenRecord(KEY, 'c1', d, 'worker', 'n1');
  t.equal(record.hash, hashToken(token));
  t.equal(record.nonce, 'n1');
  t.notOk(JSON.stringify(record).includes(token.slice(-25)), 'the record holds no secret');
  const rotated = tokenRecord(KEY, 'c1', d, 'worker', 'n2');
  const table: [string, string, string][] = [
    ['current', token, 'ok'],
    ['with spaces around', ` ${token}\n`, 'ok'],
    ['rotated away', token, 'invalid'],
    ['forged secret', formatToken(d, 'a'.repeat(25)), 'invalid'],
    ['another CA', formatToken(caDigest('other'), token.slice(-25)), 'wrong-ca'],
    ['garbage', 'hello', 'malformed'],
  ];
  for (const [why, tok, want] of table) {
    const hash = why === 'rotated away' ? rotated.record.hash : record.hash;
    t.equal(verifyToken(tok, d, hash), want, why);
  }
  const manager = tokenRecord(KEY, 'c1', d, 'manager', 'm1');
  const tokens = { worker: record, manager: manager.record };
  t.same(tokenRole(token, d, tokens), { role: 'worker' });
  t.same(tokenRole(manager.token, d, tokens), { role: 'manager' });
  t.same(tokenRole(rotated.token, d, tokens), { refused: 'invalid' });
  t.same(tokenRole('x', d, tokens), { refused: 'malformed' });
});
