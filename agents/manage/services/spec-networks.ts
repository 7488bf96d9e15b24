/** `TaskTemplate.Networks` (or the deprecated top-level `Networks`): the cluster networks a task joins. */
import { SpecError } from './errors.js';
import { arr, need, obj, str, strings, type Raw } from './read.js';
import type { NetworkAttachment } from './types.js';

const ALIAS = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function parseNetworks(v: Raw, path: string): NetworkAttachment[] {
  const out = (arr(v, path, 32) ?? []).map((n, i): NetworkAttachment => {
    const f = `${path}[${i}]`;
    const o = need(obj(n, f), f);
    const target = need(str(o.Target, `${f}.Target`, { max: 255 }), `${f}.Target`);
    const aliases = strings(o.Aliases, `${f}.Aliases`) ?? [];
    aliases.forEach((a, j) => {
      if (!ALIAS.test(a)) throw new SpecError(`${f}.Aliases[${j}]`, `${JSON.stringify(a)} is not a valid DNS name`);
    });
    if (
      o.DriverOpts !== undefined &&
      o.DriverOpts !== null &&
      Object.keys(obj(o.DriverOpts, `${f}.DriverOpts`)!).length
    )
      throw new SpecError(`${f}.DriverOpts`, 'driver options are not supported');
    return { Target: target, Aliases: aliases };
  });
  const seen = new Set<string>();
  out.forEach((n, i) => {
    if (seen.has(n.Target)) throw new SpecError(`${path}[${i}].Target`, `network ${n.Target} is attached twice`);
    seen.add(n.Target);
  });
  return out;
}
