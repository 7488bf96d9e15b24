/**
 * Catalog mode (`consul-catalog://`): a Service as a Consul agent service registration. Pure.
 *
 * The registration is split in two: the *view* (ID, Name, Address, Port, Tags, Meta) is what the agent
 * reports back from GET /v1/agent/services, so the registrator compares views to find what changed; the
 * checks are derived from the view (the SERVICE_CHECK_* attributes stay in Meta, as registrator did) plus
 * the run's options, and their hash is kept in Meta `shoal-checks` so a change of checks changes the view.
 * Meta `shoal-host` marks the services of this Docker host: reconcile only ever touches those.
 */
import { createHash } from 'node:crypto';
import { parseDuration, formatDuration } from '../common/duration.js';
import { formatAddress, type Service } from './service.js';

export const HOST_META = 'shoal-host';
export const CHECKS_META = 'shoal-checks';
/** Consul's limits on service Meta. */
const META_KEY = /^[A-Za-z0-9_-]{1,128}$/;
const META_VALUE_MAX = 512;
const META_PAIRS_MAX = 64;
const DEFAULT_INTERVAL = '10s';

export interface CatalogOptions {
  /** --ttl: each service gets a TTL check the registrator passes every --ttl-refresh (0: none). */
  ttlMs: number;
}

export interface ServiceView {
  ID: string;
  Name: string;
  Address: string;
  Port: number;
  Tags: string[];
  Meta: Record<string, string>;
}

export interface CheckDefinition {
  CheckID?: string;
  Name: string;
  HTTP?: string;
  TCP?: string;
  TTL?: string;
  Args?: string[];
  Interval?: string;
  Timeout?: string;
  Status?: 'passing';
  DeregisterCriticalServiceAfter?: string;
}

export interface Registration extends ServiceView {
  Checks: CheckDefinition[];
}

/** The CheckID of the registrator's own TTL check for a service (with --ttl). */
export function ttlCheckId(serviceId: string): string {
  return `shoal-ttl:${serviceId}`;
}

/** Consul refuses DeregisterCriticalServiceAfter below one minute. */
const MIN_DEREGISTER_MS = 60_000;

function goDuration(
  text: string | undefined,
  fallback: string | undefined,
  what: string,
  warnings: string[],
): string | undefined {
  if (text === undefined || text === '') return fallback;
  try {
    const ms = parseDuration(text);
    if (ms > 0) return formatDuration(ms);
  } catch {
    // reported below
  }
  warnings.push(`${what} ${JSON.stringify(text)} is not a duration; using ${fallback ?? 'none'}`);
  return fallback;
}

/** The health checks a view asks for (SERVICE_CHECK_* kept in its Meta), plus the --ttl check. */
export function checksFor(view: ServiceView, opts: CatalogOptions): { checks: CheckDefinition[]; warnings: string[] } {
  const warnings: string[] = [];
  const m = view.Meta;
  const checks: CheckDefinition[] = [];
  const interval = goDuration(m.check_interval, DEFAULT_INTERVAL, 'SERVICE_CHECK_INTERVAL', warnings);
  const timeout = goDuration(m.check_timeout, undefined, 'SERVICE_CHECK_TIMEOUT', warnings);
  const timing = { Interval: interval, ...(timeout ? { Timeout: timeout } : {}) };
  const udp = view.Tags.includes('udp') && view.ID.endsWith(':udp');
  const address = formatAddress(view.Address, view.Port);
  if (m.check_http) {
    if (udp) warnings.push('SERVICE_CHECK_HTTP ignored on a udp port');
    else {
      const path = m.check_http.startsWith('/') ? m.check_http : `/${m.check_http}`;
      checks.push({ Name: `HTTP ${path}`, HTTP: `http://${address}${path}`, ...timing });
    }
  }
  if (m.check_tcp && !/^(0|false|no|off)$/i.test(m.check_tcp)) {
    if (udp) warnings.push('SERVICE_CHECK_TCP ignored on a udp port');
    else checks.push({ Name: `TCP ${address}`, TCP: address, ...timing });
  }
  if (m.check_script) {
    const script = m.check_script
      .replaceAll('$SERVICE_IP', view.Address)
      .replaceAll('$SERVICE_PORT', String(view.Port));
    checks.push({ Name: 'script', Args: ['/bin/sh', '-c', script], ...timing });
  }
  if (m.check_ttl) {
    const ttl = goDuration(m.check_ttl, undefined, 'SERVICE_CHECK_TTL', warnings);
    if (ttl) checks.push({ Name: `TTL ${ttl}`, TTL: ttl });
  }
  if (opts.ttlMs > 0) {
    checks.push({
      CheckID: ttlCheckId(view.ID),
      Name: 'shoal registrator alive',
      TTL: formatDuration(opts.ttlMs),
      Status: 'passing',
      DeregisterCriticalServiceAfter: formatDuration(Math.max(opts.ttlMs, MIN_DEREGISTER_MS)),
    });
  }
  return { checks, warnings };
}

function checksHash(checks: CheckDefinition[]): string {
  return createHash('sha256').update(JSON.stringify(checks)).digest('hex').slice(0, 16);
}

/** Service -> the view registered for it; attributes Consul cannot hold as Meta are dropped with a warning. */
export function catalogView(s: Service, opts: CatalogOptions): { view: ServiceView; warnings: string[] } {
  const warnings: string[] = [];
  const meta: Record<string, string> = {};
  const keys = Object.keys(s.attrs).sort();
  for (const key of keys) {
    const value = s.attrs[key] as string;
    if (!META_KEY.test(key))
      warnings.push(`attribute ${JSON.stringify(key)} skipped: Consul meta keys are 1-128 of [A-Za-z0-9_-]`);
    else if (/^(consul|shoal)-/i.test(key))
      warnings.push(`attribute ${JSON.stringify(key)} skipped: the consul-/shoal- prefixes are reserved`);
    else if (value.length > META_VALUE_MAX)
      warnings.push(`attribute ${JSON.stringify(key)} skipped: value longer than ${META_VALUE_MAX} characters`);
    else if (Object.keys(meta).length >= META_PAIRS_MAX - 2)
      warnings.push(`attribute ${JSON.stringify(key)} skipped: more than ${META_PAIRS_MAX} meta pairs`);
    else meta[key] = value;
  }
  meta[HOST_META] = s.dockerHost;
  const view: ServiceView = { ID: s.id, Name: s.name, Address: s.ip, Port: s.port, Tags: [...s.tags], Meta: meta };
  const { checks, warnings: checkWarnings } = checksFor(view, opts);
  meta[CHECKS_META] = checksHash(checks);
  return { view: { ...view, Meta: sortedMeta(meta) }, warnings: [...warnings, ...checkWarnings] };
}

function sortedMeta(meta: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(meta).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Canonical text of a view: equal views give equal text, whatever the field order they came in. */
export function encodeView(v: ServiceView): string {
  return JSON.stringify({
    ID: v.ID,
    Name: v.Name,
    Address: v.Address,
    Port: v.Port,
    Tags: v.Tags,
    Meta: sortedMeta(v.Meta),
  });
}

export function decodeView(text: string): ServiceView {
  return JSON.parse(text) as ServiceView;
}

/** The full PUT /v1/agent/service/register body of a view. */
export function registrationFor(view: ServiceView, opts: CatalogOptions): Registration {
  return { ...view, Checks: checksFor(view, opts).checks };
}

/** An entry of GET /v1/agent/services as a view (undefined when it is not one of `dockerHost`'s). */
export function viewOfAgentService(svc: Record<string, unknown>, dockerHost: string): ServiceView | undefined {
  const meta = (svc.Meta ?? {}) as Record<string, string>;
  if (meta[HOST_META] !== dockerHost || typeof svc.ID !== 'string' || typeof svc.Service !== 'string') return undefined;
  return {
    ID: svc.ID,
    Name: svc.Service,
    Address: typeof svc.Address === 'string' ? svc.Address : '',
    Port: typeof svc.Port === 'number' ? svc.Port : 0,
    Tags: Array.isArray(svc.Tags) ? (svc.Tags as string[]) : [],
    Meta: meta,
  };
}

/** The registrator's key of a view: `<name>/<id>`, the same shape as KV mode (so ownership rules apply). */
export function catalogKey(v: { Name: string; ID: string }): string {
  return `${v.Name}/${v.ID}`;
}
