/**
 * Benchmark result tables: one row per measure with its value, its limit and `ratio = value/limit`
 * (for `better: 'lower'` a ratio at most 1 meets the target; for `'higher'` at least 1).
 *
 *   printTable('consul store', [{ name: 'put p50', value: 3.2, unit: 'ms', limit: 20, better: 'lower' }]);
 */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  limit?: number | undefined;
  better: 'lower' | 'higher';
}

export function ratio(row: BenchRow): number | undefined {
  if (row.limit === undefined || row.limit === 0) return undefined;
  return row.value / row.limit;
}

/** `ok`, `OVER` (lower is better, above the limit), `UNDER` (higher is better, below it), or `-`. */
export function verdict(row: BenchRow): 'ok' | 'OVER' | 'UNDER' | '-' {
  const r = ratio(row);
  if (r === undefined) return '-';
  if (row.better === 'lower') return r <= 1 ? 'ok' : 'OVER';
  return r >= 1 ? 'ok' : 'UNDER';
}

function num(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a !== 0 && a < 0.01) return n.toExponential(2);
  if (a >= 1000 || Number.isInteger(n)) return Math.round(n).toString();
  return n.toFixed(a < 10 ? 2 : 1);
}

export function formatTable(title: string, rows: readonly BenchRow[]): string {
  const header = ['measure', 'value', 'unit', 'limit', 'ratio', 'better', 'status'];
  const body = rows.map((r) => {
    const q = ratio(r);
    return [
      r.name,
      num(r.value),
      r.unit,
      r.limit === undefined ? '-' : num(r.limit),
      q === undefined ? '-' : q.toFixed(2),
      r.better,
      verdict(r),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const right = new Set([1, 3, 4]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [`## ${title}`, line(header), rule, ...body.map(line), ''].join('\n');
}

export function printTable(
  title: string,
  rows: readonly BenchRow[],
  out: (s: string) => void = (s) => process.stdout.write(s),
): void {
  out(`${formatTable(title, rows)}\n`);
}

/** Percentile (nearest rank) of samples, for rows such as `p50`/`p99`. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}
