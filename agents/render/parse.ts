/**
 * Small pure parsers of what a template or a flag declares, shared by `shoal render` and `shoal up` (which
 * must not load the renderer to read them).
 */
import { parseDuration } from '../common/duration.js';

export interface Wait {
  minMs: number;
  maxMs: number;
}

/** `500ms`, `500ms:5s`; max defaults to 4x min. */
export function parseWait(s: string): Wait {
  const [a, b, extra] = s.split(':');
  if (a === undefined || extra !== undefined) throw new Error('expected MIN[:MAX] durations, e.g. 500ms:5s');
  const minMs = parseDuration(a);
  const maxMs = b === undefined ? minMs * 4 : parseDuration(b);
  if (maxMs < minMs) throw new Error('expected MAX at least MIN');
  return { minMs, maxMs };
}

export interface DeclaredCommands {
  check?: string;
  reload?: string;
  /** `shoal-runtime: haproxy`: server-only changes go through the admin socket the rendered config declares. */
  runtime?: 'haproxy';
}

/**
 * `shoal-check: CMD` and `shoal-reload: CMD` lines (in the template's leading comment) give default commands;
 * `shoal-runtime: haproxy` turns on runtime-API updates (agents/render/haproxy-runtime.ts).
 */
export function declaredCommands(text: string): DeclaredCommands {
  const out: DeclaredCommands = {};
  const check = /^[ \t]*shoal-check:[ \t]*(\S.*?)[ \t]*$/m.exec(text);
  const reload = /^[ \t]*shoal-reload:[ \t]*(\S.*?)[ \t]*$/m.exec(text);
  if (check) out.check = check[1] as string;
  if (reload) out.reload = reload[1] as string;
  if (/^[ \t]*shoal-runtime:[ \t]*haproxy[ \t]*$/m.test(text)) out.runtime = 'haproxy';
  return out;
}
