/**
 * The cluster document: what `docker swarm init` creates and `GET /swarm` shows. Stored as one JSON value at
 * `docker/swarm/mode/cluster`; `version` is a counter bumped on every write and written with compare-and-set,
 * so a stale `?version=` answers Docker's "update out of sequence". Pure.
 */
import { SwarmInputError } from './errors.js';
import { boolField, count, isObject, labels, name } from './validate.js';
import type { TokenRecord, TokenRole } from './tokens.js';

export interface SwarmSpec {
  Name: string;
  Labels: Record<string, string>;
  Orchestration: { TaskHistoryRetentionLimit: number };
  Raft: {
    SnapshotInterval: number;
    KeepOldSnapshots: number;
    LogEntriesForSlowFollowers: number;
    ElectionTick: number;
    HeartbeatTick: number;
  };
  Dispatcher: { HeartbeatPeriod: number };
  CAConfig: { NodeCertExpiry: number };
  TaskDefaults: { LogDriver?: { Name: string; Options: Record<string, string> } };
  EncryptionConfig: { AutoLockManagers: boolean };
}

export interface ClusterDoc {
  id: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  spec: SwarmSpec;
  ca: { cert: string; digest: string };
  tokens: Record<TokenRole, TokenRecord>;
  defaultAddrPool: string[];
  subnetSize: number;
  dataPathPort: number;
}

const SECOND = 1_000_000_000;

/** Docker's defaults where a spec leaves a field zero or out (the CLI's init sends mostly zeros). */
export function normalizeSpec(raw: unknown, field = 'Spec'): SwarmSpec {
  const s = raw === undefined || raw === null ? {} : raw;
  if (!isObject(s)) throw new SwarmInputError(field, 'expected an object');
  const sub = (k: string): Record<string, unknown> => {
    const v = s[k];
    if (v === undefined || v === null) return {};
    if (!isObject(v)) throw new SwarmInputError(`${field}.${k}`, 'expected an object');
    return v;
  };
  const o = sub('Orchestration');
  const r = sub('Raft');
  const d = sub('Dispatcher');
  const c = sub('CAConfig');
  const e = sub('EncryptionConfig');
  const td = sub('TaskDefaults');
  const specName = name(`${field}.Name`, s.Name) || 'default';
  if (specName !== 'default') throw new SwarmInputError(`${field}.Name`, `${JSON.stringify(s.Name)}: expected default`);
  const autolock = boolField(`${field}.EncryptionConfig.AutoLockManagers`, e.AutoLockManagers);
  if (autolock)
    throw new SwarmInputError(`${field}.EncryptionConfig.AutoLockManagers`, 'autolock is not supported by shoal');
  return {
    Name: specName,
    Labels: labels(`${field}.Labels`, s.Labels),
    Orchestration: {
      TaskHistoryRetentionLimit: count(
        `${field}.Orchestration.TaskHistoryRetentionLimit`,
        o.TaskHistoryRetentionLimit,
        5,
        1000,
      ),
    },
    Raft: {
      SnapshotInterval: count(`${field}.Raft.SnapshotInterval`, r.SnapshotInterval, 10000),
      KeepOldSnapshots: count(`${field}.Raft.KeepOldSnapshots`, r.KeepOldSnapshots, 0),
      LogEntriesForSlowFollowers: count(`${field}.Raft.LogEntriesForSlowFollowers`, r.LogEntriesForSlowFollowers, 500),
      ElectionTick: count(`${field}.Raft.ElectionTick`, r.ElectionTick, 10, 1_000_000),
      HeartbeatTick: count(`${field}.Raft.HeartbeatTick`, r.HeartbeatTick, 1, 1_000_000),
    },
    Dispatcher: { HeartbeatPeriod: count(`${field}.Dispatcher.HeartbeatPeriod`, d.HeartbeatPeriod, 5 * SECOND) },
    CAConfig: { NodeCertExpiry: count(`${field}.CAConfig.NodeCertExpiry`, c.NodeCertExpiry, 90 * 24 * 3600 * SECOND) },
    TaskDefaults: taskDefaults(`${field}.TaskDefaults`, td),
    EncryptionConfig: { AutoLockManagers: false },
  };
}

/** `TaskDefaults`: only `LogDriver` ({Name, Options}), as Docker has it; anything else is refused. */
function taskDefaults(field: string, td: Record<string, unknown>): SwarmSpec['TaskDefaults'] {
  for (const k of Object.keys(td))
    if (k !== 'LogDriver') throw new SwarmInputError(`${field}.${k}`, 'unknown field: expected LogDriver');
  const ld = td.LogDriver;
  if (ld === undefined || ld === null) return {};
  if (!isObject(ld)) throw new SwarmInputError(`${field}.LogDriver`, 'expected an object');
  const driver = name(`${field}.LogDriver.Name`, ld.Name);
  if (driver === '') return {};
  return { LogDriver: { Name: driver, Options: labels(`${field}.LogDriver.Options`, ld.Options) } };
}

/** The parts of `POST /swarm/init`'s body shoal uses, checked; `ListenAddr`, `DataPathAddr` are ignored. */
export interface InitRequest {
  advertiseAddr: string;
  availability: '' | 'active' | 'pause' | 'drain';
  spec: SwarmSpec;
  defaultAddrPool: string[];
  subnetSize: number;
  dataPathPort: number;
}

const HOSTPORT = /^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/;
const CIDR = /^\d{1,3}(?:\.\d{1,3}){3}\/\d{1,2}$/;

export function parseInit(body: unknown): InitRequest {
  const b = body === undefined || body === null ? {} : body;
  if (!isObject(b)) throw new SwarmInputError('body', 'expected a JSON object');
  const adv = b.AdvertiseAddr ?? '';
  if (typeof adv !== 'string' || (adv !== '' && !HOSTPORT.test(adv)))
    throw new SwarmInputError('AdvertiseAddr', `${JSON.stringify(adv)}: expected an address or HOST:PORT`);
  const av = b.Availability ?? '';
  if (av !== '' && av !== 'active' && av !== 'pause' && av !== 'drain')
    throw new SwarmInputError('Availability', `${JSON.stringify(av)}: expected active, pause or drain`);
  if (b.AutoLockManagers === true) throw new SwarmInputError('AutoLockManagers', 'autolock is not supported by shoal');
  const pool = b.DefaultAddrPool ?? [];
  if (!Array.isArray(pool) || pool.some((p) => typeof p !== 'string' || !CIDR.test(p)))
    throw new SwarmInputError('DefaultAddrPool', 'expected a list of IPv4 CIDRs');
  return {
    advertiseAddr: adv,
    availability: av as InitRequest['availability'],
    spec: normalizeSpec(b.Spec),
    defaultAddrPool: pool.length === 0 ? ['10.0.0.0/8'] : (pool as string[]),
    subnetSize: count('SubnetSize', b.SubnetSize, 24, 29),
    dataPathPort: count('DataPathPort', b.DataPathPort, 4789, 65535),
  };
}

/** `GET /swarm` (with the tokens) or `/info`'s `Cluster` (without). */
export function clusterView(doc: ClusterDoc, tokens?: { Worker: string; Manager: string }): Record<string, unknown> {
  return {
    ID: doc.id,
    Version: { Index: doc.version },
    CreatedAt: doc.createdAt,
    UpdatedAt: doc.updatedAt,
    Spec: doc.spec,
    TLSInfo: { TrustRoot: doc.ca.cert, CertIssuerSubject: '', CertIssuerPublicKey: '' },
    RootRotationInProgress: false,
    DefaultAddrPool: doc.defaultAddrPool,
    SubnetSize: doc.subnetSize,
    DataPathPort: doc.dataPathPort,
    ...(tokens ? { JoinTokens: tokens } : {}),
  };
}

/** Parse a stored document; anything unreadable is treated as "no cluster" by the caller. */
export function parseClusterDoc(raw: string | undefined): ClusterDoc | undefined {
  if (raw === undefined) return undefined;
  try {
    const d = JSON.parse(raw) as ClusterDoc;
    if (!isObject(d) || typeof d.id !== 'string' || typeof d.version !== 'number' || !isObject(d.tokens))
      return undefined;
    return d;
  } catch {
    return undefined;
  }
}

/** The `rotate*Token` flags of `POST /swarm/update`: absent or `true`/`false`/`1`/`0`. */
export function rotateFlag(field: string, v: string | null): boolean {
  if (v === null || v === '' || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new SwarmInputError(field, `${JSON.stringify(v)}: expected true or false`);
}
