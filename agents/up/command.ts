/**
 * `shoal up`, `shoal down`, `shoal status`: commander commands; bad flags are one-line ConfigErrors (exit 2).
 * Each command loads its implementation when it runs: every agent's process builds these commands, and must
 * not carry up's modules (execa among them) in memory.
 */
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { parseHostPort } from '../common/address.js';
import { ConfigError } from '../common/errors.js';
import { readState, defaultStateDir } from './state.js';
import { parseWait } from '../render/parse.js';
import type { UpOptions } from './types.js';

const out = (l: string) => process.stdout.write(`${l}\n`);

function hostPort(flag: string, v: string): { host: string; port: number } {
  try {
    return parseHostPort(v);
  } catch {
    throw new ConfigError(`shoal up: --${flag} ${JSON.stringify(v)}: expected HOST:PORT`, flag);
  }
}

function defaultDataDir(stateDir: string): string {
  return process.getuid?.() === 0 && stateDir === '/run/shoal-up' ? '/var/lib/shoal-up' : path.join(stateDir, 'data');
}

interface RawUp {
  store?: string;
  storeKind?: string;
  prefix?: string;
  engines: string;
  dockerHost?: string;
  engineAddr?: string;
  manager: string | false;
  proxy: string;
  edge: string | false;
  agents: boolean;
  demo?: boolean;
  domain: string;
  renderWait: string;
  stateDir?: string;
  dataDir?: string;
  storageDriver: string;
  keepOnError?: boolean;
}

/** Raw flags -> UpOptions, validated. Pure but for defaults from the environment. */
export function upOptions(o: RawUp, env: NodeJS.ProcessEnv = process.env): UpOptions {
  if (!/^\d$/.test(o.engines))
    throw new ConfigError(
      `shoal up: --engines ${JSON.stringify(o.engines)}: expected 0..9 (0: the local engine)`,
      'engines',
    );
  if (o.storeKind !== undefined && o.storeKind !== 'consul' && o.storeKind !== 'etcd')
    throw new ConfigError(
      `shoal up: --store-kind ${JSON.stringify(o.storeKind)}: expected consul or etcd`,
      'storeKind',
    );
  if (o.proxy !== 'haproxy' && o.proxy !== 'nginx')
    throw new ConfigError(`shoal up: --proxy ${JSON.stringify(o.proxy)}: expected haproxy or nginx`, 'proxy');
  if (
    o.prefix !== undefined &&
    (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(o.prefix) ||
      o.prefix.split('/').some((seg) => seg === '.' || seg === '..'))
  )
    throw new ConfigError(
      `shoal up: --prefix ${JSON.stringify(o.prefix)}: expected a key path such as demo or team/dev`,
      'prefix',
    );
  try {
    parseWait(o.renderWait);
  } catch (err) {
    throw new ConfigError(
      `shoal up: --render-wait ${JSON.stringify(o.renderWait)}: ${err instanceof Error ? err.message : String(err)}`,
      'renderWait',
    );
  }
  if (o.demo === true && (!(Number(o.engines) >= 3) || o.manager === false || o.edge === false || o.agents === false)) {
    throw new ConfigError(
      "shoal up: --demo places containers by the seed's engine labels: use it with --engines 3 (or more), the manager, the edge and the agents",
      'demo',
    );
  }
  const stateDir = path.resolve(o.stateDir ?? defaultStateDir(env));
  return {
    stateDir,
    dataDir: path.resolve(o.dataDir ?? defaultDataDir(stateDir)),
    store: o.store,
    storeKind: o.storeKind as UpOptions['storeKind'],
    prefix: o.prefix,
    engines: Number(o.engines),
    dockerHost: o.dockerHost ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock',
    engineAddr: o.engineAddr === undefined ? undefined : (hostPort('engine-addr', o.engineAddr), o.engineAddr),
    manager: o.manager === false ? undefined : hostPort('manager', o.manager),
    edge: o.edge === false ? undefined : { proxy: o.proxy, ...hostPort('edge', o.edge) },
    agents: o.agents,
    demo: o.demo === true,
    domain: o.domain,
    renderWait: o.renderWait,
    storageDriver: o.storageDriver,
    keepOnError: o.keepOnError === true,
  };
}

const stateDirOption = () =>
  new Option(
    '--state-dir <DIR>',
    `where up records what it started (default: /run/shoal-up as root, else ${path.join(os.tmpdir(), 'shoal-up-<uid>')})`,
  ).env('SHOAL_UP_STATE_DIR');

export function upCommands(): Command[] {
  const upCmd = new Command('up')
    .description(
      'Bring up a local cluster: store, engines, registrator + join per engine, manager on 127.0.0.1:2375, edge on 127.0.0.1:8080',
    )
    .option(
      '--store <URI>',
      'use this store (consul://, etcd://, etcd2://, zk://; its path is the key prefix) instead of starting one',
    )
    .option(
      '--store-kind <KIND>',
      'store to start when none is given: consul or etcd (default: consul if installed, else etcd)',
    )
    .option('--prefix <PATH>', 'key prefix of this cluster: <prefix>/services, <prefix>/swarm (default: none)')
    .option('--engines <N>', 'start N labelled Docker engines on loopback (127.0.2.N); 0 uses the local engine', '0')
    .option(
      '--docker-host <URL>',
      'the local engine when --engines is 0 (default: DOCKER_HOST or unix:///var/run/docker.sock)',
    )
    .option(
      '--engine-addr <HOST:PORT>',
      'TCP address the manager dials for the local engine (its dockerd -H tcp://...)',
    )
    .option('--manager <HOST:PORT>', 'manager API address', '127.0.0.1:2375')
    .option('--no-manager', 'do not start the manager')
    .option('--proxy <NAME>', 'edge proxy: haproxy or nginx', 'haproxy')
    .option('--edge <HOST:PORT>', 'edge HTTP address (HAProxy stats on the next port)', '127.0.0.1:8080')
    .option('--no-edge', 'do not start render and the proxy')
    .option('--no-agents', 'do not start registrator and join')
    .option(
      '--demo',
      "run the seed's sample: 2 proxy + 3 webapp containers placed by constraints, routed through the edge",
    )
    .option('--domain <DOMAIN>', 'edge routes <service>.<domain>', 'local')
    .option('--render-wait <MIN[:MAX]>', "render's quiescence (shoal render's own default is 500ms:5s)", '200ms:1s')
    .addOption(stateDirOption())
    .option('--data-dir <DIR>', 'engine data (default: /var/lib/shoal-up as root, else <state-dir>/data)')
    .option(
      '--storage-driver <NAME>',
      'storage driver of started engines (vfs works everywhere, also inside containers)',
      'vfs',
    )
    .option('--keep-on-error', 'leave what started running when a step fails (default: roll back)')
    .helpOption('-h, --help', 'show this help')
    .addHelpText(
      'after',
      "\nExamples:\n  shoal up --engines 3 --demo\n  docker -H 127.0.0.1:2375 run -d -e SERVICE_NAME=web -p 80 shoal/busybox httpd -f -p 80 -h /www\n  curl -H 'Host: web.local' 127.0.0.1:8080\n  shoal status\n  shoal down\n",
    )
    .action(async (o: RawUp) => {
      const options = upOptions(o);
      const { up } = await import('./up.js');
      process.exitCode = await up(options, { out, env: process.env });
    });
  const downCmd = new Command('down')
    .description('Stop and remove everything `shoal up` started, nothing else')
    .addOption(stateDirOption())
    .helpOption('-h, --help', 'show this help')
    .action(async (o: { stateDir?: string }) => {
      const { down } = await import('./down.js');
      process.exitCode = await down(path.resolve(o.stateDir ?? defaultStateDir()), { out });
    });
  const statusCmd = new Command('status')
    .description('Show the cluster `shoal up` started, as the store and the manager see it')
    .addOption(stateDirOption())
    .helpOption('-h, --help', 'show this help')
    .action(async (o: { stateDir?: string }) => {
      const dir = path.resolve(o.stateDir ?? defaultStateDir());
      const state = readState(dir);
      if (!state)
        throw new ConfigError(`shoal status: no cluster: nothing recorded in ${dir} (run 'shoal up')`, 'stateDir');
      const [{ openClusterStore }, { statusReport }] = await Promise.all([import('./store.js'), import('./status.js')]);
      const store = state.store
        ? await openClusterStore(state.store.base, state.prefix).catch(() => undefined)
        : undefined;
      try {
        out(await statusReport(state, store));
      } finally {
        await store?.close().catch(() => {});
      }
    });
  const forwardCmd = new Command('up-forward')
    .description('(used by shoal up) forward a loopback TCP address to the local engine socket')
    .argument('<listen>', 'HOST:PORT')
    .argument('<socket>', 'unix socket path')
    .action(async (listen: string, socket: string) => {
      const addr = hostPort('listen', listen);
      const { forward } = await import('./forward.js');
      const server = await forward(addr, socket);
      await new Promise<void>((resolve) => {
        for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => server.close(() => resolve()));
      });
    });
  return [upCmd, downCmd, statusCmd, forwardCmd];
}
