import t from 'tap';
import { formatTable, percentile, ratio, verdict, type BenchRow } from './table.js';

const rows: BenchRow[] = [
  { name: 'put p50', value: 5, unit: 'ms', limit: 20, better: 'lower' },
  { name: 'watch p99', value: 1500, unit: 'ms', limit: 1000, better: 'lower' },
  { name: 'throughput', value: 50, unit: 'req/s', limit: 100, better: 'higher' },
  { name: 'memory', value: 42.5, unit: 'MB', better: 'lower' },
];

t.test('ratio is value/limit; the verdict follows `better`', async (t) => {
  t.same(rows.map(ratio), [0.25, 1.5, 0.5, undefined]);
  t.same(rows.map(verdict), ['ok', 'OVER', 'UNDER', '-']);
  t.equal(verdict({ name: 'x', value: 200, unit: 'req/s', limit: 100, better: 'higher' }), 'ok');
});

t.test('the table has a title, a header, and one aligned line per row', async (t) => {
  const lines = formatTable('consul', rows).trimEnd().split('\n');
  t.equal(lines[0], '## consul');
  t.match(lines[1], /^measure\s+value\s+unit\s+limit\s+ratio\s+better\s+status$/);
  t.equal(lines.length, 3 + rows.length);
  t.match(lines[3], /^put p50\s+5\s+ms\s+20\s+0\.25\s+lower\s+ok$/);
  t.match(lines[4], /^watch p99\s+1500\s+ms\s+1000\s+1\.50\s+lower\s+OVER$/);
  t.match(lines[6], /^memory\s+42\.5\s+MB\s+-\s+-\s+lower\s+-$/);
  // columns line up: every row's value ends where the header's `value` ends
  const end = (lines[1] as string).indexOf('value') + 'value'.length;
  for (const l of lines.slice(3)) t.match(l.slice(0, end), /\d$/);
});

t.test('percentile by nearest rank', async (t) => {
  const s = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
  t.equal(percentile(s, 50), 5);
  t.equal(percentile(s, 90), 9);
  t.equal(percentile(s, 100), 10);
  t.ok(Number.isNaN(percentile([], 50)));
});
