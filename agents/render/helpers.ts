/**
 * Template helpers. Everything a helper emits is either validated data from the model or checked here: a
 * value that could end a token, start a comment or a block, or break a line (whitespace, `;`, `#`, `{`, `}`,
 * quotes, control characters) is never printed; it is dropped with a warning (`onUnsafe`).
 */
import type { HelperDelegate, HelperOptions } from 'handlebars';
import type { KV } from '../store/store.js';
import type { Service } from './model.js';

/** Characters a store value or env var may carry into a config unquoted: addresses, paths, durations. */
const SAFE_VALUE = /^[A-Za-z0-9_.:/@%+=,~*[\]-]*$/;
const SAFE_SEPARATOR = /^[ ,|:;/_.-]{0,8}$/;

export function isSafeValue(s: string): boolean {
  return SAFE_VALUE.test(s);
}

/** Any string -> a safe config token: unsafe characters become `_`. */
export function sanitize(s: unknown): string {
  const out = String(s ?? '')
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .replace(/\.{2,}/g, '_');
  return out === '' ? '_' : out;
}

export interface HelperData {
  entries: readonly KV[];
  services: readonly Service[];
  env: NodeJS.ProcessEnv;
  onUnsafe: (what: string, reason: string) => void;
  /** Keep `text` as a side file of the destination named after `name` and its content; returns its path. */
  sideFile: (name: string, text: string) => string;
}

function data(options: HelperOptions): HelperData {
  const d = (options.data as { shoal?: HelperData } | undefined)?.shoal;
  if (!d) throw new Error('helper called without shoal render data');
  return d;
}

/** Handlebars passes its options object as the last argument; strip it. */
function args(all: unknown[]): { list: unknown[]; options: HelperOptions } {
  return { list: all.slice(0, -1), options: all[all.length - 1] as HelperOptions };
}

function checked(d: HelperData, what: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (isSafeValue(value)) return value;
  d.onUnsafe(what, 'value has characters unsafe in a proxy config');
  return undefined;
}

/** A child of `ls`/`tree`: `name` is the key relative to the prefix (`{{key}}` would call the helper). */
export interface Child {
  key: string;
  name: string;
  value: string;
}

function children(entries: readonly KV[], prefix: string): Child[] {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  const base = p === '' ? '' : `${p}/`;
  return entries
    .filter((e) => e.key.startsWith(base) && e.key !== p)
    .map((e) => ({ key: e.key.slice(base.length), name: e.key.slice(base.length), value: e.value }));
}

/**
 * `ls`/`tree`: the children of the prefix in the helper's first argument that `keep` selects, dropping (and
 * reporting as `<helper> <key>`) those whose key or value is unsafe.
 */
function safeChildren(helper: string, all: unknown[], keep: (c: Child) => boolean = () => true): Child[] {
  const { list, options } = args(all);
  const d = data(options);
  return children(d.entries, String(list[0] ?? ''))
    .filter(keep)
    .filter(
      (e) =>
        (isSafeValue(e.key) && isSafeValue(e.value)) ||
        (d.onUnsafe(`${helper} ${e.key}`, 'key or value unsafe in a proxy config'), false),
    );
}

export const helpers: Record<string, HelperDelegate> = {
  /** `{{#service "web-80"}}...{{/service}}` (block, `this` is the service) or `(service "web-80")`. */
  service(...all: unknown[]) {
    const { list, options } = args(all);
    const id = String(list[0] ?? '');
    const [idPart, proto] = id.split(':');
    const s = data(options).services.find((x) => x.id === idPart && x.protocol === (proto === 'udp' ? 'udp' : 'tcp'));
    if (typeof options.fn === 'function') return s ? options.fn(s) : options.inverse(this);
    return s;
  },
  key(...all: unknown[]) {
    const { list, options } = args(all);
    const d = data(options);
    const k = String(list[0] ?? '');
    return checked(d, `key ${k}`, d.entries.find((e) => e.key === k)?.value) ?? '';
  },
  keyOrDefault(...all: unknown[]) {
    const { list, options } = args(all);
    const d = data(options);
    const k = String(list[0] ?? '');
    return checked(d, `key ${k}`, d.entries.find((e) => e.key === k)?.value) ?? String(list[1] ?? '');
  },
  /** Direct children of a prefix: `[{name, value}]`, unsafe ones dropped. */
  ls(...all: unknown[]) {
    return safeChildren('ls', all, (e) => !e.key.includes('/'));
  },
  /** Every key below a prefix (recursive), relative to it. */
  tree(...all: unknown[]) {
    return safeChildren('tree', all);
  },
  /** `env "NAME"` or `env "NAME" "default"`; an unset, empty or unsafe value gives the default. */
  env(...all: unknown[]) {
    const { list, options } = args(all);
    const d = data(options);
    const name = String(list[0] ?? '');
    const v = d.env[name];
    return (v === undefined || v === '' ? undefined : checked(d, `env ${name}`, v)) ?? String(list[1] ?? '');
  },
  /**
   * `{{#sidefile "hosts.map"}}...{{/sidefile}}`: the block becomes a file beside the destination (written
   * before the config is checked) and the helper prints its path. The path carries a hash of the content, so a
   * config always names the side file it was checked with.
   */
  sidefile(this: unknown, ...all: unknown[]) {
    const { list, options } = args(all);
    const name = String(list[0] ?? '');
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name) || name.includes('..'))
      throw new Error(`sidefile: ${JSON.stringify(name)} is not a plain file name`);
    return data(options).sideFile(name, options.fn(this));
  },
  sanitize(...all: unknown[]) {
    return sanitize(args(all).list[0]);
  },
  /** `join list ","` or `join list "," "field"`; every element must be a safe value. */
  join(...all: unknown[]) {
    const { list, options } = args(all);
    const d = data(options);
    const items = Array.isArray(list[0]) ? (list[0] as unknown[]) : [];
    const sep = list[1] === undefined ? ',' : String(list[1]);
    if (!SAFE_SEPARATOR.test(sep)) throw new Error(`join: unsafe separator ${JSON.stringify(sep)}`);
    const field = list[2] === undefined ? undefined : String(list[2]);
    const strs = items.map((x) => String(field === undefined ? x : (x as Record<string, unknown>)?.[field]));
    return strs
      .filter((s) => isSafeValue(s) || (d.onUnsafe('join element', 'value unsafe in a proxy config'), false))
      .join(sep);
  },
  eq(...all: unknown[]) {
    const { list } = args(all);
    return list.length >= 2 && list.slice(1).every((x) => x === list[0]);
  },
  /** `sortBy list "field"`: a sorted copy (stable; numbers numerically, the rest as strings). */
  sortBy(...all: unknown[]) {
    const { list } = args(all);
    const items = Array.isArray(list[0]) ? [...(list[0] as unknown[])] : [];
    const field = String(list[1] ?? '');
    const get = (x: unknown) => (x as Record<string, unknown>)?.[field];
    return items.sort((a, b) => {
      const x = get(a);
      const y = get(b);
      if (typeof x === 'number' && typeof y === 'number') return x - y;
      const xs = String(x);
      const ys = String(y);
      return xs < ys ? -1 : xs > ys ? 1 : 0;
    });
  },
};
