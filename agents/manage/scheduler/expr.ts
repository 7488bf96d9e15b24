/**
 * Placement expressions, as classic Swarm wrote them: `zone==external`, `node!=h1`, `image=redis` (the seed's
 * single `=`), values plain, glob (`*`) or `/regex/`; a `~` before the value (Swarm's `==~`) or before the
 * key makes the expression soft: tried first, dropped when nothing satisfies it.
 */
export type Operator = '==' | '!=';

export interface Expr {
  key: string;
  op: Operator;
  value: string;
  soft: boolean;
}

export class ExprError extends Error {
  readonly code = 'SHOAL_MANAGE_EXPR';
}

const EXPR = /^(~?)([A-Za-z0-9_.\-/]+)\s*(==|!=|=)\s*(~?)(.*)$/s;

export function parseExpr(text: string): Expr {
  const m = EXPR.exec(text.trim());
  if (!m) throw new ExprError(`invalid expression "${text}": expected KEY==VALUE or KEY!=VALUE`);
  const value = m[5] as string;
  if (value === '') throw new ExprError(`invalid expression "${text}": empty value`);
  if (isRegex(value)) {
    try {
      new RegExp(value.slice(1, -1));
    } catch {
      throw new ExprError(`invalid expression "${text}": bad regular expression`);
    }
  }
  return { key: m[2] as string, op: m[3] === '!=' ? '!=' : '==', value, soft: m[1] === '~' || m[4] === '~' };
}

export function formatExpr(e: Expr): string {
  return `${e.key}${e.op}${e.soft ? '~' : ''}${e.value}`;
}

function isRegex(v: string): boolean {
  return v.length >= 2 && v.startsWith('/') && v.endsWith('/');
}

/**
 * Does any of `whats` match the value (glob and plain case-insensitive, regex as written)? Outside a regex
 * `|` separates alternatives, as classic Swarm's `node==node-1|node-2` means either node.
 */
export function valueMatches(value: string, whats: readonly string[]): boolean {
  const re = compiled(value);
  return whats.some((w) => re.test(w));
}

const CACHE = new Map<string, RegExp>();

/** Patterns are compiled once: one create checks the same few values against every node. */
function compiled(value: string): RegExp {
  let re = CACHE.get(value);
  if (re) return re;
  re = isRegex(value)
    ? new RegExp(value.slice(1, -1))
    : new RegExp(
        `^(?:${value
          .split('|')
          .map((alt) => alt.split('*').map(escapeRe).join('.*'))
          .join('|')})$`,
        'i',
      );
  if (CACHE.size > 1000) CACHE.clear();
  CACHE.set(value, re);
  return re;
}

/** The expression's verdict given the candidate strings of one node (or container). */
export function exprMatches(e: Expr, whats: readonly string[]): boolean {
  const hit = valueMatches(e.value, whats);
  return e.op === '==' ? hit : !hit;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
