import t from 'tap';
import { assignIngress, claimsOf, INGRESS_MAX, INGRESS_MIN } from '../../../agents/manage/services/ingress.js';
import type { PortConfig } from '../../../agents/manage/services/types.js';

const ingress = (TargetPort: number, PublishedPort = 0, Protocol: PortConfig['Protocol'] = 'tcp'): PortConfig => ({
  Protocol,
  TargetPort,
  PublishedPort,
  PublishMode: 'ingress',
});
const host = (TargetPort: number, PublishedPort: number): PortConfig => ({
  Protocol: 'tcp',
  TargetPort,
  PublishedPort,
  PublishMode: 'host',
});

t.test('dynamic ingress ports: the lowest free of 30000-32767, per protocol, skipping taken ones', async (t) => {
  t.same(assignIngress([ingress(80), ingress(443)], []), [ingress(80, 30000), ingress(443, 30001)]);
  const taken = claimsOf('s1', 'one', [ingress(80, 30000), ingress(81, 30001, 'udp'), host(80, 30002)]);
  t.same(taken, [
    { port: 30000, protocol: 'tcp', serviceId: 's1', serviceName: 'one' },
    { port: 30001, protocol: 'udp', serviceId: 's1', serviceName: 'one' },
  ]);
  t.same(assignIngress([ingress(80), ingress(53, 0, 'udp')], taken), [ingress(80, 30001), ingress(53, 30000, 'udp')]);
  t.same(assignIngress([ingress(80), ingress(81, 30001)], []), [ingress(80, 30000), ingress(81, 30001)]);
  t.same(assignIngress([ingress(80), ingress(81, 30000)], []), [ingress(80, 30001), ingress(81, 30000)]);
  t.same(assignIngress([host(80, 0), host(81, 8081)], taken), [host(80, 0), host(81, 8081)], 'host mode untouched');
});

t.test('an explicit ingress port taken by another service is refused, naming it', async (t) => {
  const taken = claimsOf('s1id', 'one', [ingress(80, 8080)]);
  t.throws(() => assignIngress([ingress(80, 8080)], taken), {
    code: 'SHOAL_INGRESS_PORT',
    status: 400,
    message:
      "rpc error: code = InvalidArgument desc = port '8080' is already in use by service 'one' (s1id) as an ingress port",
  });
  t.same(assignIngress([ingress(80, 8080, 'udp')], taken), [ingress(80, 8080, 'udp')], 'another protocol is free');
});

t.test('updates keep an assigned port for the same target/protocol', async (t) => {
  const before = [ingress(80, 30005), ingress(443, 30006)];
  t.same(assignIngress([ingress(443), ingress(80)], [], before), [ingress(443, 30006), ingress(80, 30005)]);
  t.same(assignIngress([ingress(8080)], [], before), [ingress(8080, 30000)], 'a new target gets a new port');
  const taken = claimsOf('s2', 'two', [ingress(1, 30005)]);
  t.same(assignIngress([ingress(80)], taken, before), [ingress(80, 30000)], 'not when another service holds it now');
});

t.test('a full range is a clear error', async (t) => {
  const all = Array.from({ length: INGRESS_MAX - INGRESS_MIN + 1 }, (_, i) => ingress(1, INGRESS_MIN + i));
  t.throws(() => assignIngress([ingress(80)], claimsOf('s', 'full', all)), {
    code: 'SHOAL_INGRESS_PORT',
    message: /no free ingress port in 30000-32767 for 80\/tcp/,
  });
});
