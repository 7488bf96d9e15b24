/**
 * The task-spec key: a short digest of what a task container is made from (TaskTemplate, ForceUpdate and the
 * published ports). Two specs with the same key make the same containers, so a scale or a service-label change
 * replaces no task, and a task whose key differs from its service's is out of date.
 */
import type { ServiceSpec } from './types.js';

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

/** FNV-1a, 2 x 32 bits with different seeds, as 16 hex digits. Not cryptographic: it only tells specs apart. */
function digest(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

const cache = new WeakMap<ServiceSpec, string>();

/** The key of `spec`, remembered per spec object (specs are never mutated in place). */
export function specKey(spec: ServiceSpec): string {
  let key = cache.get(spec);
  if (key === undefined) {
    const { ConstraintText: _text, ...placement } = spec.TaskTemplate.Placement;
    key = digest(canonical({ t: { ...spec.TaskTemplate, Placement: placement }, p: spec.EndpointSpec.Ports }));
    cache.set(spec, key);
  }
  return key;
}
