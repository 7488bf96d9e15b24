/** Token admission's decisions: the request's fields, which token admits as what, what gets written. Pure. */
import t from 'tap';
import {
  AdmissionRefused,
  addrIp,
  admitRole,
  admittedRecord,
  isEngineAddr,
  parseJoinRequest,
} from '../../../agents/manage/swarm/admission.js';
import { normalizeSpec, type ClusterDoc } from '../../../agents/manage/swarm/cluster.js';
import { SwarmInputError } from '../../../agents/manage/swarm/errors.js';
import { newRecord } from '../../../agents/manage/swarm/nodes.js';
import { caDigest, tokenRecord } from '../../../agents/manage/swarm/tokens.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n';
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBAbc+/=\n-----END CERTIFICATE REQUEST-----\n';
const ID = 'c'.repeat(25);
const digest = caDigest(CERT);
const worker = tokenRecord(KEY, ID, digest, 'worker', 'n1');
const manager = tokenRecord(KEY, ID, digest, 'manager', 'n2');

function doc(tokens = { worker: worker.record, manager: manager.record }): ClusterDoc {
  return {
    id: ID,
    createdAt: 'T',
    updatedAt: 'T',
    version: 1,
    spec: normalizeSpec({}),
    ca: { cert: CERT, digest },
    tokens,
    defaultAddrPool: ['10.0.0.0/8'],
    subnetSize: 24,
    dataPathPort: 4789,
  };
}

t.test('a join request: Token, Addr, an optional CSR; anything else is a 400 naming the field', async (t) => {
  t.same(parseJoinRequest({ Token: ` ${worker.token} `, Addr: '10.0.0.1:2375' }), {
    token: worker.token,
    addr: '10.0.0.1:2375',
    csr: undefined,
  });
  t.equal(parseJoinRequest({ Token: worker.token, Addr: '[::1]:2376', CSR: CSR }).csr, CSR);
  const cases: [unknown, string][] = [
    [undefined, 'body'],
    [[], 'body'],
    [{ Addr: '10.0.0.1:2375' }, 'Token'],
    [{ Token: '', Addr: '10.0.0.1:2375' }, 'Token'],
    [{ Token: 'x'.repeat(201), Addr: '10.0.0.1:2375' }, 'Token'],
    [{ Token: 7, Addr: '10.0.0.1:2375' }, 'Token'],
    [{ Token: worker.token }, 'Addr'],
    [{ Token: worker.token, Addr: 'host:2375' }, 'Addr'],
    [{ Token: worker.token, Addr: '10.0.0.1' }, 'Addr'],
    [{ Token: worker.token, Addr: '10.0.0.1:99999' }, 'Addr'],
    [{ Token: worker.token, Addr: '../../cluster:1' }, 'Addr'],
    [{ Token: worker.token, Addr: '10.0.0.1:2375', CSR: KEY }, 'CSR'],
    [{ Token: worker.token, Addr: '10.0.0.1:2375', CSR: `${CSR}${KEY}` }, 'CSR'],
    [{ Token: worker.token, Addr: '10.0.0.1:2375', Key: KEY }, 'Key'],
  ];
  for (const [body, field] of cases) {
    const err = thrown(() => parseJoinRequest(body));
    t.type(err, SwarmInputError, JSON.stringify(body)?.slice(0, 60));
    t.match(err, { status: 400, field }, JSON.stringify(body)?.slice(0, 60));
  }
  t.ok(isEngineAddr('127.0.1.3:2375'));
  t.notOk(isEngineAddr('127.0.1.3:0'));
  t.equal(addrIp('[::1]:2375'), '::1');
  t.equal(addrIp('10.0.0.1:2375'), '10.0.0.1');
});

t.test('the worker token admits a worker, the manager token a manager; nothing else admits', async (t) => {
  t.equal(admitRole(doc(), worker.token), 'worker');
  t.equal(admitRole(doc(), manager.token), 'manager');
  const rotated = doc({ worker: tokenRecord(KEY, ID, digest, 'worker', 'n3').record, manager: manager.record });
  t.throws(() => admitRole(rotated, worker.token), { status: 403, message: /^invalid join token: .*not a current/ });
  const forged = `${worker.token.slice(0, -1)}${worker.token.endsWith('a') ? 'b' : 'a'}`;
  t.throws(
    () => admitRole(doc(), forged),
    new AdmissionRefused('it is not a current token of this swarm (rotated, or never issued)'),
  );
  const otherCa = tokenRecord(KEY, ID, caDigest(`${CERT}x`), 'worker', 'n1').token;
  t.throws(() => admitRole(doc(), otherCa), { status: 403, message: /another swarm/ });
  t.throws(() => admitRole(doc(), 'SWMTKN-1-short'), SwarmInputError);
  t.match(
    thrown(() => admitRole(doc(), 'SWMTKN-1-short')),
    { status: 400, field: 'Token' },
  );
});

t.test('admission writes a new record, keeps a known one, and a manager token promotes it', async (t) => {
  const fresh = () => newRecord('n'.repeat(25), ID, '10.0.0.1:2375', 'T1', { Role: 'worker' });
  t.same(admittedRecord(undefined, 'worker', fresh, 'T2'), { rec: fresh(), changed: true });
  const known = newRecord('k'.repeat(25), ID, '10.0.0.1:2375', 'T0', { Role: 'worker', Labels: { a: 'b' } });
  t.same(admittedRecord(known, 'worker', fresh, 'T2'), { rec: known, changed: false }, 'the same ID again');
  const promoted = admittedRecord(known, 'manager', fresh, 'T2');
  t.equal(promoted.changed, true);
  t.match(promoted.rec, { id: known.id, version: 2, updatedAt: 'T2', spec: { Role: 'manager', Labels: { a: 'b' } } });
  const mgr = { ...known, spec: { ...known.spec, Role: 'manager' as const } };
  t.same(admittedRecord(mgr, 'worker', fresh, 'T2'), { rec: mgr, changed: false }, 'a worker token never demotes');
});
