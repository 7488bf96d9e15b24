/**
 * What goes into a certificate, decided once from the request: subject, SANs, key usages. Pure functions
 * that render the OpenSSL config sections the signing step reads, so tests check the exact text.
 */
import net from 'node:net';
import { ConfigError } from '../common/errors.js';

export interface CertRequest {
  /** Common name and first DNS SAN (when it is a valid DNS name), e.g. `dockerhost01`. */
  name: string;
  ips: string[];
  dns: string[];
  server: boolean;
  client: boolean;
  days: number;
}

const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** Safe in a file name and a subject: no slash, no quote, no control characters. */
const CERT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isDnsName(s: string): boolean {
  return s.length <= 253 && DNS_NAME.test(s);
}

/** Validate and normalise the raw command-line values; one ConfigError naming the flag and value. */
export function certRequest(raw: {
  name?: string | undefined;
  ips?: string[];
  dns?: string[];
  server?: boolean;
  client?: boolean;
  days?: string | undefined;
}): CertRequest {
  const scope = 'shoal tls issue';
  if (raw.name === undefined)
    throw new ConfigError(`${scope}: missing --name: the certificate's name, e.g. dockerhost01`, 'name');
  if (!CERT_NAME.test(raw.name))
    throw new ConfigError(
      `${scope}: --name ${JSON.stringify(raw.name)}: expected letters, digits, '.', '-' or '_' (at most 64)`,
      'name',
    );
  const ips: string[] = [];
  for (const ip of raw.ips ?? []) {
    const bare = ip.replace(/^\[(.*)\]$/, '$1');
    if (net.isIP(bare) === 0)
      throw new ConfigError(`${scope}: --ip ${JSON.stringify(ip)}: expected an IPv4 or IPv6 address`, 'ip');
    if (!ips.includes(bare)) ips.push(bare);
  }
  const dns: string[] = [];
  for (const d of [...(isDnsName(raw.name) ? [raw.name] : []), ...(raw.dns ?? [])]) {
    if (!isDnsName(d))
      throw new ConfigError(
        `${scope}: --dns ${JSON.stringify(d)}: expected a DNS name such as manager.example.com`,
        'dns',
      );
    if (!dns.includes(d.toLowerCase())) dns.push(d.toLowerCase());
  }
  const days = parseDays(raw.days ?? '825', scope);
  // neither flag: both, the usual need (the manager is a server to clients and a client to engines)
  const either = raw.server === true || raw.client === true;
  return {
    name: raw.name,
    ips,
    dns,
    server: either ? raw.server === true : true,
    client: either ? raw.client === true : true,
    days,
  };
}

export function parseDays(text: string, scope: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 36500) {
    throw new ConfigError(`${scope}: --days ${JSON.stringify(text)}: expected a whole number of days 1..36500`, 'days');
  }
  return Number(text);
}

export function subjectAltNames(req: CertRequest): string[] {
  return [...req.dns.map((d) => `DNS:${d}`), ...req.ips.map((ip) => `IP:${ip}`)];
}

export function extendedKeyUsage(req: CertRequest): string[] {
  return [...(req.server ? ['serverAuth'] : []), ...(req.client ? ['clientAuth'] : [])];
}

/** The `[leaf]` extension section for `openssl x509 -req -extfile ... -extensions leaf`. */
export function leafExtensions(req: CertRequest): string {
  const san = subjectAltNames(req);
  // ECDSA and RSA server keys both need digitalSignature; keyEncipherment only matters for RSA key transport
  return [
    '[leaf]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature, keyEncipherment',
    `extendedKeyUsage = ${extendedKeyUsage(req).join(', ')}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid, issuer',
    ...(san.length ? [`subjectAltName = ${san.join(', ')}`] : []),
    '',
  ].join('\n');
}

/** A self-contained config for `openssl req -x509` making the CA (no dependence on the system openssl.cnf). */
export function caConfig(commonName: string): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'prompt = no',
    'x509_extensions = ca',
    '[dn]',
    `CN = ${commonName}`,
    '[ca]',
    'basicConstraints = critical, CA:TRUE, pathlen:0',
    'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid:always',
    '',
  ].join('\n');
}

/** Config for the CSR: only the subject; extensions come from the CA side, never from the request. */
export function csrConfig(commonName: string): string {
  return ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', `CN = ${commonName}`, ''].join('\n');
}
