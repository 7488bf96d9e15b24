import t from 'tap';
import {
  bodyForEngine,
  containerSnapshot,
  createBodyFrom,
  engineCpuShares,
  nodeLabels,
  reservedCpus,
} from '../../../agents/manage/engine/convert.js';

t.test('node labels: engine labels plus pseudo-labels', async (t) => {
  t.same(
    nodeLabels({
      Name: 'h1',
      Labels: ['zone=external', 'bad', 'k=v=w'],
      Driver: 'overlay2',
      KernelVersion: '6.1',
      OperatingSystem: 'Debian',
      OSType: 'linux',
    }),
    {
      zone: 'external',
      k: 'v=w',
      node: 'h1',
      storagedriver: 'overlay2',
      kernelversion: '6.1',
      operatingsystem: 'Debian',
      ostype: 'linux',
    },
  );
});

t.test('container ports: actual, requested (also when stopped), host network exposed; resources', async (t) => {
  const c = containerSnapshot(
    {
      Id: 'x',
      Names: ['/web', '/other/link'],
      State: 'exited',
      Ports: [
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 32768, Type: 'tcp' },
        { PrivatePort: 81, Type: 'tcp' },
      ],
    },
    { HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, CpuShares: 1024, Memory: 64 } },
    2,
  );
  t.same(c.names, ['web'], 'link aliases are not names');
  t.same(c.ports, [
    { hostIp: '0.0.0.0', hostPort: 32768, proto: 'tcp' },
    { hostIp: '', hostPort: 8080, proto: 'tcp' },
  ]);
  t.equal(c.cpus, 2, 'all the shares of a 2-CPU node reserve 2 CPUs');
  t.equal(c.memory, 64);
  const host = containerSnapshot(
    { Id: 'y', HostConfig: { NetworkMode: 'host' } },
    { HostConfig: { NetworkMode: 'host', NanoCpus: 5e8 }, Config: { ExposedPorts: { '53/udp': {} } } },
    2,
  );
  t.same(host.ports, [{ hostIp: '', hostPort: 53, proto: 'udp' }]);
  t.equal(host.cpus, 0.5);
});

t.test('a create body from an inspect keeps config and host config, not the hostname', async (t) => {
  t.same(
    createBodyFrom({ Config: { Hostname: 'abc', Image: 'busybox', Cmd: ['sleep', '1'] }, HostConfig: { Memory: 1 } }),
    { Image: 'busybox', Cmd: ['sleep', '1'], HostConfig: { Memory: 1 } },
  );
});

t.test('PL3: --cpu-shares N is N CPUs: the engine gets ceil(N*1024/CPUs) shares, read back as N', async (t) => {
  t.equal(engineCpuShares(1, 2), 512);
  t.equal(engineCpuShares(1, 3), 342);
  t.equal(engineCpuShares(2, 2), 1024);
  t.equal(engineCpuShares(0, 2), 0);
  t.equal(reservedCpus(512, 2), 1);
  t.equal(reservedCpus(342, 3), 1);
  t.equal(reservedCpus(2, 2), 0, 'integer arithmetic, as classic Swarm');
  t.equal(reservedCpus(0, 2), 0);
  t.same(bodyForEngine({ Image: 'x', HostConfig: { CpuShares: 1, Memory: 5 } }, 2), {
    Image: 'x',
    HostConfig: { CpuShares: 512, Memory: 5 },
  });
  const plain = { Image: 'x', HostConfig: { Memory: 5 } };
  t.equal(bodyForEngine(plain, 2), plain, 'no shares asked: the body as is');
  const inspect = { Config: { Image: 'x' }, HostConfig: { CpuShares: 512 } };
  t.same(createBodyFrom(inspect, 1), { Image: 'x', HostConfig: { CpuShares: 1 } }, 'rescheduled with its CPU count');
  const snap = containerSnapshot({ Id: 'z' }, { HostConfig: { CpuShares: 512 } }, 2);
  t.equal(snap.cpus, 1);
});
