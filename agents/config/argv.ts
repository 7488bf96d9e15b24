/**
 * Normalise command lines written for the Go tools shoal replaces, before commander sees them:
 * `-ttl 30` / `-ip=1.2.3.4` (Go single-dash long flags), `-H=0.0.0.0:2375` (short flag with `=`),
 * `--internal=true|false` (Go bool syntax). Pure.
 */
import type { OptionSpec } from './spec.js';

export function normalizeArgv(argv: readonly string[], options: readonly OptionSpec[]): string[] {
  const longNames = new Map<string, OptionSpec>();
  for (const o of options) for (const n of [o.flag, ...(o.aliases ?? [])]) longNames.set(n, o);
  longNames.set('config', {
    key: 'config',
    flag: 'config',
    value: 'FILE',
    description: '',
    schema: undefined as never,
  });
  const shorts = new Set(options.map((o) => o.short).filter((s): s is string => s !== undefined));

  const out: string[] = [];
  let rest = false;
  for (const arg of argv) {
    if (rest || arg === '--') {
      rest = true;
      out.push(arg);
      continue;
    }
    // -H=value -> -H value
    const shortEq = /^-([A-Za-z])=(.*)$/s.exec(arg);
    if (shortEq && shorts.has(shortEq[1] as string)) {
      out.push(`-${shortEq[1]}`, shortEq[2] as string);
      continue;
    }
    // -name / -name=value (Go style) -> --name / --name=value, only for names we know
    const goStyle = /^-([a-z][a-z0-9-]+)(=.*)?$/s.exec(arg);
    let a = arg;
    if (goStyle && longNames.has(goStyle[1] as string)) a = `-${arg}`;
    // --flag=true|false for switches -> --flag / --no-flag
    const boolEq = /^--([a-z][a-z0-9-]*)=(true|false|1|0)$/i.exec(a);
    if (boolEq) {
      const spec = longNames.get(boolEq[1] as string);
      if (spec && spec.value === undefined) {
        const on = ['true', '1'].includes((boolEq[2] as string).toLowerCase());
        out.push(on ? `--${spec.flag}` : `--no-${spec.flag}`);
        continue;
      }
    }
    // aliases -> canonical flag, so commander needs to know only one name
    const long = /^--([a-z][a-z0-9-]*)(=.*)?$/s.exec(a);
    if (long) {
      const spec = longNames.get(long[1] as string);
      if (spec && spec.flag !== long[1]) a = `--${spec.flag}${long[2] ?? ''}`;
    }
    out.push(a);
  }
  return out;
}
