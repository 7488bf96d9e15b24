/**
 * Field readers for the ServiceSpec edge: each takes the raw JSON value and its path, and returns the typed
 * value or throws a SpecError naming the path. Absent (undefined or null) is `undefined` unless required.
 */
import { SpecError } from './errors.js';

export type Raw = unknown;
export type RawObject = Record<string, unknown>;

const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
export const MAX_STRING = 64 * 1024;
export const MAX_ITEMS = 4096;

export function absent(v: Raw): v is undefined | null {
  return v === undefined || v === null;
}

export function obj(v: Raw, path: string): RawObject | undefined {
  if (absent(v)) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new SpecError(path, 'must be an object');
  return v as RawObject;
}

export function str(v: Raw, path: string, opts: { max?: number; control?: boolean } = {}): string | undefined {
  if (absent(v)) return undefined;
  if (typeof v !== 'string') throw new SpecError(path, 'must be a string');
  const max = opts.max ?? MAX_STRING;
  if (v.length > max) throw new SpecError(path, `longer than ${max} characters`);
  if (v.includes('\u0000') || (!opts.control && CONTROL.test(v)))
    throw new SpecError(path, 'contains control characters');
  return v;
}

export function need<T>(v: T | undefined, path: string): T {
  if (v === undefined || v === '') throw new SpecError(path, 'is required');
  return v;
}

export function int(v: Raw, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (absent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new SpecError(path, 'must be an integer');
  if (v < min || v > max) throw new SpecError(path, `must be between ${min} and ${max}`);
  return v;
}

/** A non-negative duration in integer nanoseconds. */
export function duration(v: Raw, path: string): number | undefined {
  return int(v, path, 0);
}

export function bool(v: Raw, path: string): boolean | undefined {
  if (absent(v)) return undefined;
  if (typeof v !== 'boolean') throw new SpecError(path, 'must be true or false');
  return v;
}

export function oneOf<T extends string>(v: Raw, path: string, allowed: readonly T[]): T | undefined {
  const s = str(v, path);
  if (s === undefined || s === '') return undefined;
  if (!(allowed as readonly string[]).includes(s))
    throw new SpecError(path, `${JSON.stringify(s)} is not one of ${allowed.join(', ')}`);
  return s as T;
}

export function arr(v: Raw, path: string, max = MAX_ITEMS): Raw[] | undefined {
  if (absent(v)) return undefined;
  if (!Array.isArray(v)) throw new SpecError(path, 'must be an array');
  if (v.length > max) throw new SpecError(path, `more than ${max} entries`);
  return v;
}

export function strings(v: Raw, path: string, opts: { control?: boolean } = {}): string[] | undefined {
  const a = arr(v, path);
  return a?.map((x, i) => {
    const s = str(x, `${path}[${i}]`, opts);
    if (s === undefined) throw new SpecError(`${path}[${i}]`, 'must be a string');
    return s;
  });
}

/** A string map (labels): keys non-empty without control characters, values strings. */
export function strMap(v: Raw, path: string): Record<string, string> {
  const o = obj(v, path);
  if (o === undefined) return {};
  const keys = Object.keys(o);
  if (keys.length > MAX_ITEMS) throw new SpecError(path, `more than ${MAX_ITEMS} entries`);
  const entries = keys.map((k): [string, string] => {
    if (k === '' || k.trim() !== k) throw new SpecError(path, `label key ${JSON.stringify(k)} is empty or padded`);
    if (k.length > 1024 || CONTROL.test(k) || k.includes('\u0000'))
      throw new SpecError(path, `label key ${JSON.stringify(k.slice(0, 64))} is invalid`);
    const val = str(o[k], `${path}.${k}`, { control: true });
    return [k, val ?? ''];
  });
  return Object.fromEntries(entries);
}
