/**
 * Cluster networks, pure parts: the overlay create body's checks, the Engine API view, the list filters and the
 * lookup; network targets resolved to IDs; the bridges a task joins; ServiceSpec fields refused with their
 * compose key, while the zero values the CLI always sends pass.
 */
import t from 'tap';
import {
  filterNetworks,
  findClusterNetwork,
  networkView,
  parseNetworkCreate,
  type NetworkRecord,
} from '../../../agents/manage/networks/model.js';
import { engineAttachments, resolveTargets, withFirstNetwork } from '../../../agents/manage/networks/attach.js';
import { parseServiceSpec } from '../../../agents/manage/services/spec.js';
import { specKey } from '../../../agents/manage/services/speckey.js';
import { refuseUnsupported } from '../../../agents/manage/services/unsupported.js';

const AT = '2026-12-07T00:00:00.000Z';
const net = (id: string, name: string, labels: Record<string, string> = {}): NetworkRecord => ({
  id,
  name,
  createdAt: AT,
  labels,
  options: {},
  attachable: false,
  internal: false,
});

t.test('the stack deploy create body makes a record; bad fields are named', async (t) => {
  const body = {
    Driver: 'overlay',
    Scope: '',
    IPAM: null,
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigOnly: false,
    ConfigFrom: null,
    Options: null,
    Labels: { 'com.docker.stack.namespace': 'demo' },
    Name: 'demo_default',
    CheckDuplicate: true,
  };
  const rec = parseNetworkCreate(body, 'n1', AT);
  t.same(rec, net('n1', 'demo_default', { 'com.docker.stack.namespace': 'demo' }));
  const view = networkView(rec);
  t.equal(view.Scope, 'swarm');
  t.equal(view.Driver, 'overlay');
  t.equal(view.Id, 'n1');
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...body, Name: 'bad name' }, /invalid Name/],
    [{ ...body, Ingress: true }, /invalid Ingress/],
    [{ ...body, Scope: 'local' }, /invalid Scope/],
    [{ ...body, IPAM: { Config: [{ Subnet: '10.0.0.0/24' }] } }, /invalid IPAM\.Config/],
    [{ ...body, Labels: { 'a b': 'x' } }, /invalid Labels/],
    [{ ...body, Attachable: 'yes' }, /invalid Attachable/],
  ];
  for (const [b, re] of bad) t.throws(() => parseNetworkCreate(b, 'n', AT), re);
});

t.test('filters as the engine applies them; lookup by ID, name, ID prefix', async (t) => {
  const nets = [net('abc1', 'demo_default', { 'com.docker.stack.namespace': 'demo' }), net('abd2', 'other')];
  const names = (f: Record<string, string[]>) => filterNetworks(nets, f).map((n) => n.name);
  t.same(names({ label: ['com.docker.stack.namespace=demo'] }), ['demo_default']);
  t.same(names({ label: ['com.docker.stack.namespace'] }), ['demo_default']);
  t.same(names({ label: ['com.docker.stack.namespace=x'] }), []);
  t.same(names({ name: ['default'] }), ['demo_default']);
  t.same(names({ id: ['ab'] }), ['demo_default', 'other']);
  t.same(names({ driver: ['bridge'] }), []);
  t.same(names({ scope: ['swarm'], type: ['custom'] }), ['demo_default', 'other']);
  t.throws(() => filterNetworks(nets, { bogus: ['1'] }), /invalid filter 'bogus'/);
  t.equal(findClusterNetwork(nets, 'abd2')?.name, 'other');
  t.equal(findClusterNetwork(nets, 'demo_default')?.id, 'abc1');
  t.equal(findClusterNetwork(nets, 'abc')?.id, 'abc1');
  t.equal(findClusterNetwork(nets, 'ab'), undefined, 'an ambiguous prefix names none');
});

t.test('targets become IDs; an unknown one is a 404; the top-level Networks moves', async (t) => {
  const nets = [net('abc1', 'demo_default')];
  const body = {
    Name: 'demo_web',
    TaskTemplate: { ContainerSpec: { Image: 'busybox' }, Networks: [{ Target: 'demo_default', Aliases: ['web'] }] },
  };
  const out = resolveTargets(body, nets) as any;
  t.same(out.TaskTemplate.Networks, [{ Target: 'abc1', Aliases: ['web'] }]);
  t.same(resolveTargets(out, nets), out, 'an ID stays');
  t.throws(
    () => resolveTargets({ ...body, TaskTemplate: { ...body.TaskTemplate, Networks: [{ Target: 'nope' }] } }, nets),
    { message: 'network nope not found', status: 404 },
  );
  const top = resolveTargets({ Name: 'x', TaskTemplate: {}, Networks: [{ Target: 'abc1' }] }, nets) as any;
  t.same(top.TaskTemplate.Networks, [{ Target: 'abc1' }]);
  t.notOk('Networks' in top);
  t.equal(resolveTargets(undefined, nets), undefined, 'a bad body is left to the spec parser');
});

t.test('a task joins the bridges by network name, aliased by the service name', async (t) => {
  const nets = [net('abc1', 'demo_default'), net('abd2', 'demo_back')];
  const spec = parseServiceSpec({
    Name: 'demo_web',
    TaskTemplate: {
      ContainerSpec: { Image: 'busybox' },
      Networks: [
        { Target: 'abc1', Aliases: ['web'] },
        { Target: 'abd2', Aliases: ['demo_web'] },
        { Target: 'gone', Aliases: [] },
      ],
    },
  });
  const atts = engineAttachments(spec, nets);
  t.same(
    atts.map((a) => [a.network.name, a.aliases]),
    [
      ['demo_default', ['demo_web', 'web']],
      ['demo_back', ['demo_web']],
    ],
  );
  const body = withFirstNetwork({ Image: 'busybox', HostConfig: { Init: true } }, atts[0]);
  t.same(body.HostConfig, { Init: true, NetworkMode: 'demo_default' });
  t.same(body.NetworkingConfig, { EndpointsConfig: { demo_default: { Aliases: ['demo_web', 'web'] } } });
  t.same(withFirstNetwork({ Image: 'x' }, undefined), { Image: 'x' });
});

t.test('Networks in the spec: checked, part of the task-spec key only when given', async (t) => {
  const base = { Name: 's', TaskTemplate: { ContainerSpec: { Image: 'busybox' } } };
  const plain = parseServiceSpec(base);
  t.equal(plain.TaskTemplate.Networks, undefined);
  t.equal(specKey(plain), specKey(parseServiceSpec({ ...base, TaskTemplate: { ...base.TaskTemplate, Networks: [] } })));
  const withNet = parseServiceSpec({ ...base, TaskTemplate: { ...base.TaskTemplate, Networks: [{ Target: 'a' }] } });
  t.not(specKey(withNet), specKey(plain));
  const bad = (Networks: unknown) => () =>
    parseServiceSpec({ ...base, TaskTemplate: { ...base.TaskTemplate, Networks } });
  t.throws(bad([{ Target: 'a', Aliases: ['bad alias'] }]), /TaskTemplate\.Networks\[0\]\.Aliases\[0\]/);
  t.throws(bad([{ Target: 'a' }, { Target: 'a' }]), /TaskTemplate\.Networks\[1\]\.Target/);
  t.throws(bad([{}]), /TaskTemplate\.Networks\[0\]\.Target/);
  t.throws(bad([{ Target: 'a', DriverOpts: { x: '1' } }]), /DriverOpts/);
});

t.test('unsupported ServiceSpec fields are named with their compose key; zero values pass', async (t) => {
  // what `docker stack deploy` sends for a service with none of those keys
  refuseUnsupported({
    Name: 'demo_web',
    TaskTemplate: {
      ContainerSpec: {
        Image: 'busybox',
        Privileges: { CredentialSpec: null, SELinuxContext: null, NoNewPrivileges: false },
        DNSConfig: {},
        Isolation: 'default',
        TTY: false,
        Hosts: null,
      },
      Runtime: 'container',
      Resources: { Limits: {}, Reservations: {} },
    },
  });
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ Secrets: [{ SecretName: 'x' }] }, /ContainerSpec\.Secrets: not supported .*secrets/],
    [{ Configs: [{ ConfigName: 'x' }] }, /ContainerSpec\.Configs: .*configs/],
    [{ Hosts: ['10.0.0.1 db'] }, /ContainerSpec\.Hosts: .*extra_hosts/],
    [{ CapabilityAdd: ['NET_ADMIN'] }, /CapabilityAdd: .*cap_add/],
    [{ DNSConfig: { Nameservers: ['1.1.1.1'] } }, /DNSConfig\.Nameservers: .*dns/],
    [{ Isolation: 'hyperv' }, /ContainerSpec\.Isolation: .*isolation/],
    [{ Sysctls: { 'net.core.somaxconn': '1024' } }, /Sysctls: .*sysctls/],
    [{ Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }] }, /Ulimits: .*ulimits/],
  ];
  for (const [cs, re] of cases)
    t.throws(() => refuseUnsupported({ TaskTemplate: { ContainerSpec: { Image: 'busybox', ...cs } } }), re);
  // honoured (the task container gets Tty; its logs are not demultiplexed)
  t.doesNotThrow(() => refuseUnsupported({ TaskTemplate: { ContainerSpec: { Image: 'busybox', TTY: true } } }));
  t.throws(
    () => refuseUnsupported({ TaskTemplate: { ContainerSpec: {}, LogDriver: { Name: 'syslog' } } }),
    /TaskTemplate\.LogDriver: .*logging/,
  );
  t.throws(
    () => refuseUnsupported({ TaskTemplate: { ContainerSpec: {}, Resources: { Limits: { Pids: 10 } } } }),
    /Limits\.Pids: .*pids/,
  );
});
