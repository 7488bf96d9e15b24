/** `shoal tls init|issue` through the real CLI and the real openssl: files, modes, SANs, usages, verify. */
import { statSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { openssl, shoal, tempDir } from './helpers.js';

const mode = (f: string) => statSync(f).mode & 0o777;

async function text(cert: string): Promise<string> {
  const r = await openssl(['x509', '-in', cert, '-noout', '-text']);
  return String(r.stdout);
}

t.test('init creates a CA (key 0600) and refuses to overwrite it without --force', async (t) => {
  const dir = tempDir(t);
  const r = await shoal(['tls', 'init', '--dir', dir]);
  t.equal(r.exitCode, 0, String(r.stderr));
  t.equal(mode(path.join(dir, 'ca-key.pem')), 0o600);
  t.equal(mode(path.join(dir, 'ca.pem')), 0o644);
  const ca = await text(path.join(dir, 'ca.pem'));
  t.match(ca, /CA:TRUE/);
  t.match(ca, /Certificate Sign/);
  const before = readFileSync(path.join(dir, 'ca-key.pem'), 'utf8');
  const again = await shoal(['tls', 'init', '--dir', dir]);
  t.equal(again.exitCode, 2);
  t.match(String(again.stderr).trim(), /^shoal tls init: a CA already exists in .*--force/);
  t.equal(String(again.stderr).trim().split('\n').length, 1, 'one line');
  t.equal(readFileSync(path.join(dir, 'ca-key.pem'), 'utf8'), before, 'CA key untouched');
  const forced = await shoal(['tls', 'init', '--dir', dir, '--force']);
  t.equal(forced.exitCode, 0);
  t.not(readFileSync(path.join(dir, 'ca-key.pem'), 'utf8'), before, 'replaced with --force');
});

t.test('issue: IP and DNS SANs, usages as asked, verifies against the CA, key 0600', async (t) => {
  const dir = tempDir(t);
  t.equal((await shoal(['tls', 'init', '--dir', dir])).exitCode, 0);
  const cases = [
    {
      args: ['--name', 'dockerhost01', '--ip', '10.0.0.1', '--server'],
      san: ['DNS:dockerhost01', 'IP Address:10.0.0.1'],
      eku: ['TLS Web Server Authentication'],
      not: ['TLS Web Client Authentication'],
    },
    {
      args: ['--name', 'manager', '--ip', '10.0.0.5', '--ip', '::1', '--dns', 'mgr.example.com'],
      san: ['DNS:manager', 'DNS:mgr.example.com', 'IP Address:10.0.0.5', 'IP Address:0:0:0:0:0:0:0:1'],
      eku: ['TLS Web Server Authentication', 'TLS Web Client Authentication'],
      not: [],
    },
    {
      args: ['--name', 'admin', '--client', '--key-type', 'rsa'],
      san: ['DNS:admin'],
      eku: ['TLS Web Client Authentication'],
      not: ['TLS Web Server Authentication'],
    },
  ];
  for (const c of cases) {
    const name = c.args[1] as string;
    const r = await shoal(['tls', 'issue', '--dir', dir, ...c.args]);
    t.equal(r.exitCode, 0, `${name}: ${String(r.stderr)}`);
    const folder = path.join(dir, name);
    t.equal(mode(path.join(folder, 'key.pem')), 0o600, `${name}: key 0600`);
    t.equal(
      readFileSync(path.join(folder, 'ca.pem'), 'utf8'),
      readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
      `${name}: ca.pem beside it`,
    );
    const v = await openssl(['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(folder, 'cert.pem')]);
    t.equal(v.exitCode, 0, `${name}: openssl verify: ${String(v.stdout)}${String(v.stderr)}`);
    const purpose = c.eku.includes('TLS Web Server Authentication') ? 'sslserver' : 'sslclient';
    const vp = await openssl([
      'verify',
      '-purpose',
      purpose,
      '-CAfile',
      path.join(dir, 'ca.pem'),
      path.join(folder, 'cert.pem'),
    ]);
    t.equal(vp.exitCode, 0, `${name}: verifies for ${purpose}`);
    const txt = await text(path.join(folder, 'cert.pem'));
    const sanLine = /Subject Alternative Name:\s*\n\s*(.*)/.exec(txt)?.[1] ?? '';
    t.same(
      sanLine.split(', ').map((s) => s.trim()),
      c.san,
      `${name}: SANs`,
    );
    const ekuLine = /Extended Key Usage:\s*\n\s*(.*)/.exec(txt)?.[1] ?? '';
    t.same(
      ekuLine.split(', ').map((s) => s.trim()),
      c.eku,
      `${name}: extended key usage`,
    );
    for (const n of c.not) t.notMatch(txt, n, `${name}: no ${n}`);
    t.match(txt, /CA:FALSE/);
    t.match(txt, /Digital Signature/);
    // the key matches the certificate
    const pubCert = await openssl(['x509', '-in', path.join(folder, 'cert.pem'), '-noout', '-pubkey']);
    const pubKey = await openssl(['pkey', '-in', path.join(folder, 'key.pem'), '-pubout']);
    t.equal(String(pubCert.stdout), String(pubKey.stdout), `${name}: key matches`);
  }
  // client-only: not usable as a server
  const vs = await openssl([
    'verify',
    '-purpose',
    'sslserver',
    '-CAfile',
    path.join(dir, 'ca.pem'),
    path.join(dir, 'admin', 'cert.pem'),
  ]);
  t.not(vs.exitCode, 0, 'a --client certificate does not verify for sslserver');
});

t.test('issue: bad input and a missing CA are one-line errors with exit 2, nothing written', async (t) => {
  const dir = tempDir(t);
  const noCa = await shoal(['tls', 'issue', '--dir', dir, '--name', 'x', '--client']);
  t.equal(noCa.exitCode, 2);
  t.match(String(noCa.stderr).trim(), /^shoal tls issue: no CA in .*run 'shoal tls init/);
  t.equal((await shoal(['tls', 'init', '--dir', dir])).exitCode, 0);
  const cases: [string[], RegExp][] = [
    [['--name', 'h', '--ip', '10.0.0.x'], /^shoal tls issue: --ip "10\.0\.0\.x": expected an IPv4 or IPv6 address$/],
    [['--ip', '10.0.0.1'], /^shoal tls issue: missing --name/],
    [['--name', 'h', '--bogus'], /^shoal tls issue: unknown option '--bogus'$/],
    [['--name', 'x_y', '--server'], /^shoal tls issue: a server certificate needs --ip or --dns/],
    [['--name', 'h', '--key-type', 'dsa'], /^shoal tls issue: --key-type "dsa": expected ec or rsa$/],
  ];
  for (const [args, re] of cases) {
    const r = await shoal(['tls', 'issue', '--dir', dir, ...args]);
    t.equal(r.exitCode, 2, args.join(' '));
    t.match(String(r.stderr).trim(), re);
    t.equal(String(r.stderr).trim().split('\n').length, 1, 'one line');
  }
  t.notOk(existsSync(path.join(dir, 'h')), 'nothing issued');
  t.equal((await shoal(['tls', 'issue', '--dir', dir, '--name', 'h', '--ip', '127.0.0.1'])).exitCode, 0);
  const dup = await shoal(['tls', 'issue', '--dir', dir, '--name', 'h', '--ip', '127.0.0.1']);
  t.equal(dup.exitCode, 2);
  t.match(String(dup.stderr), /already exists \(use --force/);
});

t.test('SHOAL_TLS_DIR names the directory', async (t) => {
  const dir = tempDir(t);
  const r = await shoal(['tls', 'init'], { SHOAL_TLS_DIR: dir });
  t.equal(r.exitCode, 0, String(r.stderr));
  t.ok(existsSync(path.join(dir, 'ca.pem')));
});
