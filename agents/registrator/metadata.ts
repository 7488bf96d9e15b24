/**
 * SERVICE_* metadata from a container's env and labels (label wins): general keys (`SERVICE_NAME` -> `name`)
 * and per-port keys (`SERVICE_80_NAME` -> port 80, `name`). Keys are lower-cased. Pure.
 */

export interface Metadata {
  general: Record<string, string>;
  /** Port number (as text) -> key -> value. */
  ports: Record<string, Record<string, string>>;
}

function collect(into: Metadata, source: Record<string, string>): void {
  for (const [k, v] of Object.entries(source)) {
    const m = /^SERVICE_(.+)$/.exec(k);
    if (!m) continue;
    const rest = m[1] as string;
    const port = /^(\d+)_(.+)$/.exec(rest);
    if (port) {
      const p = String(Number(port[1]));
      into.ports[p] ??= {};
      (into.ports[p] as Record<string, string>)[(port[2] as string).toLowerCase()] = v;
    } else {
      into.general[rest.toLowerCase()] = v;
    }
  }
}

export function metadataOf(env: Record<string, string>, labels: Record<string, string>): Metadata {
  const md: Metadata = { general: {}, ports: {} };
  collect(md, env);
  collect(md, labels); // labels second: they win
  return md;
}

/** The metadata that applies to one port: the general keys, overridden by that port's own. */
export function portMetadata(
  md: Metadata,
  port: number,
): { merged: Record<string, string>; own: Record<string, string> } {
  const own = md.ports[String(port)] ?? {};
  return { merged: { ...md.general, ...own }, own };
}

/** `a,b\,c, d` -> [`a`, `b,c`, `d`]; empty items dropped. */
export function splitTags(text: string | undefined): string[] {
  if (text === undefined) return [];
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && text[i + 1] === ',') {
      cur += ',';
      i += 1;
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

/** Keys with a meaning of their own; every other key is an attribute. */
export const RESERVED_KEYS = new Set(['name', 'id', 'tags', 'ignore', 'ip']);

export function isTruthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && !/^(0|false|no|off)$/i.test(v);
}
