/** Field checks shared by the swarm and node specs: each failure names the field. Pure. */
import { SwarmInputError } from './errors.js';

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const CONTROL = /[\u0000-\u001f\u007f]/;
export const MAX_LABELS = 256;
const MAX_KEY = 255;
const MAX_VALUE = 4096;

/** A label map: null/absent is empty; keys non-empty, without `=`, whitespace or control characters. */
export function labels(field: string, v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new SwarmInputError(field, 'expected an object of string values');
  const entries = Object.entries(v);
  if (entries.length > MAX_LABELS) throw new SwarmInputError(field, `more than ${MAX_LABELS} labels`);
  const out: Record<string, string> = {};
  for (const [k, val] of entries) {
    if (k === '' || k.length > MAX_KEY || /[=\s]/.test(k) || CONTROL.test(k))
      throw new SwarmInputError(
        `${field} key ${JSON.stringify(k)}`,
        `expected 1 to ${MAX_KEY} characters without "=", spaces or control characters`,
      );
    if (typeof val !== 'string') throw new SwarmInputError(`${field}.${k}`, 'expected a string');
    if (val.length > MAX_VALUE || CONTROL.test(val))
      throw new SwarmInputError(`${field}.${k}`, `expected at most ${MAX_VALUE} characters without control characters`);
    out[k] = val;
  }
  return out;
}

/** A non-negative integer (absent or 0: `dflt`). */
export function count(field: string, v: unknown, dflt: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined || v === null || v === 0) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max)
    throw new SwarmInputError(field, `expected a whole number from 0 to ${max}`);
  return v;
}

export function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[], dflt?: T): T {
  if ((v === undefined || v === '') && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw new SwarmInputError(field, `${JSON.stringify(v)}: expected ${allowed.join(', ')}`);
  return v as T;
}

export function boolField(field: string, v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new SwarmInputError(field, 'expected true or false');
  return v;
}

/** A name as swarm accepts it: letters, digits, `_`, `.`, `-`, starting with a letter or digit; at most 63. */
export function name(field: string, v: unknown): string {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(v))
    throw new SwarmInputError(
      field,
      `${JSON.stringify(v)}: expected up to 63 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  return v;
}
