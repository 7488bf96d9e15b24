/**
 * Structured JSON logs (pino) with `agent` and `host` on every line; human-readable when stderr is a TTY.
 * Secrets never reach a log line: redaction covers the field names config and stores use for them.
 */
import os from 'node:os';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const REDACT = [
  'token',
  'password',
  '*.token',
  '*.password',
  '*.*.token',
  '*.*.password',
  'config.store.token',
  'config.store.password',
  'headers.authorization',
  '*.headers["x-consul-token"]',
];

export interface LogOptions {
  agent: string;
  level?: LevelWithSilent;
  host?: string;
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LogOptions): Logger {
  const base = { agent: opts.agent, host: opts.host ?? os.hostname() };
  const level = opts.level ?? 'info';
  const pretty = opts.pretty ?? (opts.destination === undefined && process.stderr.isTTY === true);
  if (pretty) {
    return pino({
      level,
      base,
      redact: { paths: REDACT, censor: '[redacted]' },
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' },
      },
    });
  }
  const dest = opts.destination ?? pino.destination({ fd: 2, sync: true });
  return pino(
    { level, base, redact: { paths: REDACT, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
    dest as never,
  );
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
