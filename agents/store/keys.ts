/**
 * Logical key handling shared by all backends: validation, joining to a prefix, and escaping of the
 * characters a backend cannot hold. Pure functions.
 */
import { StoreKeyError } from '../common/errors.js';

/** Split a logical key into segments, rejecting what could escape the prefix. `allowEmpty` for list prefixes. */
export function keySegments(key: string, allowEmpty = false): string[] {
  if (key === '' && allowEmpty) return [];
  const segs = key.split('/');
  // A trailing slash is tolerated on prefixes ("services/"), nowhere else.
  if (allowEmpty && segs.length > 1 && segs[segs.length - 1] === '') segs.pop();
  for (const s of segs) {
    if (s === '' || s === '.' || s === '..')
      throw new StoreKeyError(`invalid key ${JSON.stringify(key)}: empty, "." or ".." segment`);
    if (/[\u0000-\u001f\u007f]/.test(s))
      throw new StoreKeyError(`invalid key ${JSON.stringify(key)}: control character`);
  }
  return segs;
}

/**
 * Percent-escape every character of a segment outside `safe` (and `%` itself), so that any segment
 * round-trips through a backend that only holds `safe`. Unescaping is the inverse.
 */
export function escapeSegment(seg: string, safe: RegExp): string {
  let out = '';
  for (const ch of seg) {
    if (ch !== '%' && safe.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function unescapeSegment(seg: string): string {
  if (!seg.includes('%')) return seg;
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg; // written by someone else, not by us: leave it as it is
  }
}

/** Join a store prefix and a logical key with `/`. */
export function joinKey(prefix: string, key: string): string {
  if (prefix === '') return key;
  if (key === '') return prefix;
  return `${prefix}/${key}`;
}

/** The logical key of `full` under `prefix`, or undefined if it is not below it. */
export function relativeKey(prefix: string, full: string): string | undefined {
  if (prefix === '') return full;
  if (full === prefix) return '';
  if (full.startsWith(`${prefix}/`)) return full.slice(prefix.length + 1);
  return undefined;
}

export function sortKVs<T extends { key: string }>(kvs: T[]): T[] {
  return kvs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
