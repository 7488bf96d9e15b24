import t from 'tap';
import { parseDuration, formatDuration } from '../../agents/common/duration.js';

t.test('parses the spellings users of registrator and swarm write', async (t) => {
  t.equal(parseDuration('30'), 30_000);
  t.equal(parseDuration('30s'), 30_000);
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('1h'), 3_600_000);
  t.equal(parseDuration('1m30s'), 90_000);
  t.equal(parseDuration('1.5s'), 1500);
  t.equal(parseDuration(0.25), 250);
});

t.test('rejects what is not a duration, with the expectation', async (t) => {
  for (const bad of ['', 'abc', '10x', 's', '-5s', '1m30', '5 s']) {
    t.throws(() => parseDuration(bad), /expected a duration/, bad);
  }
});

t.test('formats whole units', async (t) => {
  t.equal(formatDuration(20_000), '20s');
  t.equal(formatDuration(120_000), '2m');
  t.equal(formatDuration(1500), '1500ms');
});
