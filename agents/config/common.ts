/** Options every agent shares: logging, and how to reach the store. */
import { LOG_LEVELS } from '../common/log.js';
import { duration, oneOf, text } from './fields.js';
import type { OptionSpec } from './spec.js';
import type { StoreOptions } from '../store/store.js';

export const logOptions: OptionSpec[] = [
  {
    key: 'logLevel',
    flag: 'log-level',
    value: 'LEVEL',
    description: `log level: ${LOG_LEVELS.join(', ')}`,
    default: 'info',
    schema: oneOf(LOG_LEVELS),
  },
  {
    key: 'logFormat',
    flag: 'log-format',
    value: 'FORMAT',
    description: 'json, pretty, or auto (pretty on a TTY)',
    default: 'auto',
    schema: oneOf(['auto', 'json', 'pretty'] as const),
  },
];

export const storeOptions: OptionSpec[] = [
  {
    key: 'storeTimeout',
    flag: 'store-timeout',
    value: 'DURATION',
    description: 'timeout of each store operation',
    default: '5s',
    schema: duration(),
  },
  {
    key: 'storeToken',
    flag: 'store-token',
    value: 'TOKEN',
    description: 'Consul ACL token',
    schema: text(),
    env: ['CONSUL_HTTP_TOKEN'],
    secret: true,
  },
  {
    key: 'storeUsername',
    flag: 'store-username',
    value: 'USER',
    description: 'etcd user name',
    schema: text(),
    env: ['ETCD_USERNAME'],
  },
  {
    key: 'storePassword',
    flag: 'store-password',
    value: 'PASSWORD',
    description: 'etcd password (prefer the env var)',
    schema: text(),
    env: ['ETCD_PASSWORD'],
    secret: true,
  },
  {
    key: 'storeCa',
    flag: 'store-ca',
    value: 'FILE',
    description: 'CA certificate (PEM) to verify the store over TLS',
    schema: text(),
    env: ['CONSUL_CACERT'],
  },
  {
    key: 'storeCert',
    flag: 'store-cert',
    value: 'FILE',
    description: 'client certificate (PEM) for the store',
    schema: text(),
    env: ['CONSUL_CLIENT_CERT'],
  },
  {
    key: 'storeKey',
    flag: 'store-key',
    value: 'FILE',
    description: 'client key (PEM) for the store',
    schema: text(),
    env: ['CONSUL_CLIENT_KEY'],
  },
];

export interface LogConfig {
  logLevel: (typeof LOG_LEVELS)[number];
  logFormat: 'auto' | 'json' | 'pretty';
}

/** The store-related values of a finished config; files are read by `storeOptionsFrom`. */
export interface StoreConfig {
  timeoutMs: number;
  token?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

export function storeConfigFrom(v: Record<string, unknown>): StoreConfig {
  return {
    timeoutMs: v.storeTimeout as number,
    token: v.storeToken as string | undefined,
    username: v.storeUsername as string | undefined,
    password: v.storePassword as string | undefined,
    caFile: v.storeCa as string | undefined,
    certFile: v.storeCert as string | undefined,
    keyFile: v.storeKey as string | undefined,
  };
}

export function logConfigFrom(v: Record<string, unknown>): LogConfig {
  return { logLevel: v.logLevel as LogConfig['logLevel'], logFormat: v.logFormat as LogConfig['logFormat'] };
}

/** `--status-addr`: where an agent serves its health and metrics endpoints. */
export function statusAddrOption(description = 'serve /healthz and /metrics (Prometheus) here'): OptionSpec {
  return { key: 'statusAddr', flag: 'status-addr', value: 'HOST:PORT', description, schema: text() };
}

/** The options every agent ends its table with: status address, store access, logging. */
export function sharedOptions(statusDescription?: string): OptionSpec[] {
  return [statusAddrOption(statusDescription), ...storeOptions, ...logOptions];
}

/** The finished values of `sharedOptions`. */
export interface SharedConfig extends LogConfig {
  statusAddr: string | undefined;
  store: StoreConfig;
}

export function sharedConfigFrom(v: Record<string, unknown>): SharedConfig {
  return { statusAddr: v.statusAddr as string | undefined, store: storeConfigFrom(v), ...logConfigFrom(v) };
}

/** Read the TLS files named in a StoreConfig into StoreOptions (at start, once). */
export async function storeOptionsFrom(c: StoreConfig, read: (p: string) => Promise<string>): Promise<StoreOptions> {
  const tls =
    c.caFile || c.certFile || c.keyFile
      ? {
          ...(c.caFile ? { ca: await read(c.caFile) } : {}),
          ...(c.certFile ? { cert: await read(c.certFile) } : {}),
          ...(c.keyFile ? { key: await read(c.keyFile) } : {}),
        }
      : undefined;
  return {
    timeoutMs: c.timeoutMs,
    ...(c.token ? { token: c.token } : {}),
    ...(c.username ? { username: c.username } : {}),
    ...(c.password ? { password: c.password } : {}),
    ...(tls ? { tls } : {}),
  };
}
