/** Plain-text tables and progress lines for `shoal up` / `shoal status`. Pure. */

export type Row = Record<string, string>;

export function table(columns: readonly string[], rows: readonly Row[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join(
    '\n',
  );
}

export function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** A step's start, success and failure lines. */
export const progress = {
  start: (what: string) => `... ${what}`,
  ok: (what: string, ms: number, detail?: string) => `ok  ${what} (${seconds(ms)})${detail ? `: ${detail}` : ''}`,
  fail: (what: string, message: string) => `ERR ${what}: ${message}`,
};
