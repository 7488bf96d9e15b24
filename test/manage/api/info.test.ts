import t from 'tap';
import { buildInfo, formatBytes, withOvercommit } from '../../../agents/manage/api/info.js';
import { ctr, node } from '../scheduler/fixtures.js';

t.test('formatBytes', async (t) => {
  t.equal(formatBytes(0), '0 B');
  t.equal(formatBytes(2048), '2 KiB');
  t.equal(formatBytes(1536 * 1024 * 1024), '1.5 GiB');
  t.equal(formatBytes(26539991654), '24.72 GiB', "four significant digits, as Go's %.4g");
  t.equal(formatBytes(1023.99 * 1024), '1024 KiB');
});

t.test('OT2: totals include the overcommit in classic Swarm integer arithmetic', async (t) => {
  t.equal(withOvercommit(25276182528, 0.05), 26539991654);
  t.equal(withOvercommit(2, 0.05), 2, 'the extra CPU fraction is dropped');
  t.equal(withOvercommit(40, 0.05), 42);
  t.equal(withOvercommit(1000, 0), 1000);
  const snap = node('h1', { cpus: 2, memory: 25276182528 });
  const info = buildInfo({
    role: 'primary',
    strategy: 's',
    filters: [],
    nodes: [
      { snap, error: '', updatedAt: new Date(1), serverVersion: 'x' },
      { snap: node('h2', { cpus: 2, memory: 25276182528 }), error: '', updatedAt: new Date(1), serverVersion: 'x' },
    ],
    images: 2,
    name: 'm',
    version: 'v',
    overcommit: 0.05,
  });
  t.equal(info['MemTotal'], 53079983308);
  t.equal(info['NCPU'], 4);
  const rows = info['SystemStatus'] as [string, string][];
  t.same(
    rows.filter(([k]) => k.includes('Reserved')).map(([, v]) => v),
    ['0 / 2', '0 B / 24.72 GiB', '0 / 2', '0 B / 24.72 GiB'],
  );
});

t.test('swarm SystemStatus layout: role, strategy, filters, nodes, per-node block', async (t) => {
  const n1 = node('dockerhost01', {
    labels: { zone: 'external' },
    containers: [
      ctr({ id: 'a', cpus: 1, memory: 1024 }),
      ctr({ id: 'b', state: 'paused' }),
      ctr({ id: 'c', state: 'exited' }),
    ],
  });
  const n2 = node('dockerhost02', { health: 'unhealthy' });
  const info = buildInfo({
    role: 'replica',
    primary: '10.0.0.1:2375',
    strategy: 'binpack',
    filters: ['health', 'port'],
    nodes: [
      {
        snap: { ...n1, memory: 2048 },
        error: '',
        updatedAt: new Date('2026-01-01T00:00:00Z'),
        serverVersion: '20.10.24',
      },
      { snap: n2, error: 'connection refused', updatedAt: new Date(0), serverVersion: '' },
    ],
    images: 4,
    name: 'mgr',
    version: 'swarm/1.2.9 (shoal 0.1.0)',
  });
  const status = info['SystemStatus'] as [string, string][];
  t.same(status.slice(0, 5), [
    ['Role', 'replica'],
    ['Primary', '10.0.0.1:2375'],
    ['Strategy', 'binpack'],
    ['Filters', 'health, port'],
    ['Nodes', '2'],
  ]);
  const block = Object.fromEntries(status.slice(5, 15));
  t.equal(block[' dockerhost01'], '127.0.1.1:2375');
  t.equal(block['  └ Status'], 'Healthy');
  t.equal(block['  └ Containers'], '3 (1 Running, 1 Paused, 1 Stopped)');
  t.equal(block['  └ Reserved CPUs'], '1 / 2');
  t.equal(block['  └ Reserved Memory'], '1 KiB / 2 KiB');
  t.match(block['  └ Labels'], /zone=external/);
  t.equal(block['  └ Error'], '(none)');
  t.equal(block['  └ UpdatedAt'], '2026-01-01T00:00:00.000Z');
  t.same(status.slice(15, 18), [
    [' dockerhost02', '127.0.1.2:2375'],
    ['  └ ID', 'ID-dockerhost02'],
    ['  └ Status', 'Unhealthy'],
  ]);
  t.same(status[22], ['  └ Error', 'connection refused']);
  t.equal(info['Containers'], 3);
  t.equal(info['ContainersRunning'], 1);
  t.equal(info['NCPU'], 4);
  t.equal(info['Images'], 4);
});

t.test('a primary has no Primary line', async (t) => {
  const info = buildInfo({
    role: 'primary',
    strategy: 'spread',
    filters: [],
    nodes: [],
    images: 0,
    name: 'm',
    version: 'v',
  });
  t.same(
    (info['SystemStatus'] as string[][]).map((p) => p[0]),
    ['Role', 'Strategy', 'Filters', 'Nodes'],
  );
});

t.test(
  'per-node rows are reused for an unchanged snapshot, and rebuilt when the error or update time moves',
  async (t) => {
    const snap = node('h1');
    const base = { role: 'primary' as const, strategy: 's', filters: [], images: 0, name: 'm', version: 'v' };
    const one = buildInfo({ ...base, nodes: [{ snap, error: '', updatedAt: new Date(1000), serverVersion: 'x' }] });
    const two = buildInfo({ ...base, nodes: [{ snap, error: 'down', updatedAt: new Date(1000), serverVersion: 'x' }] });
    const three = buildInfo({
      ...base,
      nodes: [{ snap, error: 'down', updatedAt: new Date(2000), serverVersion: 'x' }],
    });
    const row = (info: Record<string, unknown>, key: string) =>
      (info['SystemStatus'] as [string, string][]).find(([k]) => k === key)?.[1];
    t.equal(row(one, '  └ Error'), '(none)');
    t.equal(row(two, '  └ Error'), 'down');
    t.equal(row(three, '  └ UpdatedAt'), new Date(2000).toISOString());
  },
);

t.test('RH5: a node never reached is `(unknown)`, Pending, with its count alone and its error', async (t) => {
  const pending = {
    ...node('x', { health: 'pending', cpus: 0, memory: 0 }),
    id: '',
    name: '127.0.0.1:9',
    addr: '127.0.0.1:9',
  };
  const down = node('dockerhost08', { health: 'unhealthy', containers: [ctr({ id: 'a' }), ctr({ id: 'b' })] });
  const error = 'Cannot connect to the Docker daemon at tcp://127.0.0.1:9. Is the docker daemon running?';
  const info = buildInfo({
    role: 'primary',
    strategy: 'spread',
    filters: [],
    nodes: [
      { snap: pending, reached: false, error, updatedAt: new Date(0), serverVersion: '' },
      { snap: down, reached: true, error, updatedAt: new Date(0), serverVersion: '' },
    ],
    images: 0,
    name: 'm',
    version: 'v',
  });
  const status = info['SystemStatus'] as [string, string][];
  t.same(status.slice(4, 12), [
    [' (unknown)', '127.0.0.1:9'],
    ['  └ ID', ''],
    ['  └ Status', 'Pending'],
    ['  └ Containers', '0'],
    ['  └ Reserved CPUs', '0 / 0'],
    ['  └ Reserved Memory', '0 B / 0 B'],
    ['  └ Labels', status[10]?.[1] as string],
    ['  └ Error', error],
  ]);
  t.same(status[14], [' dockerhost08', '127.0.1.8:2375'], 'a node reached once keeps its name');
  t.same(status[17], ['  └ Containers', '2'], 'an unhealthy node: the count alone');
});
