import t from 'tap';
import { Debouncer } from '../../agents/render/debounce.js';
import { FakeClock } from '../fakes/fake-clock.js';

t.test('fires once after min of quiet', async (t) => {
  const c = new FakeClock();
  const fired: number[] = [];
  const d = new Debouncer({ minMs: 500, maxMs: 5000 }, () => fired.push(c.now()), c);
  d.trigger();
  c.advance(300);
  d.trigger();
  c.advance(300);
  d.trigger();
  c.advance(499);
  t.same(fired, []);
  t.equal(d.pending, true);
  c.advance(1);
  t.same(fired, [1100]);
  t.equal(d.pending, false);
  c.advance(10_000);
  t.same(fired, [1100], 'nothing more without a change');
});

t.test('a steady burst fires at max, then starts a new burst', async (t) => {
  const c = new FakeClock();
  const fired: number[] = [];
  const d = new Debouncer({ minMs: 500, maxMs: 2000 }, () => fired.push(c.now()), c);
  for (let i = 0; i < 30; i++) {
    d.trigger();
    c.advance(200);
  }
  // a change every 200 ms from 0 to 5800: never 500 ms quiet, so each burst is cut at max
  t.same(fired, [2000, 4000, 6000]);
  d.trigger();
  c.advance(1000);
  t.same(fired, [2000, 4000, 6000, 6500], 'a lone change fires min after it');
});

t.test('zero wait fires at once, without a timer', async (t) => {
  const c = new FakeClock();
  let n = 0;
  const d = new Debouncer({ minMs: 0, maxMs: 0 }, () => n++, c);
  d.trigger();
  t.equal(n, 1, 'fired inside trigger()');
  t.equal(d.pending, false);
  d.stop();
  d.trigger();
  t.equal(n, 1, 'stopped for good');
});

t.test('stop cancels a pending burst', async (t) => {
  const c = new FakeClock();
  let n = 0;
  const d = new Debouncer({ minMs: 50, maxMs: 200 }, () => n++, c);
  d.trigger();
  d.stop();
  c.advance(1000);
  t.equal(n, 0);
  d.trigger();
  c.advance(1000);
  t.equal(n, 0, 'stopped for good');
});
