/**
 * Docker's container list filters applied to cached summaries (a node that is down cannot filter for us):
 * name (regex), id (prefix), label (key or key=value), status (state). Unknown keys do not filter. Pure.
 */
import type { ContainerSummary } from '../../docker/wire.js';

export function matchesFilters(c: ContainerSummary, filters: Record<string, string[]>): boolean {
  for (const [key, values] of Object.entries(filters)) {
    if (values.length === 0) continue;
    const ok = values.some((v) => {
      switch (key) {
        case 'name':
          try {
            const re = new RegExp(v);
            return (c.Names ?? []).some((n) => re.test(n.replace(/^\//, '')) || re.test(n));
          } catch {
            return false;
          }
        case 'id':
          return c.Id.startsWith(v);
        case 'label': {
          const i = v.indexOf('=');
          const labels = c.Labels ?? {};
          return i < 0 ? v in labels : labels[v.slice(0, i)] === v.slice(i + 1);
        }
        case 'status':
          return c.State === v;
        default:
          return true;
      }
    });
    if (!ok) return false;
  }
  return true;
}
