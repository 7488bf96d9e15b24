/** `shoal join` options, as `swarm join` took them, plus the local engine check. */
import { bool, duration, hostPort, storeUri, text } from '../config/fields.js';
import { sharedConfigFrom, sharedOptions, type SharedConfig } from '../config/common.js';
import { isIssue, type AgentSpec, type Issue } from '../config/spec.js';
import { formatDuration } from '../common/duration.js';
import type { HostPort } from '../common/address.js';
import type { StoreUri } from '../store/uri.js';

/** `--token` admission: ask a swarm-mode manager to admit this host before heartbeating. */
export interface JoinAdmission {
  token: string;
  manager: HostPort;
  /** Verify the manager over TLS against this CA file; absent: plain HTTP. */
  managerCa: string | undefined;
  /** A client certificate and key for a manager that requires one (--tlsverify). */
  managerCert: string | undefined;
  managerKey: string | undefined;
  /** Where the node's key (made here, never sent) and its certificate from the cluster CA go. */
  certDir: string | undefined;
}

export interface JoinConfig extends SharedConfig {
  /** Absent: the discovery URI the manager gives back at admission. */
  discovery: (StoreUri & { text: string }) | undefined;
  admission: JoinAdmission | undefined;
  addr: HostPort;
  heartbeatMs: number;
  ttlMs: number;
  delayMs: number;
  dockerHost: string;
  checkEngine: boolean;
  /** Serve /healthz and /metrics here. */
}

export const joinSpec: AgentSpec<JoinConfig> = {
  name: 'join',
  summary: 'Advertise this Docker engine in the store (/swarm/<ip>:<port>), refreshed while it answers',
  positional: {
    key: 'discovery',
    name: 'discovery-uri',
    description:
      'consul://, etcd://, etcd2:// or zk:// URI whose path is the node prefix; with --token, the manager HOST:PORT instead',
    alternate: { key: 'manager', matches: (raw) => !raw.includes('://') },
  },
  options: [
    {
      key: 'discovery',
      flag: 'discovery',
      value: 'URI',
      description: 'discovery URI (same as the positional argument)',
      schema: storeUri(['consul', 'etcd', 'etcd2', 'zk']),
    },
    {
      key: 'addr',
      flag: 'addr',
      aliases: ['advertise'],
      value: 'HOST:PORT',
      description: 'engine address to advertise (required)',
      schema: hostPort(),
    },
    {
      key: 'heartbeat',
      flag: 'heartbeat',
      value: 'DURATION',
      description: 'how often the key is refreshed',
      default: '20s',
      schema: duration(),
    },
    {
      key: 'ttl',
      flag: 'ttl',
      value: 'DURATION',
      description: 'how long the key outlives the last heartbeat (must exceed --heartbeat)',
      default: '60s',
      schema: duration(),
    },
    {
      key: 'delay',
      flag: 'delay',
      value: 'DURATION',
      description: 'wait a random time up to this before the first registration',
      default: '0s',
      schema: duration(),
    },
    {
      key: 'dockerHost',
      flag: 'docker-host',
      value: 'URL',
      description: 'local engine checked with /_ping',
      default: 'unix:///var/run/docker.sock',
      schema: text(),
      env: ['DOCKER_HOST'],
    },
    {
      key: 'checkEngine',
      flag: 'check-engine',
      description:
        'stop refreshing the key while the local engine does not answer /_ping, so it expires after --ttl (false: refresh regardless, as swarm join did)',
      default: true,
      schema: bool(),
    },
    {
      key: 'token',
      flag: 'token',
      value: 'TOKEN',
      description: 'join token of a swarm-mode cluster (docker swarm join-token): be admitted by --manager first',
      schema: text(),
      secret: true,
    },
    {
      key: 'manager',
      flag: 'manager',
      value: 'HOST:PORT',
      description: 'manager API address that admits this host (the address docker swarm join-token prints)',
      schema: hostPort(),
    },
    {
      key: 'managerCa',
      flag: 'manager-ca',
      value: 'FILE',
      description: 'reach --manager over TLS, verified against this CA certificate (the cluster CA)',
      schema: text(),
    },
    {
      key: 'managerCert',
      flag: 'manager-cert',
      value: 'FILE',
      description: 'client certificate for a manager that requires one (--tlsverify)',
      schema: text(),
    },
    {
      key: 'managerKey',
      flag: 'manager-key',
      value: 'FILE',
      description: 'key of --manager-cert',
      schema: text(),
    },
    {
      key: 'certDir',
      flag: 'cert-dir',
      value: 'DIR',
      description:
        "with --token: make this host's key here and have the cluster CA certify it (key.pem, cert.pem, ca.pem)",
      schema: text(),
    },
    ...sharedOptions(),
  ],
  examples: [
    'shoal join --addr=10.0.0.1:2375 consul://consulhost01/swarm',
    'shoal join --advertise 10.0.0.1:2376 --heartbeat 10s --ttl 30s etcd://10.0.0.5:2379/swarm',
    'shoal join --addr 10.0.0.1:2375 --token SWMTKN-1-... 10.0.0.5:2376',
  ],
  finish(v) {
    const admission = admissionFrom(v);
    if (isIssue(admission)) return admission;
    if (v.discovery === undefined && !admission)
      return { key: 'discovery', message: 'expected a discovery URI such as consul://HOST/swarm' };
    if (v.addr === undefined) return { key: 'addr', message: 'expected HOST:PORT (--addr is required)' };
    const heartbeatMs = v.heartbeat as number;
    const ttlMs = v.ttl as number;
    if (heartbeatMs <= 0) return { key: 'heartbeat', message: 'expected a duration above 0' };
    if (ttlMs <= heartbeatMs)
      return { key: 'ttl', message: `expected a duration longer than --heartbeat (${formatDuration(heartbeatMs)})` };
    return {
      discovery: v.discovery as JoinConfig['discovery'],
      admission,
      addr: v.addr as HostPort,
      heartbeatMs,
      ttlMs,
      delayMs: v.delay as number,
      dockerHost: v.dockerHost as string,
      checkEngine: v.checkEngine as boolean,
      ...sharedConfigFrom(v),
    };
  },
};

function admissionFrom(v: Record<string, unknown>): JoinAdmission | undefined | Issue {
  const token = v.token as string | undefined;
  const manager = v.manager as HostPort | undefined;
  if (token === undefined) {
    for (const key of ['manager', 'managerCa', 'managerCert', 'managerKey', 'certDir'])
      if (v[key] !== undefined) return { key, message: 'only used with --token (swarm-mode admission)' };
    return undefined;
  }
  if (token.trim() === '') return { key: 'token', message: 'expected a join token (SWMTKN-1-...)' };
  if (manager === undefined)
    return { key: 'token', message: 'expected the manager address as well (--manager or the HOST:PORT argument)' };
  if ((v.managerCert === undefined) !== (v.managerKey === undefined))
    return {
      key: v.managerCert === undefined ? 'managerKey' : 'managerCert',
      message: 'expected --manager-cert and --manager-key together',
    };
  if (v.managerCert !== undefined && v.managerCa === undefined)
    return { key: 'managerCert', message: 'expected --manager-ca as well (a client certificate only goes over TLS)' };
  return {
    token: token.trim(),
    manager,
    managerCa: v.managerCa as string | undefined,
    managerCert: v.managerCert as string | undefined,
    managerKey: v.managerKey as string | undefined,
    certDir: v.certDir as string | undefined,
  };
}
