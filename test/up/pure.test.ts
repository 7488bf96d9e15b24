/** The decisions of `shoal up` as literal fixtures: child command lines, layouts, configs, key ownership, tables. */
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../../agents/common/errors.js';
import { upOptions } from '../../agents/up/command.js';
import { demoContainers, runArgs } from '../../agents/up/demo.js';
import { ourKeys } from '../../agents/up/down.js';
import { edgeFiles, haproxyReload, proxyCommand, renderConfigYaml, templateEnv } from '../../agents/up/edge.js';
import { declaredCommands } from '../../agents/render/parse.js';
import { dockerdArgs, engineLabels, engineLayout } from '../../agents/up/engines.js';
import { hostAgents, keyPath, manager, renderer } from '../../agents/up/plan.js';
import { requiredBinaries } from '../../agents/up/prereq.js';
import { parseStartTime } from '../../agents/up/proc.js';
import { parseStoreFlag } from '../../agents/up/store.js';
import { parseSystemStatus } from '../../agents/up/status.js';
import { table } from '../../agents/up/table.js';
import type { EngineRef } from '../../agents/up/state.js';

const E1: EngineRef = {
  n: 1,
  name: 'dockerhost01',
  dockerHost: 'unix:///run/shoal-up/engines/docker1.sock',
  addr: '127.0.2.1:2375',
  ip: '127.0.2.1',
  labels: engineLabels(1),
  started: true,
};

t.test('keyPath', async (t) => {
  t.equal(keyPath('', 'services'), 'services');
  t.equal(keyPath('demo', 'swarm'), 'demo/swarm');
  t.equal(keyPath('team/dev/', 'services'), 'team/dev/services');
});

t.test('host agents per engine: registrator and join with local timings', async (t) => {
  t.same(hostAgents('consul://127.0.0.1:8500', 'demo', [E1]), [
    {
      name: 'registrator-dockerhost01',
      role: 'registrator',
      args: [
        'registrator',
        '--docker-host',
        E1.dockerHost,
        '--ip',
        '127.0.2.1',
        '--ttl',
        '15s',
        '--ttl-refresh',
        '5s',
        '--resync',
        '30s',
        '--log-format',
        'json',
        'consul://127.0.0.1:8500/demo/services',
      ],
    },
    {
      name: 'join-dockerhost01',
      role: 'join',
      args: [
        'join',
        '--addr',
        '127.0.2.1:2375',
        '--docker-host',
        E1.dockerHost,
        '--heartbeat',
        '5s',
        '--ttl',
        '15s',
        '--log-format',
        'json',
        'consul://127.0.0.1:8500/demo/swarm',
      ],
    },
  ]);
  t.same(manager('etcd://127.0.0.1:2379', '', '127.0.0.1:2375').args, [
    'manage',
    '-H',
    'tcp://127.0.0.1:2375',
    '--heartbeat',
    '5s',
    '--engine-refresh-min-interval',
    '5s',
    '--engine-refresh-max-interval',
    '10s',
    '--log-format',
    'json',
    'etcd://127.0.0.1:2379/swarm',
  ]);
  t.same(renderer('/s/edge/render.yaml', { A: 'b' }, true), {
    name: 'render-once',
    role: 'render',
    args: ['render', '--config', '/s/edge/render.yaml', '--once', '--log-format', 'json'],
    env: { A: 'b' },
  });
});

t.test('engine layout and dockerd flags: own socket, loopback IP, bridge, labels', async (t) => {
  const l = engineLayout(3, '/run/shoal-up', '/var/lib/shoal-up');
  t.match(l, {
    name: 'dockerhost03',
    ip: '127.0.2.3',
    bridge: 'shoalup3',
    bridgeCidr: '172.30.3.1/24',
    socket: '/run/shoal-up/engines/docker3.sock',
    engineDir: '/var/lib/shoal-up/engine3',
    dataRoot: '/var/lib/shoal-up/engine3/docker',
    containerdRoot: '/var/lib/shoal-up/engine3/containerd',
  });
  const args = dockerdArgs(l, 'vfs');
  t.equal(
    args[args.indexOf('--config-file') + 1],
    '/run/shoal-up/engines/docker3.json',
    'own daemon.json: own key, own engine ID',
  );
  for (const a of [
    '--storage-driver=vfs',
    '--bridge=shoalup3',
    '--ip=127.0.2.3',
    'tcp://127.0.2.3:2375',
    'unix:///run/shoal-up/engines/docker3.sock',
    'zone=internal',
    'disk=ssd',
    'status=worker',
  ])
    t.ok(args.includes(a), a);
  t.same(engineLabels(1), { zone: 'external', disk: 'ssd', status: 'master' });
  t.same(engineLabels(2), { zone: 'external', disk: 'hdd', status: 'worker' });
});

t.test('edge: template env, render config with check and reload, proxy command in the foreground', async (t) => {
  const f = edgeFiles('/s', 'haproxy');
  t.same(templateEnv('haproxy', f, { host: '127.0.0.1', port: 8080 }), {
    SHOAL_HAPROXY_BIND: '127.0.0.1:8080',
    SHOAL_HAPROXY_STATS_BIND: '127.0.0.1:8081',
    SHOAL_HAPROXY_SOCKET: '/s/edge/haproxy.sock',
  });
  const y = renderConfigYaml({
    proxy: 'haproxy',
    files: f,
    templates: '/t',
    storeUri: 'consul://127.0.0.1:8500/services',
    domain: 'local',
  });
  t.match(y, /store: consul:\/\/127\.0\.0\.1:8500\/services/);
  t.match(y, /source: \/t\/haproxy\.cfg\.hbs/);
  t.match(y, /destination: \/s\/edge\/haproxy\.cfg/);
  t.match(y, /check: haproxy -c -q -f \{\{path\}\}/);
  t.match(y, /reload: kill -USR2 "\$\(cat '\/s\/edge\/haproxy\.pid'\)"/, 'no declared reload: a plain SIGUSR2');
  const declared = declaredCommands(readFileSync(path.resolve('templates/haproxy.cfg.hbs'), 'utf8')).reload;
  const guarded = haproxyReload(declared, '/s/edge/haproxy.pid');
  t.match(
    guarded,
    /^m=\$\(cat '\/s\/edge\/haproxy\.pid'\) && o=\$\(pgrep -d, -P "\$m"\) && kill -USR2 "\$m"/,
    "the template's guarded reload, on up's pid file",
  );
  t.notMatch(guarded, /\/run\/haproxy\.pid/);
  t.equal(
    parse(
      renderConfigYaml({
        proxy: 'haproxy',
        files: f,
        templates: '/t',
        storeUri: 'x',
        domain: 'local',
        templateReload: declared,
      }),
    ).templates[0].reload,
    guarded,
  );
  t.match(
    renderConfigYaml({ proxy: 'haproxy', files: f, templates: '/t', storeUri: 'x', domain: 'local', reload: false }),
    /reload: "true"/,
  );
  t.same(proxyCommand('haproxy', f), {
    cmd: 'haproxy',
    args: ['-W', '-f', '/s/edge/haproxy.cfg', '-p', '/s/edge/haproxy.pid'],
  });
  const n = edgeFiles('/s', 'nginx');
  t.same(proxyCommand('nginx', n), { cmd: 'nginx', args: ['-c', '/s/edge/nginx.conf', '-g', 'daemon off;'] });
  t.match(
    renderConfigYaml({ proxy: 'nginx', files: n, templates: '/t', storeUri: 'x', domain: 'local' }),
    /check: nginx -t -q -c \{\{path\}\}/,
  );
});

t.test("down's key ownership: only entries of our engines and our swarm addresses", async (t) => {
  const keys = [
    'demo/services/web-80/dockerhost01:web:80',
    'demo/services/web-80/dockerhost011:web:80',
    'demo/services/web-80/otherhost:web:80',
    'demo/swarm/127.0.2.1:2375',
    'demo/swarm/10.0.0.9:2375',
    'other/services/web-80/dockerhost01:web:80',
  ];
  t.same(ourKeys(keys, { prefix: 'demo', engines: [E1] }), [
    'demo/services/web-80/dockerhost01:web:80',
    'demo/swarm/127.0.2.1:2375',
  ]);
});

t.test('/proc/<pid>/stat start time, with a command name holding spaces and parentheses', async (t) => {
  const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 11 0 987654 1000000 2000 ...';
  t.equal(parseStartTime(stat), 987654);
  t.equal(parseStartTime('garbage'), undefined);
});

t.test("the manager's SystemStatus becomes nodes", async (t) => {
  const pairs: [string, string][] = [
    ['Role', 'primary'],
    ['Strategy', 'spread'],
    ['Nodes', '2'],
    [' dockerhost01', '127.0.2.1:2375'],
    ['  └ ID', 'x'],
    ['  └ Status', 'Healthy'],
    ['  └ Containers', '2 (2 Running, 0 Paused, 0 Stopped)'],
    [' dockerhost02', '127.0.2.2:2375'],
    ['  └ Status', 'Unhealthy'],
    ['  └ Containers', '0 (0 Running, 0 Paused, 0 Stopped)'],
  ];
  t.same(parseSystemStatus(pairs), [
    {
      name: 'dockerhost01',
      addr: '127.0.2.1:2375',
      status: 'Healthy',
      containers: '2 (2 Running, 0 Paused, 0 Stopped)',
    },
    {
      name: 'dockerhost02',
      addr: '127.0.2.2:2375',
      status: 'Unhealthy',
      containers: '0 (0 Running, 0 Paused, 0 Stopped)',
    },
  ]);
});

t.test('table', async (t) => {
  t.equal(
    table(
      ['a', 'bb'],
      [
        { a: 'xyz', bb: '1' },
        { a: 'q', bb: '22' },
      ],
    ),
    'A    BB\nxyz  1\nq    22',
  );
});

t.test('demo: two proxies on zone==external, three webapps on status==worker', async (t) => {
  const d = demoContainers();
  t.same(
    d.map((c) => `${c.service}:${c.constraint}`),
    [
      'proxy:zone==external',
      'proxy:zone==external',
      'webapp:status==worker',
      'webapp:status==worker',
      'webapp:status==worker',
    ],
  );
  const a = runArgs(d[0]!);
  t.ok(a.includes('SERVICE_NAME=proxy') && a.includes('constraint:zone==external') && a.includes('80'));
});

t.test('options: defaults, and one-line errors for bad flags', async (t) => {
  const base = {
    engines: '0',
    manager: '127.0.0.1:2375' as string | false,
    proxy: 'haproxy',
    edge: '127.0.0.1:8080' as string | false,
    agents: true,
    domain: 'local',
    renderWait: '200ms:1s',
    storageDriver: 'vfs',
  };
  const o = upOptions({ ...base, stateDir: '/tmp/x' }, {});
  t.match(o, {
    stateDir: '/tmp/x',
    dataDir: '/tmp/x/data',
    engines: 0,
    dockerHost: 'unix:///var/run/docker.sock',
    manager: { host: '127.0.0.1', port: 2375 },
    edge: { proxy: 'haproxy', host: '127.0.0.1', port: 8080 },
  });
  t.equal(upOptions({ ...base, stateDir: '/tmp/x' }, { DOCKER_HOST: 'tcp://h:2375' }).dockerHost, 'tcp://h:2375');
  t.equal(upOptions({ ...base, manager: false, edge: false }, { SHOAL_UP_STATE_DIR: '/tmp/y' }).manager, undefined);
  const bad: [Partial<typeof base> & Record<string, unknown>, RegExp][] = [
    [{ engines: '10' }, /^shoal up: --engines "10": expected 0\.\.9/],
    [{ proxy: 'traefik' }, /^shoal up: --proxy "traefik": expected haproxy or nginx$/],
    [{ edge: 'nowhere' }, /^shoal up: --edge "nowhere": expected HOST:PORT$/],
    [{ storeKind: 'zk' }, /^shoal up: --store-kind "zk"/],
    [{ prefix: '../x' }, /^shoal up: --prefix "\.\.\/x"/],
    [
      { demo: true, engines: '1' } as never,
      /^shoal up: --demo places containers by the seed's engine labels: use it with --engines 3/,
    ],
    [{ renderWait: '5s:1s' }, /^shoal up: --render-wait "5s:1s": expected MAX at least MIN$/],
  ];
  for (const [o2, re] of bad) {
    t.throws(() => upOptions({ ...base, ...o2 } as never, {}), re);
    t.throws(() => upOptions({ ...base, ...o2 } as never, {}), ConfigError);
  }
  t.throws(() => parseStoreFlag('http://x'), /^shoal up: --store "http:\/\/x"/);
  t.same(parseStoreFlag('consul://127.0.0.1:8500/team/dev'), {
    ref: { kind: 'consul', base: 'consul://127.0.0.1:8500', started: false },
    prefix: 'team/dev',
  });
});

t.test('prerequisites follow the options', async (t) => {
  t.same(
    requiredBinaries({
      store: undefined,
      storeKind: undefined,
      engines: 2,
      edge: { proxy: 'nginx', host: 'h', port: 1 },
    }),
    [['docker'], ['consul', 'etcd'], ['dockerd'], ['containerd'], ['unshare'], ['ip'], ['umount'], ['nginx']],
  );
  t.same(requiredBinaries({ store: 'consul://h', storeKind: undefined, engines: 0, edge: undefined }), [['docker']]);
});
