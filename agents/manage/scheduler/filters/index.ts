import type { Filter } from './filter.js';
import { health } from './health.js';
import { port } from './port.js';
import { containerslots } from './containerslots.js';
import { dependency } from './dependency.js';
import { affinity } from './affinity.js';
import { constraint } from './constraint.js';
import { whitelist } from './whitelist.js';

export type { Filter, FilterOutcome } from './filter.js';

export const FILTERS_BY_NAME: Record<string, Filter> = {
  health,
  port,
  containerslots,
  dependency,
  affinity,
  constraint,
  whitelist,
};

export function filtersByName(names: readonly string[]): Filter[] {
  return names.map((n) => {
    const f = FILTERS_BY_NAME[n];
    if (!f) throw new Error(`unknown filter "${n}"`);
    return f;
  });
}
