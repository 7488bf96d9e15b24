/** The pure decisions of reaping an engine that died unclean: which processes, which mounts, in what order. */
import t from 'tap';
import {
  descendants,
  mountsUnder,
  parseStat,
  shimPids,
  shimSocketPath,
  unescapeMountPath,
  type ProcInfo,
} from '../../agents/up/reap.js';
import { recordedLeftovers } from '../../agents/up/down.js';
import { engineLabels } from '../../agents/up/engines.js';

const SOCK = '/run/shoal-up/engines/containerd1/containerd.sock';
const OTHER = '/run/shoal-up/engines/containerd2/containerd.sock';
const shim = (pid: number, socket: string, state = 'S'): ProcInfo => ({
  pid,
  ppid: 1,
  state,
  argv: ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'shoalup1', '-id', `c${pid}`, '-address', socket],
});
const proc = (pid: number, ppid: number, argv: string[], state = 'S'): ProcInfo => ({ pid, ppid, state, argv });

t.test('parseStat: parent pid and state, whatever the command name holds', async (t) => {
  t.same(parseStat('4242 (containerd-shim) S 1 4242 4242 0 -1 4194560 1'), { ppid: 1, state: 'S' });
  t.same(parseStat('77 (a) b (c) Z 12 77 77 0'), { ppid: 12, state: 'Z' });
  t.equal(parseStat('garbage'), undefined);
});

t.test(
  "shimPids: only the shims of this engine's containerd, not another engine's, not a zombie, not its containerd",
  async (t) => {
    const procs = [
      shim(10, SOCK),
      shim(11, OTHER),
      shim(12, SOCK, 'Z'),
      shim(13, `${SOCK}.ttrpc`),
      proc(14, 1, ['containerd', '--config', '/run/shoal-up/engines/containerd1.toml', '-address', SOCK]),
      proc(15, 1, ['/usr/bin/containerd-shim-runc-v2', '--address', SOCK]),
    ];
    t.same(shimPids(procs, SOCK), [10, 15]);
    t.same(shimPids(procs, OTHER), [11]);
    t.same(shimPids([], SOCK), []);
  },
);

t.test('descendants: the containers under the shims, deepest first, live ones only, each once', async (t) => {
  const procs = [
    shim(10, SOCK),
    proc(20, 10, ['httpd']),
    proc(21, 20, ['sh']),
    proc(22, 20, ['sleep'], 'Z'),
    proc(30, 11, ['unrelated']),
    shim(11, OTHER),
    proc(40, 10, ['sleep']),
  ];
  const d = descendants(procs, [10]);
  t.same([...d].sort(), [20, 21, 40]);
  t.ok(d.indexOf(21) < d.indexOf(20), 'a child before its parent');
  t.same(descendants(procs, []), []);
});

t.test('mountsUnder: mount points at or under the roots, deepest first, unescaped, each once', async (t) => {
  const info = [
    '53 27 254:0 /tmp/s/data/engine1/docker /tmp/s/data/engine1/docker rw,relatime shared:10 - ext4 /dev/vda rw',
    '111 27 0:4 net:[4026532267] /tmp/s/engines/docker1-exec/netns/5d19c94e445b rw - nsfs nsfs rw',
    '112 53 0:50 / /tmp/s/data/engine1/docker/containers/abc/mounts/shm rw - tmpfs shm rw',
    '113 53 0:50 / /tmp/s/data/engine1/docker/containers/abc/mounts/shm rw - tmpfs shm rw',
    '114 27 0:51 / /tmp/s/data/engine10/docker rw - ext4 /dev/vda rw',
    '115 27 0:52 / /tmp/s/data/engine1\\040x rw - tmpfs t rw',
    '116 27 0:53 / /tmp/s/engines/docker1-exec\\040dir/x rw - tmpfs t rw',
    '22 1 0:21 / /proc rw - proc proc rw',
    '',
  ].join('\n');
  t.same(mountsUnder(info, ['/tmp/s/data/engine1', '/tmp/s/engines/docker1-exec', '/tmp/s/engines/containerd1']), [
    '/tmp/s/data/engine1/docker/containers/abc/mounts/shm',
    '/tmp/s/engines/docker1-exec/netns/5d19c94e445b',
    '/tmp/s/data/engine1/docker',
  ]);
  t.same(mountsUnder(info, ['/tmp/s/data/engine1 x']), ['/tmp/s/data/engine1 x'], 'an escaped space');
  t.same(
    mountsUnder(info, ['/tmp/s/engines/docker1-exec dir/']),
    ['/tmp/s/engines/docker1-exec dir/x'],
    'a root with a trailing slash',
  );
  t.same(mountsUnder(info, ['/nowhere']), []);
  t.equal(unescapeMountPath('/a\\011b\\134c\\012'), '/a\tb\\c\n');
});

t.test("shimSocketPath: only containerd's own shim socket folder", async (t) => {
  const hash = '2bcdd0f2508bbe13223ebfc4ff4c9df081eb49dedf93f2577e53229f40979e7b';
  t.equal(shimSocketPath(`unix:///run/containerd/s/${hash}\n`), `/run/containerd/s/${hash}`);
  t.equal(shimSocketPath('unix:///etc/passwd'), undefined);
  t.equal(shimSocketPath(`unix:///run/containerd/s/../../${hash}`), undefined);
  t.equal(shimSocketPath(`unix://@/containerd-shim/${hash}.sock`), undefined, 'an abstract socket has no file');
});

t.test(
  "recordedLeftovers: a state written before reap was recorded still names its engines' shims and folders",
  async (t) => {
    const e = (n: number, dataDir: string | undefined, started = true) => ({
      n,
      name: `dockerhost0${n}`,
      dockerHost: `unix:///s/engines/docker${n}.sock`,
      addr: `127.0.2.${n}:2375`,
      ip: `127.0.2.${n}`,
      labels: engineLabels(n),
      started,
      dataDir,
    });
    t.same(
      recordedLeftovers({
        stateDir: '/s',
        engines: [e(1, '/var/lib/x/engine1'), e(2, undefined), { ...e(0, undefined, false), n: 0 }],
      }),
      [
        {
          containerdSocket: '/s/engines/containerd1/containerd.sock',
          containerdState: '/s/engines/containerd1',
          roots: ['/var/lib/x/engine1', '/s/engines/docker1-exec', '/s/engines/containerd1'],
        },
        {
          containerdSocket: '/s/engines/containerd2/containerd.sock',
          containerdState: '/s/engines/containerd2',
          roots: ['/s/data/engine2', '/s/engines/docker2-exec', '/s/engines/containerd2'],
        },
      ],
    );
  },
);
