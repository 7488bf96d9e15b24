/**
 * Placement constraints and spread preferences as swarm reads them: `key==value` / `key!=value` on
 * node.id, node.hostname, node.role, node.platform.os|arch, node.labels.<k>, engine.labels.<k>; values
 * compare case-insensitively; a label the node lacks never equals, so `!=` holds.
 */
import { SpecError } from './errors.js';
import type { Constraint, ConstraintOp, SpreadPreference } from './types.js';

/** What a constraint can test on a node. */
export interface NodeFacts {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  labels: Record<string, string>;
  engineLabels: Record<string, string>;
  platform: { os: string; arch: string };
}

const KEY = /^[a-z_][a-z0-9\-_.]*$/i;
const VALUE = /^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$/i;
const FIXED = new Set(['node.id', 'node.hostname', 'node.role', 'node.platform.os', 'node.platform.arch']);
const LABEL_PREFIXES = ['node.labels.', 'engine.labels.'];

function validKey(key: string): boolean {
  if (FIXED.has(key)) return true;
  return LABEL_PREFIXES.some((p) => key.startsWith(p) && key.length > p.length);
}

export function parseConstraint(text: string, field: string): Constraint {
  const m = /^(.*?)(==|!=)(.*)$/s.exec(text);
  if (!m) throw new SpecError(field, `${JSON.stringify(text)}: constraint must be key==value or key!=value`);
  const key = m[1]!.trim();
  const op = m[2] as ConstraintOp;
  const value = m[3]!.trim();
  if (key === '' || !KEY.test(key)) throw new SpecError(field, `${JSON.stringify(text)}: invalid key`);
  if (!validKey(key))
    throw new SpecError(
      field,
      `${JSON.stringify(key)}: constraint key must be node.id, node.hostname, node.role, node.platform.os, ` +
        'node.platform.arch, node.labels.<name> or engine.labels.<name>',
    );
  if (value === '' || !VALUE.test(value)) throw new SpecError(field, `${JSON.stringify(text)}: invalid value`);
  if (key === 'node.role' && !['manager', 'worker'].includes(value.toLowerCase()))
    throw new SpecError(field, `${JSON.stringify(value)}: node.role is manager or worker`);
  return { key, op, value };
}

export function parseSpread(descriptor: string, field: string): SpreadPreference {
  if (!LABEL_PREFIXES.some((p) => descriptor.startsWith(p) && descriptor.length > p.length) || !KEY.test(descriptor))
    throw new SpecError(
      field,
      `${JSON.stringify(descriptor)}: spread descriptor must be node.labels.<name> or engine.labels.<name>`,
    );
  return { SpreadDescriptor: descriptor };
}

/** The node's value for a constraint or preference key; undefined when the node has no such label. */
export function factOf(node: NodeFacts, key: string): string | undefined {
  switch (key) {
    case 'node.id':
      return node.id;
    case 'node.hostname':
      return node.hostname;
    case 'node.role':
      return node.role;
    case 'node.platform.os':
      return node.platform.os;
    case 'node.platform.arch':
      return node.platform.arch;
  }
  if (key.startsWith('node.labels.')) return own(node.labels, key.slice('node.labels.'.length));
  if (key.startsWith('engine.labels.')) return own(node.engineLabels, key.slice('engine.labels.'.length));
  return undefined;
}

function own(map: Record<string, string>, k: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(map, k) ? map[k] : undefined;
}

export function constraintMatches(c: Constraint, node: NodeFacts): boolean {
  const have = factOf(node, c.key);
  const equal = have !== undefined && have.toLowerCase() === c.value.toLowerCase();
  return c.op === '==' ? equal : !equal;
}

export function allMatch(cs: readonly Constraint[], node: NodeFacts): boolean {
  for (const c of cs) if (!constraintMatches(c, node)) return false;
  return true;
}
