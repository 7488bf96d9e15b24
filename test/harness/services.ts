/**
 * The stores the tests run against, real servers on loopback: a shared `main` instance of each kind, and a
 * `chaos` instance that only the tests which stop and restart a server use. `service(kind)` starts one or
 * reuses the one the harness started before (see owned.ts); `stop`/`start` are for outage tests.
 *
 * Every port is one no store uses by default (Consul 8500/8300-8302/8600, etcd 2379/2380, ZooKeeper 2181 stay
 * free for the machine's own servers), and a server answering on a harness port that the harness did not
 * start is refused, never adopted or stopped. SHOAL_TEST_CONSUL, SHOAL_TEST_ETCD and SHOAL_TEST_ZK
 * (HOST:PORT) point the main instances at servers you run yourself: the harness then neither starts nor
 * stops them (chaos instances are always the harness's own).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseHostPort } from '../../agents/common/address.js';
import { stateDir, stopProcess, waitFor, holdChaosForProcess } from './proc.js';
import { ensureOwned } from './owned.js';

export type ServiceKind = 'consul' | 'etcd' | 'zk';
export type Instance = 'main' | 'chaos';

export interface ServiceHandle {
  kind: ServiceKind;
  instance: Instance;
  host: string;
  port: number;
  /** `HOST:PORT` as a store URI wants it. */
  address: string;
  /** Given by SHOAL_TEST_<KIND>: not the harness's, never started or stopped by it. */
  external: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  running(): Promise<boolean>;
}

/** Client ports. Consul's other ports are these minus 200 (server), 199, 198 (serf) and plus 100 (DNS). */
export const PORTS: Record<ServiceKind, Record<Instance, number>> = {
  consul: { main: 21500, chaos: 22500 },
  etcd: { main: 23379, chaos: 24379 },
  zk: { main: 25181, chaos: 26181 },
};

export const EXTERNAL_ENV: Record<ServiceKind, string> = {
  consul: 'SHOAL_TEST_CONSUL',
  etcd: 'SHOAL_TEST_ETCD',
  zk: 'SHOAL_TEST_ZK',
};

/** The address of an instance: SHOAL_TEST_<KIND> for a main one when set, else the harness's port. Pure. */
export function serviceAddress(
  kind: ServiceKind,
  instance: Instance,
  env: NodeJS.ProcessEnv = process.env,
): { host: string; port: number; external: boolean } {
  const given = instance === 'main' ? env[EXTERNAL_ENV[kind]] : undefined;
  if (given === undefined || given === '') return { host: '127.0.0.1', port: PORTS[kind][instance], external: false };
  try {
    return { ...parseHostPort(given), external: true };
  } catch {
    throw new Error(`${EXTERNAL_ENV[kind]}=${JSON.stringify(given)}: expected HOST:PORT`);
  }
}

/**
 * The name of an instance's pid file, log, marker and data dir under STATE_DIR: with its port, so a server
 * started by another version of the harness on other ports is never mistaken for this one.
 */
export function serverName(kind: ServiceKind, instance: Instance): string {
  return `${kind}-${instance}-${PORTS[kind][instance]}`;
}

async function httpOk(url: string, pred: (body: string) => boolean): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return res.ok && pred(await res.text());
}

async function zkOk(host: string, port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = '';
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.on('connect', () => s.write('ruok'));
    s.on('data', (d) => (buf += d.toString()));
    s.on('close', () => resolve(buf === 'imok'));
    s.on('error', () => resolve(false));
  });
}

function ready(kind: ServiceKind, host: string, port: number): () => Promise<boolean> {
  switch (kind) {
    case 'consul':
      return () => httpOk(`http://${host}:${port}/v1/status/leader`, (b) => b.length > 4);
    case 'etcd':
      return () => httpOk(`http://${host}:${port}/health`, (b) => b.includes('true'));
    case 'zk':
      return () => zkOk(host, port);
  }
}

function consulHcl(port: number): string {
  // Sessions as short as 1 s so TTL tests run in seconds (production keeps Consul's 10 s minimum).
  const serf = `serf_lan = ${port - 199} serf_wan = ${port - 198}`;
  const ports = `http = ${port} dns = ${port + 100} server = ${port - 200} ${serf} grpc = -1`;
  return `session_ttl_min = "1s"\nports { ${ports} }\n`;
}

/** The command line of a store instance (writing the config files it reads). */
function command(kind: ServiceKind, instance: Instance, port: number): string[] {
  const name = serverName(kind, instance);
  const dir = stateDir(name);
  switch (kind) {
    case 'consul': {
      const hcl = path.join(dir, 'shoal.hcl');
      writeFileSync(hcl, consulHcl(port));
      const common = ['-client', '127.0.0.1', '-bind', '127.0.0.1', '-config-file', hcl];
      // main: a dev agent (in memory); chaos: a one-node server with a data dir, so a restart keeps the data
      // and the index moves on.
      return instance === 'main'
        ? ['consul', 'agent', '-dev', '-node', 'shoal-test', ...common]
        : [
            'consul',
            'agent',
            '-server',
            '-bootstrap-expect',
            '1',
            '-data-dir',
            path.join(dir, 'data'),
            '-node',
            'shoal-chaos',
            ...common,
          ];
    }
    case 'etcd': {
      const client = `http://127.0.0.1:${port}`;
      const peer = `http://127.0.0.1:${port + 1}`;
      return [
        'etcd',
        '--name',
        name,
        '--data-dir',
        path.join(dir, 'data'),
        '--listen-client-urls',
        client,
        '--advertise-client-urls',
        client,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `${name}=${peer}`,
        '--enable-v2=true',
        '--logger',
        'zap',
        '--log-level',
        'warn',
      ];
    }
    case 'zk': {
      const cfg = path.join(dir, 'zoo.cfg');
      const lines = [
        `tickTime=500`,
        `dataDir=${path.join(dir, 'data')}`,
        `clientPort=${port}`,
        'clientPortAddress=127.0.0.1',
        'admin.enableServer=false',
        '4lw.commands.whitelist=ruok,srvr,stat',
        'minSessionTimeout=1000',
        'maxSessionTimeout=60000',
      ];
      writeFileSync(cfg, `${lines.join('\n')}\n`);
      const classpath = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar';
      return [
        'java',
        '-Xmx256m',
        '-cp',
        classpath,
        `-Dzookeeper.log.dir=${dir}`,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        cfg,
      ];
    }
  }
}

export async function service(kind: ServiceKind, instance: Instance = 'main'): Promise<ServiceHandle> {
  if (instance === 'chaos') await holdChaosForProcess();
  const { host, port, external } = serviceAddress(kind, instance);
  const name = serverName(kind, instance);
  const isReady = ready(kind, host, port);
  const given = `${name} at ${host}:${port} (${EXTERNAL_ENV[kind]})`;
  const notOurs = async () => {
    throw new Error(`${given}: not the harness's; it does not stop or start it`);
  };
  const handle: ServiceHandle = {
    kind,
    instance,
    host,
    port,
    address: `${host}:${port}`,
    external,
    running: () => isReady().catch(() => false),
    start: external
      ? () => waitFor(given, handle.running, 10_000)
      : () => ensureOwned(name, port, isReady, () => command(kind, instance, port)),
    stop: external ? notOurs : () => stopProcess(name),
    async restart() {
      await handle.stop();
      await handle.start();
    },
  };
  await handle.start();
  return handle;
}

/** Stop every store the harness started (by pid file and marker); nothing else. */
export async function stopAllServices(): Promise<void> {
  for (const kind of Object.keys(PORTS) as ServiceKind[]) {
    for (const inst of ['main', 'chaos'] as Instance[]) await stopProcess(serverName(kind, inst));
  }
}
