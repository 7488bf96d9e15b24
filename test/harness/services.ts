/**
 * The stores the tests run against, real servers on loopback: a shared `main` instance of each kind, and a
 * `chaos` instance that only the tests which stop and restart a server use. `service(kind)` starts one or
 * reuses it if it already runs; `stop`/`start` are for outage tests.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDetached, stateDir, stopProcess, readPid, tcpOpen, waitFor, withLock, holdChaosForProcess } from './proc.js';

export type ServiceKind = 'consul' | 'etcd' | 'zk';
export type Instance = 'main' | 'chaos';

export interface ServiceHandle {
  kind: ServiceKind;
  instance: Instance;
  host: string;
  port: number;
  /** `HOST:PORT` as a store URI wants it. */
  address: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  running(): Promise<boolean>;
}

export const PORTS: Record<ServiceKind, Record<Instance, number>> = {
  consul: { main: 8500, chaos: 18500 },
  etcd: { main: 2379, chaos: 12379 },
  zk: { main: 2181, chaos: 12181 },
};

async function httpOk(url: string, pred: (body: string) => boolean): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return res.ok && pred(await res.text());
}

async function zkOk(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
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

function ready(kind: ServiceKind, port: number): () => Promise<boolean> {
  switch (kind) {
    case 'consul':
      return () => httpOk(`http://127.0.0.1:${port}/v1/status/leader`, (b) => b.length > 4);
    case 'etcd':
      return () => httpOk(`http://127.0.0.1:${port}/health`, (b) => b.includes('true'));
    case 'zk':
      return () => zkOk(port);
  }
}

function launch(kind: ServiceKind, instance: Instance, port: number): void {
  const name = `${kind}-${instance}`;
  const dir = stateDir(name);
  switch (kind) {
    case 'consul': {
      // Sessions as short as 1 s so TTL tests run in seconds (production keeps Consul's 10 s minimum).
      const off = instance === 'main' ? 0 : 10_000;
      const hcl = path.join(dir, 'shoal.hcl');
      writeFileSync(hcl, `session_ttl_min = "1s"\nports { http = ${port} dns = ${8600 + off} server = ${8300 + off} serf_lan = ${8301 + off} serf_wan = ${8302 + off} grpc = -1 }\n`);
      // main: the dev agent the brief names (in memory); chaos: a one-node server with a data dir, so a
      // restart keeps the data and the index moves on.
      const args =
        instance === 'main'
          ? ['agent', '-dev', '-client', '127.0.0.1', '-bind', '127.0.0.1', '-node', 'shoal-test', '-config-file', hcl]
          : ['agent', '-server', '-bootstrap-expect', '1', '-data-dir', path.join(dir, 'data'), '-client', '127.0.0.1', '-bind', '127.0.0.1', '-node', 'shoal-chaos', '-config-file', hcl];
      startDetached(name, 'consul', args);
      return;
    }
    case 'etcd': {
      const peer = port + 1;
      startDetached(name, 'etcd', [
        '--name', name, '--data-dir', path.join(dir, 'data'),
        '--listen-client-urls', `http://127.0.0.1:${port}`, '--advertise-client-urls', `http://127.0.0.1:${port}`,
        '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
        '--initial-cluster', `${name}=http://127.0.0.1:${peer}`, '--enable-v2=true', '--logger', 'zap', '--log-level', 'warn',
      ]);
      return;
    }
    case 'zk': {
      const cfg = path.join(dir, 'zoo.cfg');
      writeFileSync(
        cfg,
        [`tickTime=500`, `dataDir=${path.join(dir, 'data')}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'admin.enableServer=false',
          '4lw.commands.whitelist=ruok,srvr,stat', 'minSessionTimeout=1000', 'maxSessionTimeout=60000', ''].join('\n'),
      );
      startDetached(name, 'java', ['-Xmx256m', '-cp', '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar', `-Dzookeeper.log.dir=${dir}`, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg]);
      return;
    }
  }
}

export async function service(kind: ServiceKind, instance: Instance = 'main'): Promise<ServiceHandle> {
  if (instance === 'chaos') await holdChaosForProcess();
  const port = PORTS[kind][instance];
  const name = `${kind}-${instance}`;
  const isReady = ready(kind, port);
  const handle: ServiceHandle = {
    kind,
    instance,
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    async running() {
      return isReady().catch(() => false);
    },
    async start() {
      if (await handle.running()) return;
      await withLock(name, async () => {
        if (await handle.running()) return; // another process started it while we waited
        if (readPid(name) === undefined) {
          if (await tcpOpen('127.0.0.1', port)) throw new Error(`port ${port} is taken by a process the harness did not start (${name})`);
          launch(kind, instance, port);
        }
        await waitFor(`${name} on 127.0.0.1:${port}`, isReady, 90_000, name);
      });
    },
    async stop() {
      await stopProcess(name);
    },
    async restart() {
      await handle.stop();
      await handle.start();
    },
  };
  await handle.start();
  return handle;
}

export async function stopAllServices(): Promise<void> {
  for (const kind of Object.keys(PORTS) as ServiceKind[]) for (const inst of ['main', 'chaos'] as Instance[]) await stopProcess(`${kind}-${inst}`);
}
