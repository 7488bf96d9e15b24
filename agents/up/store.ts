/**
 * The store of a local cluster: the one given with --store, else a Consul dev agent on 127.0.0.1:8500 (or
 * etcd on 127.0.0.1:2379 when consul is not installed) that up starts and `down` stops. When that port is
 * already in use (a system Consul, say), up stops there with a message naming the port: it never adopts,
 * stops or kills a server it did not start. A store given with --store is used and never stopped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { formatHostPort } from '../common/address.js';
import { ConfigError } from '../common/errors.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { parseStoreUri } from '../store/uri.js';
import { httpGet, tcpOpen, waitUntil } from './probe.js';
import { isAlive, logTail, startDetached, type ProcRecord } from './proc.js';
import type { StoreRef } from './state.js';

export type StoreKind = 'consul' | 'etcd';

export async function hasBinary(name: string): Promise<boolean> {
  const r = await execa('sh', ['-c', `command -v ${name}`], { reject: false });
  return r.exitCode === 0;
}

async function consulUp(): Promise<boolean> {
  const r = await httpGet('http://127.0.0.1:8500/v1/status/leader', { timeoutMs: 1000 });
  return r.status === 200 && r.body.length > 4;
}

async function etcdUp(): Promise<boolean> {
  const r = await httpGet('http://127.0.0.1:2379/health', { timeoutMs: 1000 });
  return r.status === 200 && r.body.includes('true');
}

/** `--store consul://h:p/some/path` -> the store without its path, and the path (a key prefix for the cluster). */
export function parseStoreFlag(uri: string): { ref: StoreRef; prefix: string } {
  let u;
  try {
    u = parseStoreUri(uri, ['consul', 'etcd', 'etcd2', 'zk']);
  } catch (err) {
    throw new ConfigError(
      `shoal up: --store ${JSON.stringify(uri)}: ${err instanceof Error ? err.message : String(err)}`,
      'store',
    );
  }
  const hosts = u.hosts.map((h) => formatHostPort(h)).join(',');
  return {
    ref: { kind: u.scheme as StoreRef['kind'], base: `${u.scheme}://${hosts}`, started: false },
    prefix: u.prefix,
  };
}

/**
 * A client rooted at the cluster's prefix (keys `services/...`, `swarm/...`): every backend handles a
 * prefixed URI, while a bare one trips the etcd backend.
 */
export function openClusterStore(base: string, prefix: string): Promise<Store> {
  return openStore(prefix === '' ? base : `${base}/${prefix}`, { timeoutMs: 5000 });
}

/**
 * The dev agent's extra config. session_ttl_min: the agents' leases (join/registrator --ttl 15s) are Consul
 * sessions of ttl/2, below Consul's default 10s minimum, which would refuse every one of them.
 */
export const CONSUL_DEV_HCL = 'session_ttl_min = "1s"\nports { grpc = -1 }\n';

export interface StartedStore {
  ref: StoreRef;
  proc?: ProcRecord | undefined;
}

/**
 * The refusal when the port up would start its store on is in use; `answers`: a server of that kind answers
 * there (else something else listens). Pure.
 */
export function storePortTaken(kind: StoreKind, port: number, answers: boolean): ConfigError {
  const name = kind === 'consul' ? 'Consul' : 'etcd';
  const other = kind === 'consul' ? 'etcd' : 'consul';
  const why = answers
    ? `a ${name} that shoal up did not start answers there; up never uses or stops it unasked: ` +
      `give --store ${kind}://127.0.0.1:${port}/PREFIX to use it`
    : `something that is not ${name} listens there: give --store URI, or --store-kind ${other}`;
  return new ConfigError(`shoal up: 127.0.0.1:${port} is in use: ${why}`, 'store');
}

export async function ensureStore(opts: { kind: StoreKind | undefined; stateDir: string }): Promise<StartedStore> {
  const kind = opts.kind ?? ((await hasBinary('consul')) ? 'consul' : (await hasBinary('etcd')) ? 'etcd' : undefined);
  if (!kind)
    throw new ConfigError(
      'shoal up: neither consul nor etcd is installed: install one (apt-get install consul | etcd-server) or give --store URI',
      'store',
    );
  if (kind === 'consul') {
    if (await tcpOpen('127.0.0.1', 8500)) throw storePortTaken('consul', 8500, await consulUp().catch(() => false));
    if (!(await hasBinary('consul')))
      throw new ConfigError('shoal up: consul is not installed (--store-kind consul)', 'store');
    const dir = path.join(opts.stateDir, 'consul');
    mkdirSync(dir, { recursive: true });
    const hcl = path.join(dir, 'shoal-up.hcl');
    writeFileSync(hcl, CONSUL_DEV_HCL);
    const proc = startDetached(
      'consul',
      'consul',
      ['agent', '-dev', '-client', '127.0.0.1', '-bind', '127.0.0.1', '-node', 'shoal-up', '-config-file', hcl],
      { log: path.join(opts.stateDir, 'logs', 'consul.log') },
    );
    await waitUntil('consul dev agent on 127.0.0.1:8500', consulUp, {
      timeoutMs: 60_000,
      abort: () => (isAlive(proc) ? undefined : `exited:\n${logTail(proc.log)}`),
    });
    return { ref: { kind: 'consul', base: 'consul://127.0.0.1:8500', started: true }, proc };
  }
  if (await tcpOpen('127.0.0.1', 2379)) throw storePortTaken('etcd', 2379, await etcdUp().catch(() => false));
  const data = path.join(opts.stateDir, 'etcd');
  mkdirSync(data, { recursive: true, mode: 0o700 });
  const proc = startDetached(
    'etcd',
    'etcd',
    [
      '--name',
      'shoal-up',
      '--data-dir',
      data,
      '--listen-client-urls',
      'http://127.0.0.1:2379',
      '--advertise-client-urls',
      'http://127.0.0.1:2379',
      '--listen-peer-urls',
      'http://127.0.0.1:2380',
      '--initial-advertise-peer-urls',
      'http://127.0.0.1:2380',
      '--initial-cluster',
      'shoal-up=http://127.0.0.1:2380',
      '--enable-v2=true',
      '--log-level',
      'warn',
    ],
    { log: path.join(opts.stateDir, 'logs', 'etcd.log') },
  );
  await waitUntil('etcd on 127.0.0.1:2379', etcdUp, {
    timeoutMs: 60_000,
    abort: () => (isAlive(proc) ? undefined : `exited:\n${logTail(proc.log)}`),
  });
  return { ref: { kind: 'etcd', base: 'etcd://127.0.0.1:2379', started: true }, proc };
}
