/** The cluster document's inputs (init body, swarm spec), the join address and /info's Swarm section. */
import t from 'tap';
import {
  clusterView,
  normalizeSpec,
  parseClusterDoc,
  parseInit,
  rotateFlag,
} from '../../../agents/manage/swarm/cluster.js';
import type { ClusterDoc } from '../../../agents/manage/swarm/cluster.js';
import { joinAddress } from '../../../agents/manage/swarm/address.js';
import { INACTIVE, swarmInfo } from '../../../agents/manage/swarm/info.js';
import { newRecord } from '../../../agents/manage/swarm/nodes.js';
import { parseVersion } from '../../../agents/manage/swarm/errors.js';
import { defaultCaDir } from '../../../agents/manage/swarm/ca.js';
import { pickSelfEngine } from '../../../agents/manage/swarm/address.js';

// what docker swarm init --advertise-addr 127.0.0.1 sends (contract §3.1)
const CLI_INIT = {
  ListenAddr: '0.0.0.0:2377',
  AdvertiseAddr: '127.0.0.1',
  DataPathAddr: '',
  DataPathPort: 0,
  ForceNewCluster: false,
  Spec: {
    Labels: null,
    Orchestration: {},
    Raft: { ElectionTick: 0, HeartbeatTick: 0 },
    Dispatcher: {},
    CAConfig: {},
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  },
  AutoLockManagers: false,
  Availability: '',
  DefaultAddrPool: [],
  SubnetSize: 24,
};

t.test("parseInit: the CLI's body gets Docker's defaults", async (t) => {
  const r = parseInit(CLI_INIT);
  t.equal(r.advertiseAddr, '127.0.0.1');
  t.equal(r.availability, '');
  t.same(r.defaultAddrPool, ['10.0.0.0/8']);
  t.equal(r.subnetSize, 24);
  t.equal(r.dataPathPort, 4789);
  t.same(r.spec, {
    Name: 'default',
    Labels: {},
    Orchestration: { TaskHistoryRetentionLimit: 5 },
    Raft: {
      SnapshotInterval: 10000,
      KeepOldSnapshots: 0,
      LogEntriesForSlowFollowers: 500,
      ElectionTick: 10,
      HeartbeatTick: 1,
    },
    Dispatcher: { HeartbeatPeriod: 5_000_000_000 },
    CAConfig: { NodeCertExpiry: 7_776_000_000_000_000 },
    TaskDefaults: {},
    EncryptionConfig: { AutoLockManagers: false },
  });
  t.same(parseInit(undefined).spec, r.spec, 'an empty body is all defaults');
});

t.test('parseInit and normalizeSpec: each bad field named', async (t) => {
  const bad: [unknown, RegExp][] = [
    ['x', /^invalid body/],
    [{ AdvertiseAddr: 'a b' }, /^invalid AdvertiseAddr/],
    [{ AdvertiseAddr: 7 }, /^invalid AdvertiseAddr/],
    [{ Availability: 'sideways' }, /^invalid Availability/],
    [{ AutoLockManagers: true }, /^invalid AutoLockManagers/],
    [{ DefaultAddrPool: ['nope'] }, /^invalid DefaultAddrPool/],
    [{ SubnetSize: 40 }, /^invalid SubnetSize/],
    [{ DataPathPort: -1 }, /^invalid DataPathPort/],
    [{ Spec: [] }, /^invalid Spec: expected an object/],
    [{ Spec: { Name: 'other' } }, /^invalid Spec\.Name/],
    [{ Spec: { Labels: { 'a b': 'c' } } }, /^invalid Spec\.Labels key/],
    [{ Spec: { Orchestration: { TaskHistoryRetentionLimit: -1 } } }, /TaskHistoryRetentionLimit/],
    [{ Spec: { Orchestration: { TaskHistoryRetentionLimit: 1.5 } } }, /TaskHistoryRetentionLimit/],
    [{ Spec: { Raft: 'x' } }, /^invalid Spec\.Raft: expected an object/],
    [{ Spec: { Dispatcher: { HeartbeatPeriod: '5s' } } }, /HeartbeatPeriod/],
    [{ Spec: { EncryptionConfig: { AutoLockManagers: true } } }, /AutoLockManagers/],
    [{ Spec: { TaskDefaults: { Evil: 'x'.repeat(100) } } }, /^invalid Spec\.TaskDefaults\.Evil/],
    [{ Spec: { TaskDefaults: { LogDriver: { Name: '../x' } } } }, /^invalid Spec\.TaskDefaults\.LogDriver\.Name/],
    [
      { Spec: { TaskDefaults: { LogDriver: { Name: 'json-file', Options: { 'a b': '1' } } } } },
      /LogDriver\.Options key/,
    ],
  ];
  for (const [body, msg] of bad) t.throws(() => parseInit(body), msg, JSON.stringify(body));
  t.equal(
    normalizeSpec({ Orchestration: { TaskHistoryRetentionLimit: 7 } }).Orchestration.TaskHistoryRetentionLimit,
    7,
  );
});

t.test('version and rotate flags', async (t) => {
  t.equal(parseVersion('node', '12'), 12);
  for (const bad of [null, '', '-1', '1.5', 'abc', '9'.repeat(20)])
    t.throws(() => parseVersion('node', bad), { status: 400, message: /^invalid version: invalid node version/ });
  t.equal(rotateFlag('rotateWorkerToken', 'true'), true);
  t.equal(rotateFlag('rotateWorkerToken', '1'), true);
  t.equal(rotateFlag('rotateWorkerToken', 'false'), false);
  t.equal(rotateFlag('rotateWorkerToken', null), false);
  t.throws(() => rotateFlag('rotateWorkerToken', 'yes'), /rotateWorkerToken/);
});

t.test('joinAddress: replication advertise, init advertise with the API port, a non-wildcard listener', async (t) => {
  const table: [string, string | undefined, string[], string | undefined][] = [
    ['', 'm1:2375', ['tcp://0.0.0.0:2375'], 'm1:2375'],
    ['127.0.0.1', undefined, ['tcp://0.0.0.0:4000'], '127.0.0.1:4000'],
    ['10.0.0.1:2377', undefined, ['tcp://0.0.0.0:4000'], '10.0.0.1:2377'],
    ['', undefined, ['tcp://127.0.0.1:4000'], '127.0.0.1:4000'],
    ['', undefined, ['unix:///run/s.sock', 'https://10.1.1.1:2376'], '10.1.1.1:2376'],
    ['', undefined, ['tcp://0.0.0.0:4000'], undefined],
    ['', undefined, ['unix:///run/s.sock'], undefined],
    ['127.0.0.1', undefined, ['unix:///run/s.sock'], undefined],
  ];
  for (const [adv, repl, listening, want] of table)
    t.equal(joinAddress(adv, repl, listening), want, JSON.stringify([adv, repl, listening]));
});

t.test('pickSelfEngine: same host, healthy, lowest address', async (t) => {
  const e = (addr: string, health: 'healthy' | 'unhealthy' = 'healthy') =>
    ({ addr, name: addr, health, serverVersion: '', cpus: 0, memory: 0, labels: {}, error: '' }) as const;
  t.equal(pickSelfEngine([e('10.0.0.2:2375'), e('10.0.0.1:2375')], '192.168.0.1:2375')?.addr, '10.0.0.1:2375');
  t.equal(pickSelfEngine([e('10.0.0.1:2375'), e('10.0.0.2:2375')], '10.0.0.2:4000')?.addr, '10.0.0.2:2375');
  t.equal(pickSelfEngine([e('10.0.0.1:2375', 'unhealthy'), e('10.0.0.2:2375')], 'x:1')?.addr, '10.0.0.2:2375');
  t.equal(pickSelfEngine([], 'x:1'), undefined);
});

t.test('defaultCaDir: the --tlscacert directory when it holds the key, else ~/.shoal/swarm-ca', async (t) => {
  t.equal(
    defaultCaDir('/etc/shoal/tls/ca.pem', '/home/u', (f) => f === '/etc/shoal/tls/ca-key.pem'),
    '/etc/shoal/tls',
  );
  t.equal(
    defaultCaDir('/etc/shoal/tls/ca.pem', '/home/u', () => false),
    '/home/u/.shoal/swarm-ca',
  );
  t.equal(
    defaultCaDir(undefined, '/home/u', () => true),
    '/home/u/.shoal/swarm-ca',
  );
});

t.test('/info Swarm: inactive, active, error', async (t) => {
  t.same(swarmInfo({ doc: undefined, records: [], selfId: undefined }), INACTIVE);
  t.match(swarmInfo({ doc: undefined, records: [], selfId: undefined, error: 'boom' }), {
    LocalNodeState: 'error',
    Error: 'boom',
  });
  const doc: ClusterDoc = {
    id: 'c'.repeat(25),
    createdAt: 'T',
    updatedAt: 'T',
    version: 3,
    spec: normalizeSpec({}),
    ca: { cert: 'PEM', digest: 'd' },
    tokens: { worker: { hash: 'h1', nonce: 'n1' }, manager: { hash: 'h2', nonce: 'n2' } },
    defaultAddrPool: ['10.0.0.0/8'],
    subnetSize: 24,
    dataPathPort: 4789,
  };
  const m = newRecord(
    'm'.repeat(25),
    doc.id,
    '127.0.1.1:2375',
    'T',
    { Role: 'manager' },
    { id: 'local', addr: '127.0.0.1:4000' },
  );
  const w = newRecord('w'.repeat(25), doc.id, '127.0.1.2:2375', 'T');
  const info = swarmInfo({ doc, records: [m, w], selfId: m.id });
  t.match(info, {
    NodeID: m.id,
    NodeAddr: '127.0.0.1',
    LocalNodeState: 'active',
    ControlAvailable: true,
    Nodes: 2,
    Managers: 1,
    RemoteManagers: [{ NodeID: m.id, Addr: '127.0.0.1:4000' }],
    Cluster: { ID: doc.id, Version: { Index: 3 }, Spec: { Name: 'default' } },
  });
  t.notOk('JoinTokens' in (info.Cluster as object), '/info never shows tokens');
  t.notOk(JSON.stringify(info).includes('h1'), 'nor their hashes');
  t.same((clusterView(doc, { Worker: 'W', Manager: 'M' }) as any).JoinTokens, { Worker: 'W', Manager: 'M' });
  t.notOk(JSON.stringify(clusterView(doc)).includes('nonce'));
  t.same(parseClusterDoc(JSON.stringify(doc)), doc);
  for (const raw of [undefined, '', '{', '[]', '{"id":1}']) t.equal(parseClusterDoc(raw), undefined, String(raw));
});
