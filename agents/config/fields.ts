/**
 * zod field schemas that turn raw option values (strings from flags, env and YAML, or YAML scalars)
 * into typed values. Each failure message is the expectation, e.g. "expected HOST:PORT": the loader
 * prefixes the option name and the offending value.
 */
import { z } from 'zod/v3';
import { parseDuration } from '../common/duration.js';
import { parseHostPort, parseListenAddress, parsePort } from '../common/address.js';
import { parseStoreUri } from '../store/uri.js';

type Raw = string | number | boolean;

/** A field parsed by `fn` from the raw text; what `fn` throws becomes the message. */
export function via<T>(fn: (raw: string) => T) {
  return z.union([z.string(), z.number(), z.boolean()]).transform((raw: Raw, ctx): T => {
    try {
      return fn(String(raw));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
      return z.NEVER;
    }
  });
}

export const duration = () => via(parseDuration);
export const hostPort = () => via((s) => parseHostPort(s));
export const port = () => via(parsePort);
export const listen = () => via((s) => parseListenAddress(s));
export const storeUri = (schemes?: readonly string[]) => via((s) => ({ text: s, ...parseStoreUri(s, schemes) }));
export const text = () => via((s) => s);
export const nonEmpty = () =>
  via((s) => {
    if (s.trim() === '') throw new Error('expected a non-empty value');
    return s;
  });

export const bool = () =>
  via((s) => {
    const v = s.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    throw new Error('expected true or false');
  });

export const int = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
  via((s) => {
    if (!/^-?\d+$/.test(s.trim())) throw new Error(`expected an integer ${min}..${max}`);
    const n = Number(s);
    if (n < min || n > max) throw new Error(`expected an integer ${min}..${max}`);
    return n;
  });

export const oneOf = <T extends string>(values: readonly T[]) =>
  via((s) => {
    if (!(values as readonly string[]).includes(s)) throw new Error(`expected one of ${values.join(', ')}`);
    return s as T;
  });

/** A repeatable option: each element validated by `item`. A single string is a one-element list. */
export const list = <T extends z.ZodType>(item: T) =>
  z
    .union([z.array(z.unknown()), z.string()])
    .transform((v): unknown[] => (Array.isArray(v) ? v : [v]))
    .pipe(z.array(item) as z.ZodType<z.output<T>[], z.ZodTypeDef, unknown[]>);

/** A comma list in one value (`--tags a,b`), or a YAML list. */
export const commaList = () =>
  z
    .union([z.array(z.union([z.string(), z.number()])), z.string()])
    .transform((v) => (Array.isArray(v) ? v.map(String) : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''));

/** A path to a readable file (checked at load). */
export const file = () => text();
