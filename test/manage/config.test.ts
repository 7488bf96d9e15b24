/**
 * `shoal manage` options: every check happens once at the edge, as a ConfigError (exit 2) naming the field,
 * and the manager receives parsed values (numbers, a replication block only when it can run).
 */
import t from 'tap';
import { loadConfig } from '../../agents/config/load.js';
import { ConfigError } from '../../agents/common/errors.js';
import { manageSpec } from '../../agents/manage/config.js';

const URI = 'consul://consulhost01/swarm';

interface Input {
  flags?: Record<string, unknown>;
  positional?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

const load = ({ flags = {}, positional = URI, env = {} }: Input) =>
  loadConfig(manageSpec, { flags, positional, env }).config;

/** The ConfigError's field, whole message and exit code. */
function refused(input: Input) {
  try {
    load(input);
  } catch (err) {
    if (err instanceof ConfigError) return { field: err.field, message: err.message, exitCode: err.exitCode };
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const PREFIX = 'shoal manage: ';

t.test('discovery: a URI parseDiscovery refuses is refused at load, naming where it came from', async (t) => {
  t.same(refused({ positional: 'bogus://x/y' }), {
    field: 'discovery',
    message:
      `${PREFIX}<discovery> "bogus://x/y": unknown discovery scheme "bogus": ` +
      'expected consul, etcd, etcd2, zk, file or nodes',
    exitCode: 2,
  });
  t.same(refused({ flags: { discovery: 'file://relative/nodes' }, positional: undefined }), {
    field: 'discovery',
    message: `${PREFIX}--discovery "file://relative/nodes": expected file:///absolute/path`,
    exitCode: 2,
  });
  t.match(refused({ positional: 'nodes://10.0.0.[20:10]:2375' }), { field: 'discovery', message: /: 20 is above 10$/ });
  t.match(refused({ positional: undefined, env: { SHOAL_DISCOVERY: 'h1' } }), {
    field: 'discovery',
    message: `${PREFIX}SHOAL_DISCOVERY "h1": invalid node address "h1": expected HOST:PORT`,
  });
  t.equal(load({ positional: '  nodes://10.0.0.[1:2]:2375 ' }).discovery, 'nodes://10.0.0.[1:2]:2375', 'kept, trimmed');
});

t.test('replication: needs a store discovery and --advertise', async (t) => {
  t.same(refused({ flags: { replication: true, advertise: '10.0.0.1:2375' }, positional: 'nodes://10.0.0.2:2375' }), {
    field: 'replication',
    message: `${PREFIX}--replication "true": expected a store discovery (consul://, etcd://, etcd2://, zk://) as well`,
    exitCode: 2,
  });
  t.same(refused({ flags: { replication: true } }), {
    field: 'advertise',
    message: `${PREFIX}--advertise: expected HOST:PORT with --replication: where other managers reach this one`,
    exitCode: 2,
  });
  const on = load({ flags: { replication: true, advertise: '10.0.0.1:2375', replicationTtl: '9s' } });
  t.same(on.replication, { advertise: '10.0.0.1:2375', ttlMs: 9000 });
  const off = load({ flags: { advertise: '10.0.0.1:2375' }, positional: 'nodes://10.0.0.2:2375' });
  t.equal(off.replication, undefined, 'off: no replication block');
});

t.test('--cluster-opt: parsed to numbers at load; each bad one named', async (t) => {
  const opts = (clusterOpts: string[]) => load({ flags: { clusterOpts } }).clusterOpts;
  t.same(opts([]), { overcommit: 0.05, createRetry: 0 }, 'defaults');
  t.same(opts(['swarm.overcommit=-0.5', 'swarm.createretry=2']), { overcommit: -0.5, createRetry: 2 });
  t.same(opts(['swarm.createretry=2', 'swarm.createretry=3']).createRetry, 3, 'the last one wins');
  const bad: [string, string][] = [
    ['overcommit', 'expected KEY=VALUE'],
    ['=1', 'expected KEY=VALUE'],
    ['swarm.overcommit=lots', 'expected swarm.overcommit as a fraction, e.g. 0.05'],
    ['swarm.overcommit=11', 'expected swarm.overcommit as a fraction, e.g. 0.05'],
    ['swarm.createretry=-1', 'expected swarm.createretry as a whole number'],
    ['swarm.createretry=1.5', 'expected swarm.createretry as a whole number'],
    ['swarm.x=1', 'unknown cluster option "swarm.x": expected swarm.overcommit or swarm.createretry'],
  ];
  for (const [kv, why] of bad) {
    const message = `${PREFIX}--cluster-opt ${JSON.stringify([kv])}: ${why}`;
    t.same(refused({ flags: { clusterOpts: [kv] } }), { field: 'clusterOpts', message, exitCode: 2 }, kv);
  }
  t.match(refused({ env: { SHOAL_CLUSTER_OPT: 'swarm.createretry=x' } }), {
    field: 'clusterOpts',
    message: `${PREFIX}SHOAL_CLUSTER_OPT ["swarm.createretry=x"]: expected swarm.createretry as a whole number`,
  });
});

t.test('names and ranges: strategy, filters, retries, refresh interval, TLS', async (t) => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{ strategy: 'fastest' }, 'strategy', '--strategy "fastest": expected one of spread, binpack, random'],
    [{ filters: ['health', 'nearby'] }, 'filters', '--filter ["health","nearby"]: expected one of health, port, '],
    [{ failureRetry: '0' }, 'failureRetry', '--engine-failure-retry "0": expected an integer 1..1000'],
    [{ refreshMin: '90s' }, 'refreshMin', '--engine-refresh-min-interval "90s": expected at most --engine-refresh-max'],
    [{ tls: true, tlsCert: 'c.pem' }, 'tls', '--tls "true": expected --tlscert and --tlskey as well'],
    [{ tlsVerify: true, tlsCert: 'c', tlsKey: 'k' }, 'tlsVerify', '--tlsverify "true": expected --tlscacert as well'],
  ];
  for (const [flags, field, start] of cases) {
    const r = refused({ flags });
    t.equal(r.field, field, field);
    t.equal(r.message.slice(0, PREFIX.length + start.length), PREFIX + start, field);
  }
});

t.test('--ui: off by default; HOST:PORT parsed at load; --ui-routes a store URI that needs --ui', async (t) => {
  const off = load({});
  t.equal(off.ui, undefined, 'off by default');
  t.equal(off.uiRoutes, undefined);
  t.same(load({ flags: { ui: '127.0.0.1:8080' } }).ui, { host: '127.0.0.1', port: 8080 });
  t.same(load({ flags: { ui: ':9090' } }).ui, { host: '0.0.0.0', port: 9090 });
  t.same(load({ flags: { ui: 'tcp://10.0.0.1:80' } }).ui, { host: '10.0.0.1', port: 80 });
  const routes = load({ flags: { ui: '127.0.0.1:8080', uiRoutes: 'consul://127.0.0.1:8500/services' } });
  t.equal(routes.uiRoutes, 'consul://127.0.0.1:8500/services');
  const cases: [Record<string, unknown>, string, string][] = [
    [{ ui: 'unix:///run/ui.sock' }, 'ui', '--ui "unix:///run/ui.sock": expected HOST:PORT, e.g. 127.0.0.1:8080'],
    [{ ui: '127.0.0.1:99999' }, 'ui', '--ui "127.0.0.1:99999": '],
    [{ ui: ':8080', uiRoutes: 'http://x/services' }, 'uiRoutes', '--ui-routes "http://x/services": '],
    [{ uiRoutes: 'consul://127.0.0.1:8500/services' }, 'uiRoutes', '--ui-routes '],
  ];
  for (const [flags, field, start] of cases) {
    const r = refused({ flags });
    t.equal(r.field, field, start);
    t.equal(r.message.slice(0, PREFIX.length + start.length), PREFIX + start, start);
  }
  t.match(refused({ flags: { uiRoutes: 'consul://127.0.0.1:8500/services' } }).message, /expected --ui as well/);
});
