import t from 'tap';
import { containerSnapshot, createBodyFrom, nodeLabels } from '../../../agents/manage/engine/convert.js';

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
    { HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, CpuShares: 2, Memory: 64 } },
  );
  t.same(c.names, ['web'], 'link aliases are not names');
  t.same(c.ports, [
    { hostIp: '0.0.0.0', hostPort: 32768, proto: 'tcp' },
    { hostIp: '', hostPort: 8080, proto: 'tcp' },
  ]);
  t.equal(c.cpus, 2);
  t.equal(c.memory, 64);
  const host = containerSnapshot(
    { Id: 'y', HostConfig: { NetworkMode: 'host' } },
    { HostConfig: { NetworkMode: 'host', NanoCpus: 5e8 }, Config: { ExposedPorts: { '53/udp': {} } } },
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
