/** What /events asks the engines for: no history unless `since` asks for it, nothing at all for a past `until`. */
import t from 'tap';
import { eventsPlan, timestampMs } from '../../../agents/manage/api/eventsplan.js';

const NOW = 1_800_000_000_000;

t.test('timestamps: seconds with nanoseconds, RFC 3339, junk', async (t) => {
  t.equal(timestampMs('1800000000.500000000'), NOW + 500);
  t.equal(timestampMs('1800000000'), NOW);
  t.equal(timestampMs('2027-01-15T08:00:00Z'), Date.parse('2027-01-15T08:00:00Z'));
  t.ok(Number.isNaN(timestampMs('soon')));
});

t.test('an until in the past ends at once', async (t) => {
  t.same(eventsPlan(new URLSearchParams({ until: '1799999999' }), NOW), { endNow: true, query: '' });
});

t.test('a future until without since streams from now; with since, the engines replay from there', async (t) => {
  t.same(eventsPlan(new URLSearchParams({ since: '1700000000', until: '1700000001' }), NOW), {
    endNow: false,
    query: 'since=1700000000&until=1700000001',
  });
  t.same(eventsPlan(new URLSearchParams({ until: '1800000010' }), NOW), {
    endNow: false,
    query: 'until=1800000010&since=1800000000.000',
  });
  t.same(eventsPlan(new URLSearchParams({ since: '1700000000', until: '1800000010' }), NOW), {
    endNow: false,
    query: 'since=1700000000&until=1800000010',
  });
});

t.test('no until: the query passes unchanged', async (t) => {
  t.same(eventsPlan(new URLSearchParams({ filters: '{"type":["container"]}' }), NOW), {
    endNow: false,
    query: 'filters=%7B%22type%22%3A%5B%22container%22%5D%7D',
  });
  t.same(eventsPlan(new URLSearchParams({ until: 'whenever' }), NOW), {
    endNow: false,
    query: 'until=whenever&since=1800000000.000',
  });
});
