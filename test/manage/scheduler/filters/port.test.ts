import t from 'tap';
import { port, clash } from '../../../../agents/manage/scheduler/filters/port.js';
import { ctr, node, req, names } from '../fixtures.js';

const p = (hostPort: number, hostIp = '', proto: 'tcp' | 'udp' = 'tcp') => ({ hostIp, hostPort, proto });

t.test('a node whose container holds the port is left out, stopped ones included', async (t) => {
  const nodes = [
    node('h1', { containers: [ctr({ id: 'a', ports: [p(80)] })] }),
    node('h2', { containers: [ctr({ id: 'b', ports: [p(80)], state: 'exited' })] }),
    node('h3', { containers: [ctr({ id: 'c', ports: [p(81)] })] }),
  ];
  const out = port.apply(req({ ports: [p(80)] }), nodes, true);
  t.same(out.ok && names(out.nodes), ['h3']);
});

t.test('IPs and protocols: specific vs any, tcp vs udp', async (t) => {
  t.ok(clash(p(80, '127.0.0.1'), p(80)));
  t.ok(clash(p(80, '0.0.0.0'), p(80, '10.0.0.1')));
  t.notOk(clash(p(80, '127.0.0.1'), p(80, '127.0.0.2')));
  t.notOk(clash(p(53, '', 'udp'), p(53, '', 'tcp')));
  const nodes = [node('h1', { containers: [ctr({ id: 'a', ports: [p(80, '127.0.0.1')] })] })];
  t.same(port.apply(req({ ports: [p(80, '127.0.0.2')] }), nodes, true).ok, true);
  t.same(port.apply(req({ ports: [p(80)] }), nodes, true).ok, false);
});

t.test('a pending create in the snapshot holds its port too', async (t) => {
  const nodes = [
    node('h1', { containers: [ctr({ id: 'pending-1', state: 'pending', ports: [p(8080)] })] }),
    node('h2'),
  ];
  const out = port.apply(req({ ports: [p(8080)] }), nodes, true);
  t.same(out.ok && names(out.nodes), ['h2']);
});

t.test('host network: the exposed port is a host port', async (t) => {
  const nodes = [node('h1', { containers: [ctr({ id: 'a', ports: [p(80)] })] }), node('h2')];
  const out = port.apply(req({ hostNetwork: true, ports: [p(80)] }), nodes, true);
  t.same(out.ok && names(out.nodes), ['h2']);
});

t.test('the error names the port and the mode', async (t) => {
  const nodes = [node('h1', { containers: [ctr({ id: 'a', ports: [p(80)] })] })];
  t.same(port.apply(req({ ports: [p(80)] }), nodes, true), {
    ok: false,
    reason: 'port 80/tcp (Bridge mode) is taken on every node',
  });
  t.same(port.apply(req({ hostNetwork: true, ports: [p(80)] }), nodes, true), {
    ok: false,
    reason: 'port 80/tcp (Host mode) is taken on every node',
  });
});
