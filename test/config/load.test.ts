import t from 'tap';
import { loadConfig, redactCredentials, type RawInput } from '../../agents/config/load.js';
import { joinSpec } from '../../agents/join/config.js';
import { manageSpec } from '../../agents/manage/config.js';
import { registratorSpec } from '../../agents/registrator/config.js';
import { renderSpec } from '../../agents/render/config.js';
import { int, text } from '../../agents/config/fields.js';
import type { AgentSpec } from '../../agents/config/spec.js';
import { ConfigError } from '../../agents/common/errors.js';

const URI = 'consul://consulhost01/swarm';

/** loadConfig with a YAML file given as text (never touching the disk). */
function load<T>(spec: AgentSpec<T>, input: Partial<RawInput> & { yaml?: string }) {
  const { yaml, ...rest } = input;
  return loadConfig(spec, {
    flags: {},
    env: {},
    ...(yaml !== undefined ? { configFile: '/etc/shoal/test.yaml', readFile: () => yaml } : {}),
    ...rest,
  });
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

t.test('precedence: flag > env > file > default, and the source of each value', async (t) => {
  const base = { positional: URI, flags: { addr: '10.0.0.1:2375' } };
  const yaml = 'ttl: 3m\nheartbeat: 7s\n';
  const env = { SHOAL_TTL: '2m', SHOAL_DELAY: '1s' };

  const all = load(joinSpec, { ...base, flags: { ...base.flags, ttl: '90s' }, env, yaml });
  t.equal(all.config.ttlMs, 90_000, 'flag beats env and file');
  t.equal(all.sources.ttl, 'flag');

  const envFile = load(joinSpec, { ...base, env, yaml });
  t.equal(envFile.config.ttlMs, 120_000, 'env beats file');
  t.equal(envFile.sources.ttl, 'env');
  t.equal(envFile.config.heartbeatMs, 7_000, 'file beats default');
  t.equal(envFile.sources.heartbeat, 'file');
  t.equal(envFile.config.delayMs, 1_000);

  const none = load(joinSpec, base);
  t.equal(none.config.ttlMs, 60_000, 'default');
  t.equal(none.config.heartbeatMs, 20_000);
  t.equal(none.sources.ttl, 'default');
});

t.test('SHOAL_<FLAG> beats the extra env names (DOCKER_HOST), which beat the file', async (t) => {
  const base = { positional: URI, flags: { addr: '10.0.0.1:2375' } };
  const yaml = 'docker-host: unix:///from/file.sock\n';
  t.equal(load(joinSpec, { ...base, yaml }).config.dockerHost, 'unix:///from/file.sock');
  t.equal(
    load(joinSpec, { ...base, yaml, env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' } }).config.dockerHost,
    'tcp://127.0.0.1:2375',
  );
  t.equal(
    load(joinSpec, {
      ...base,
      yaml,
      env: { DOCKER_HOST: 'tcp://127.0.0.1:2375', SHOAL_DOCKER_HOST: 'unix:///shoal.sock' },
    }).config.dockerHost,
    'unix:///shoal.sock',
  );
  t.equal(
    load(joinSpec, { ...base, env: { SHOAL_DOCKER_HOST: '' } }).config.dockerHost,
    'unix:///var/run/docker.sock',
    'an empty env var is unset',
  );
});

t.test('the config file comes from --config or SHOAL_CONFIG', async (t) => {
  const files: Record<string, string> = { '/a.yaml': 'ttl: 40s\n', '/b.yaml': 'ttl: 50s\n' };
  const readFile = (p: string) => files[p] ?? '';
  const base = { positional: URI, flags: { addr: '10.0.0.1:2375' }, readFile };
  t.equal(load(joinSpec, { ...base, env: { SHOAL_CONFIG: '/b.yaml' } }).config.ttlMs, 50_000);
  t.equal(load(joinSpec, { ...base, configFile: '/a.yaml', env: { SHOAL_CONFIG: '/b.yaml' } }).config.ttlMs, 40_000);
});

t.test('durations: 30, 30s, 500ms, 2m, and YAML numbers as seconds', async (t) => {
  const cases: [string | number, number][] = [
    ['30', 30_000],
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1m30s', 90_000],
    [45, 45_000],
  ];
  for (const [raw, ms] of cases) {
    const flags = typeof raw === 'number' ? {} : { storeTimeout: raw };
    const yaml = typeof raw === 'number' ? `store-timeout: ${raw}\n` : undefined;
    const c = load(joinSpec, {
      positional: URI,
      flags: { addr: '10.0.0.1:2375', ...flags },
      ...(yaml ? { yaml } : {}),
    });
    t.equal(c.config.store.timeoutMs, ms, String(raw));
  }
  t.equal(
    errorOf(() => load(joinSpec, { positional: URI, flags: { addr: '10.0.0.1:2375', heartbeat: '10x' } })).message,
    'shoal join: --heartbeat "10x": expected a duration such as 30s, 500ms or 2m',
  );
});

t.test('invalid input: one line naming the field, the value and the expectation; exit code 2', async (t) => {
  const e = errorOf(() => load(joinSpec, { positional: URI, flags: { addr: 'notanaddr' } }));
  t.equal(e.message, 'shoal join: --addr "notanaddr": expected HOST:PORT');
  t.equal(e.exitCode, 2);
  t.equal(e.code, 'SHOAL_CONFIG_INVALID');
  t.equal(e.field, 'addr');
  t.notOk(e.message.includes('\n'));

  t.equal(
    errorOf(() => load(joinSpec, { positional: URI, flags: { addr: '10.0.0.1:2375' }, env: { SHOAL_TTL: 'soon' } }))
      .message,
    'shoal join: SHOAL_TTL "soon": expected a duration such as 30s, 500ms or 2m',
    'an env value is named by its variable',
  );
  t.match(
    errorOf(() => load(joinSpec, { positional: URI, flags: { addr: '10.0.0.1:2375' }, yaml: 'ttl: soon\n' })).message,
    /^shoal join: ttl \(in \/etc\/shoal\/test.yaml\) "soon": expected a duration/,
    'a file value is named by its key and file',
  );
  t.equal(
    errorOf(() => load(joinSpec, { positional: URI, flags: { addr: '10.0.0.1:2375', heartbeat: '10s', ttl: '5s' } }))
      .message,
    'shoal join: --ttl "5s": expected a duration longer than --heartbeat (10s)',
    'cross-field checks name the field too',
  );
  t.equal(
    errorOf(() => load(manageSpec, { positional: URI, flags: { strategy: 'fastest' } })).message,
    'shoal manage: --strategy "fastest": expected one of spread, binpack, random',
  );
  t.equal(
    errorOf(() => load(joinSpec, { flags: { addr: '10.0.0.1:2375' } })).message,
    'shoal join: --discovery: expected a discovery URI such as consul://HOST/swarm',
  );
  t.match(
    errorOf(() => load(joinSpec, { positional: 'http://x/y', flags: { addr: '10.0.0.1:2375' } })).message,
    /^shoal join: <discovery-uri> "http:\/\/x\/y": expected consul:\/\/HOST\[:PORT\]\/PREFIX/,
  );
});

t.test('YAML: kebab-case and camelCase keys, lists, booleans; unknown keys and bad files named', async (t) => {
  const yaml = [
    'host:',
    '  - tcp://127.0.0.1:2375',
    '  - unix:///run/shoal.sock',
    'engine-refresh-min-interval: 10s',
    'refreshMax: 20s',
    'replication: true',
    'advertise: 10.0.0.1:2375',
    'discovery: consul://c1/swarm',
    '',
  ].join('\n');
  const c = load(manageSpec, { yaml }).config;
  t.same(c.hosts, [
    { kind: 'tcp', host: '127.0.0.1', port: 2375 },
    { kind: 'unix', path: '/run/shoal.sock' },
  ]);
  t.equal(c.refreshMinMs, 10_000);
  t.equal(c.refreshMaxMs, 20_000);
  t.same(c.replication, { advertise: '10.0.0.1:2375', ttlMs: 20_000 });
  t.equal(c.discovery, 'consul://c1/swarm');

  const unknown = errorOf(() => load(manageSpec, { positional: URI, yaml: 'strategy: spread\nstrategie: binpack\n' }));
  t.equal(unknown.message, 'shoal manage: --config "/etc/shoal/test.yaml": unknown option "strategie"');
  t.equal(unknown.exitCode, 2);
  t.match(
    errorOf(() => load(manageSpec, { positional: URI, yaml: 'a: [1\n' })).message,
    /^shoal manage: --config "\/etc\/shoal\/test.yaml": invalid YAML: /,
  );
  t.equal(
    errorOf(() => load(manageSpec, { positional: URI, yaml: '- a\n- b\n' })).message,
    'shoal manage: --config "/etc/shoal/test.yaml": expected a YAML mapping of option names to values',
  );
  t.equal(load(manageSpec, { positional: URI, yaml: '' }).config.strategy, 'spread', 'an empty file is no options');
  const missing = errorOf(() =>
    loadConfig(manageSpec, { flags: {}, env: {}, positional: URI, configFile: '/nonexistent/shoal.yaml' }),
  );
  t.equal(missing.message, 'shoal manage: --config "/nonexistent/shoal.yaml": cannot read the file (ENOENT)');
});

t.test('switches: Go-style values from env and file', async (t) => {
  const base = { positional: 'consul://localhost:8500/services' };
  t.equal(load(registratorSpec, base).config.cleanup, true);
  t.equal(load(registratorSpec, { ...base, env: { SHOAL_CLEANUP: 'false' } }).config.cleanup, false);
  t.equal(load(registratorSpec, { ...base, env: { SHOAL_INTERNAL: '1' } }).config.internal, true);
  t.equal(load(registratorSpec, { ...base, yaml: 'internal: yes\ncleanup: false\n' }).config.cleanup, false);
  t.equal(
    errorOf(() => load(registratorSpec, { ...base, env: { SHOAL_INTERNAL: 'maybe' } })).message,
    'shoal registrator: SHOAL_INTERNAL "maybe": expected true or false',
  );
});

t.test('repeatable options: a comma list in env, a list in YAML, one flag per value', async (t) => {
  t.same(load(manageSpec, { positional: URI, env: { SHOAL_HOST: 'tcp://127.0.0.1:1, 127.0.0.1:2' } }).config.hosts, [
    { kind: 'tcp', host: '127.0.0.1', port: 1 },
    { kind: 'tcp', host: '127.0.0.1', port: 2 },
  ]);
  t.same(load(manageSpec, { positional: URI, flags: { filters: ['health', 'port'] } }).config.filters, [
    'health',
    'port',
  ]);
  t.same(load(manageSpec, { positional: URI }).config.hosts, [{ kind: 'tcp', host: '127.0.0.1', port: 2375 }]);
  t.same(load(registratorSpec, { positional: 'consul://h/s', yaml: 'tags: [a, b]\n' }).config.tags, ['a', 'b']);
  t.same(load(registratorSpec, { positional: 'consul://h/s', flags: { tags: 'a, b,,c' } }).config.tags, [
    'a',
    'b',
    'c',
  ]);
});

t.test('the positional argument beats its flag and env, and is reported as a flag', async (t) => {
  const c = load(joinSpec, {
    positional: 'etcd://10.0.0.5:2379/swarm',
    flags: { addr: '10.0.0.1:2375', discovery: 'consul://c1/a' },
    env: { SHOAL_DISCOVERY: 'zk://z1/b' },
  });
  t.equal(c.config.discovery?.scheme, 'etcd');
  t.equal(c.config.discovery?.prefix, 'swarm');
  t.equal(c.sources.discovery, 'flag');
  const fromEnv = load(joinSpec, { flags: { addr: '10.0.0.1:2375' }, env: { SHOAL_DISCOVERY: 'zk://z1/b' } });
  t.equal(fromEnv.config.discovery?.scheme, 'zk');
  t.equal(fromEnv.sources.discovery, 'env');
  const env = load(joinSpec, {
    positional: URI,
    flags: { addr: '10.0.0.1:2375' },
    env: { SHOAL_DISCOVERY: 'zk://z1/b' },
  });
  t.equal(env.sources.discovery, 'flag', 'a positional over an env value is reported as given on the command line');
});

t.test('secrets are never echoed', async (t) => {
  const spec: AgentSpec<{ pin: number }> = {
    name: 'probe',
    summary: 'secret probe',
    options: [
      { key: 'pin', flag: 'pin', value: 'PIN', description: 'a secret number', schema: int(0, 9999), secret: true },
      { key: 'note', flag: 'note', value: 'TEXT', description: 'text', schema: text() },
    ],
    examples: [],
    finish: (v) => ({ pin: v.pin as number }),
  };
  const e = errorOf(() => loadConfig(spec, { flags: { pin: 'hunter2' }, env: {} }));
  t.equal(e.message, 'shoal probe: --pin "[redacted]": expected an integer 0..9999');
  const fromEnv = errorOf(() => loadConfig(spec, { flags: {}, env: { SHOAL_PIN: 'hunter2' } }));
  t.notOk(fromEnv.message.includes('hunter2'));

  // credentials inside a URI are redacted from the echoed value
  const uri = errorOf(() =>
    load(joinSpec, { positional: 'consul://admin:hunter2@consulhost01/swarm', flags: { addr: '10.0.0.1:2375' } }),
  );
  t.notOk(uri.message.includes('hunter2'), uri.message);
  t.match(
    uri.message,
    /^shoal join: <discovery-uri> "consul:\/\/\[redacted\]@consulhost01\/swarm": credentials do not belong in the URI/,
  );
  const flagUri = errorOf(() =>
    load(joinSpec, { flags: { addr: '10.0.0.1:2375', discovery: 'consul://admin:hunter2@c1/swarm' } }),
  );
  t.notOk(flagUri.message.includes('hunter2'), flagUri.message);
});

t.test('redactCredentials', async (t) => {
  t.equal(redactCredentials('consul://u:p@h:8500/x'), 'consul://[redacted]@h:8500/x');
  t.equal(redactCredentials('etcd://h1,h2/x?token=abc&tls=true'), 'etcd://h1,h2/x?token=[redacted]&tls=true');
  t.equal(redactCredentials('10.0.0.1:2375'), '10.0.0.1:2375');
  t.equal(redactCredentials('consul://h/x'), 'consul://h/x');
});

t.test('render: repeatable --template and YAML template blocks', async (t) => {
  const c = load(renderSpec, {
    positional: 'consul://localhost:8500/services',
    flags: { templates: ['a.hbs:/tmp/a.cfg', 'b.hbs:/tmp/b.cfg:nginx -s reload'] },
  }).config;
  t.same(
    c.templates.map((x) => [x.source, x.destination, x.reload]),
    [
      ['a.hbs', '/tmp/a.cfg', undefined],
      ['b.hbs', '/tmp/b.cfg', 'nginx -s reload'],
    ],
  );
  t.same(c.wait, { minMs: 500, maxMs: 5000 });
  t.equal(
    errorOf(() => load(renderSpec, { positional: 'consul://h/s' })).message,
    'shoal render: --template: expected at least one --template SRC:DEST[:RELOAD-CMD]',
  );
});
