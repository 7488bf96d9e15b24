import t from 'tap';
import {
  caConfig,
  certRequest,
  extendedKeyUsage,
  leafExtensions,
  subjectAltNames,
} from '../../agents/tls/extensions.js';
import { ConfigError } from '../../agents/common/errors.js';

t.test('certRequest: name becomes a DNS SAN, IPs are kept, neither --client nor --server means both', async (t) => {
  const r = certRequest({
    name: 'dockerhost01',
    ips: ['10.0.0.1', '[fd00::1]', '10.0.0.1'],
    dns: ['Manager.Example.com'],
  });
  t.same(r, {
    name: 'dockerhost01',
    ips: ['10.0.0.1', 'fd00::1'],
    dns: ['dockerhost01', 'manager.example.com'],
    server: true,
    client: true,
    days: 825,
  });
  t.same(subjectAltNames(r), ['DNS:dockerhost01', 'DNS:manager.example.com', 'IP:10.0.0.1', 'IP:fd00::1']);
  t.same(extendedKeyUsage(r), ['serverAuth', 'clientAuth']);
});

t.test('certRequest: --client alone is client only, --server alone server only', async (t) => {
  t.same(extendedKeyUsage(certRequest({ name: 'admin', client: true })), ['clientAuth']);
  t.same(extendedKeyUsage(certRequest({ name: 'h', server: true, ips: ['1.2.3.4'] })), ['serverAuth']);
  t.same(extendedKeyUsage(certRequest({ name: 'h', server: true, client: true })), ['serverAuth', 'clientAuth']);
});

t.test('certRequest: bad input is a ConfigError naming the flag and value', async (t) => {
  const cases: [Parameters<typeof certRequest>[0], RegExp][] = [
    [{}, /missing --name/],
    [{ name: '../etc' }, /--name "\.\.\/etc": expected/],
    [{ name: 'a b' }, /--name "a b"/],
    [{ name: 'h', ips: ['10.0.0.x'] }, /--ip "10\.0\.0\.x": expected an IPv4 or IPv6 address/],
    [{ name: 'h', ips: ['host.example.com'] }, /--ip "host\.example\.com"/],
    [{ name: 'h', dns: ['bad_name!'] }, /--dns "bad_name!": expected a DNS name/],
    [{ name: 'h', days: '0' }, /--days "0"/],
    [{ name: 'h', days: 'ten' }, /--days "ten"/],
  ];
  for (const [raw, re] of cases) {
    t.throws(() => certRequest(raw), re, JSON.stringify(raw));
    try {
      certRequest(raw);
    } catch (err) {
      t.ok(err instanceof ConfigError && err.exitCode === 2, 'exit code 2');
    }
  }
});

t.test('leafExtensions: exact section with IP SANs and usages', async (t) => {
  const text = leafExtensions(certRequest({ name: 'dockerhost01', ips: ['10.0.0.1'], server: true }));
  t.equal(
    text,
    [
      '[leaf]',
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid, issuer',
      'subjectAltName = DNS:dockerhost01, IP:10.0.0.1',
      '',
    ].join('\n'),
  );
  // a name that is not a DNS name (underscore) and a client-only cert: no SAN line at all
  t.notMatch(leafExtensions(certRequest({ name: 'ops_admin', client: true })), /subjectAltName/);
});

t.test('caConfig: a CA that can sign and nothing below it can', async (t) => {
  const c = caConfig('shoal CA');
  t.match(c, /CN = shoal CA/);
  t.match(c, /basicConstraints = critical, CA:TRUE, pathlen:0/);
  t.match(c, /keyUsage = critical, keyCertSign, cRLSign/);
});
