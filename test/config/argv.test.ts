import t from 'tap';
import { normalizeArgv } from '../../agents/config/argv.js';
import { parseAgentArgv } from '../../agents/config/command.js';
import { loadConfig } from '../../agents/config/load.js';
import type { AgentSpec } from '../../agents/config/spec.js';
import { joinSpec } from '../../agents/join/config.js';
import { manageSpec } from '../../agents/manage/config.js';
import { registratorSpec } from '../../agents/registrator/config.js';
import { ConfigError } from '../../agents/common/errors.js';

/** The command line as `shoal <agent> ARGS` would parse and validate it (empty environment). */
function parse<T>(spec: AgentSpec<T>, argv: string[]): T {
  return loadConfig(spec, { ...parseAgentArgv(spec, argv), env: {} }).config;
}

t.test("normalizeArgv: the seeds' spellings become commander's", async (t) => {
  const m = manageSpec.options;
  const r = registratorSpec.options;
  t.same(normalizeArgv(['-H=0.0.0.0:2375', 'consul://c/swarm'], m), ['-H', '0.0.0.0:2375', 'consul://c/swarm']);
  t.same(normalizeArgv(['-H', 'tcp://0.0.0.0:2376'], m), ['-H', 'tcp://0.0.0.0:2376']);
  t.same(normalizeArgv(['-ttl', '30', '-ip', '1.2.3.4'], r), ['--ttl', '30', '--ip', '1.2.3.4']);
  t.same(normalizeArgv(['-ttl=30', '-resync=5m'], r), ['--ttl=30', '--resync=5m']);
  t.same(normalizeArgv(['--internal=false', '--cleanup=true', '-explicit=1', '--health-aware=0'], r), [
    '--no-internal',
    '--cleanup',
    '--explicit',
    '--no-health-aware',
  ]);
  t.same(normalizeArgv(['-internal'], r), ['--internal']);
  t.same(normalizeArgv(['--advertise=10.0.0.1:2375'], joinSpec.options), ['--addr=10.0.0.1:2375']);
  t.same(normalizeArgv(['-advertise', '10.0.0.1:2375'], joinSpec.options), ['--addr', '10.0.0.1:2375']);
  t.same(normalizeArgv(['-config', '/etc/shoal.yaml'], r), ['--config', '/etc/shoal.yaml']);
  // left alone: unknown Go-style names, values of value flags, everything after --
  t.same(normalizeArgv(['-bogus', '--ip=false', '--', '-ttl', '--internal=false'], r), [
    '-bogus',
    '--ip=false',
    '--',
    '-ttl',
    '--internal=false',
  ]);
  t.same(normalizeArgv(['-X=1'], m), ['-X=1'], 'only known short flags split at =');
});

t.test('swarm manage spellings', async (t) => {
  const a = parse(manageSpec, ['-H=0.0.0.0:2375', 'consul://consulhost01/swarm']);
  t.same(a.hosts, [{ kind: 'tcp', host: '0.0.0.0', port: 2375 }]);
  t.equal(a.discovery, 'consul://consulhost01/swarm');

  const b = parse(manageSpec, ['-H', 'tcp://0.0.0.0:2376', '--discovery', 'consul://consulhost01/swarm']);
  t.same(b.hosts, [{ kind: 'tcp', host: '0.0.0.0', port: 2376 }]);
  t.equal(b.discovery, 'consul://consulhost01/swarm');

  const c = parse(manageSpec, [
    '-H',
    ':4000',
    '-H',
    'unix:///run/shoal.sock',
    '--strategy=binpack',
    '--filter',
    'health',
    '--filter=port',
    'nodes://a:1,b:2',
  ]);
  t.same(c.hosts, [
    { kind: 'tcp', host: '0.0.0.0', port: 4000 },
    { kind: 'unix', path: '/run/shoal.sock' },
  ]);
  t.equal(c.strategy, 'binpack');
  t.same(c.filters, ['health', 'port']);

  const replication = ['--replication', '-advertise=10.0.0.1:2380'];
  const d = parse(manageSpec, ['--host=127.0.0.1:2380', '--tlsverify=false', ...replication, 'consul://c/swarm']);
  t.same(d.hosts, [{ kind: 'tcp', host: '127.0.0.1', port: 2380 }]);
  t.equal(d.tlsVerify, false);
  t.same(d.replication, { advertise: '10.0.0.1:2380', ttlMs: 20_000 });
});

t.test('swarm join spellings', async (t) => {
  const a = parse(joinSpec, ['--addr=10.0.0.1:2375', 'consul://consulhost01/swarm']);
  t.same(a.addr, { host: '10.0.0.1', port: 2375 });
  t.equal(a.discovery?.scheme, 'consul');
  t.same(a.discovery?.hosts, [{ host: 'consulhost01', port: 8500 }]);
  t.equal(a.discovery?.prefix, 'swarm');

  const b = parse(joinSpec, [
    '-advertise=10.0.0.2:2376',
    '-heartbeat',
    '10',
    '-ttl',
    '30',
    '--discovery',
    'etcd://e1:2379,e2/swarm',
  ]);
  t.same(b.addr, { host: '10.0.0.2', port: 2376 });
  t.equal(b.heartbeatMs, 10_000);
  t.equal(b.ttlMs, 30_000);
  t.same(b.discovery?.hosts, [
    { host: 'e1', port: 2379 },
    { host: 'e2', port: 2379 },
  ]);

  t.equal(parse(joinSpec, ['--addr=10.0.0.1:2375', '--check-engine=false', 'consul://c/s']).checkEngine, false);
  t.equal(parse(joinSpec, ['--addr=10.0.0.1:2375', '--no-check-engine', 'consul://c/s']).checkEngine, false);
  t.equal(parse(joinSpec, ['--addr=10.0.0.1:2375', 'consul://c/s']).checkEngine, true);
});

t.test('registrator spellings (Go single-dash flags)', async (t) => {
  const a = parse(registratorSpec, [
    '-ttl',
    '30',
    '-ip',
    '1.2.3.4',
    '-ttl-refresh=10s',
    '-resync',
    '2m',
    '-internal',
    'consul://localhost:8500/services',
  ]);
  t.equal(a.ttlMs, 30_000);
  t.equal(a.ip, '1.2.3.4');
  t.equal(a.ttlRefreshMs, 10_000);
  t.equal(a.resyncMs, 120_000);
  t.equal(a.internal, true);
  t.equal(a.registry.prefix, 'services');

  const b = parse(registratorSpec, [
    '--internal=false',
    '--cleanup=false',
    '--retry-attempts',
    '-1',
    '--tags',
    'a,b',
    'etcd://10.0.0.5:2379/services',
  ]);
  t.equal(b.internal, false);
  t.equal(b.cleanup, false);
  t.equal(b.retryAttempts, -1);
  t.same(b.tags, ['a', 'b']);
  t.equal(b.ttlMs, 0, 'default ttl 0: never expire');
});

t.test('command-line mistakes are one-line ConfigErrors', async (t) => {
  const unknown = (() => {
    try {
      parseAgentArgv(joinSpec, ['--bogus']);
    } catch (e) {
      return e;
    }
  })();
  t.ok(unknown instanceof ConfigError);
  t.equal((unknown as ConfigError).message, "shoal join: unknown option '--bogus'");
  t.equal((unknown as ConfigError).exitCode, 2);
  t.throws(() => parseAgentArgv(joinSpec, ['--addr']), {
    message: /^shoal join: option '--addr <HOST:PORT>' argument missing$/,
  });
  t.throws(() => parseAgentArgv(joinSpec, ['a', 'b']), { message: /^shoal join: too many arguments/ });
  t.throws(() => parse(manageSpec, ['-H=nohost:99999', 'consul://c/s']), {
    message: 'shoal manage: --host ["nohost:99999"]: expected HOST:PORT',
  });
});
