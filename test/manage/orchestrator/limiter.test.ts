import t from 'tap';
import { KeyedLimiter } from '../../../agents/manage/orchestrator/limiter.js';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

t.test('at most `limit` jobs per key run at once; the rest start in order as earlier ones end', async (t) => {
  const l = new KeyedLimiter(2);
  const gates = [gate(), gate(), gate(), gate()];
  const started: number[] = [];
  const done = gates.map((g, i) =>
    l.run('node1', async () => {
      started.push(i);
      await g.promise;
      return i;
    }),
  );
  const other = l.run('node2', async () => 'other');
  t.equal(await other, 'other', 'another key does not wait');
  await Promise.resolve();
  t.same(started, [0, 1]);
  t.same(l.load('node1'), { active: 2, waiting: 2 });
  gates[1]!.open();
  t.equal(await done[1], 1);
  await new Promise((r) => setImmediate(r));
  t.same(started, [0, 1, 2], 'the first waiter took the freed slot');
  gates[0]!.open();
  gates[2]!.open();
  gates[3]!.open();
  t.same(await Promise.all(done), [0, 1, 2, 3]);
  t.same(started, [0, 1, 2, 3]);
  t.same(l.load('node1'), { active: 0, waiting: 0 });
});

t.test('a failing job frees its slot and its error reaches the caller', async (t) => {
  const l = new KeyedLimiter(1);
  await t.rejects(
    l.run('n', async () => {
      throw new Error('engine said no');
    }),
    /engine said no/,
  );
  t.equal(await l.run('n', async () => 'next'), 'next');
  t.same(l.load('n'), { active: 0, waiting: 0 });
});

t.test('the limit must be a positive integer', async (t) => {
  t.throws(() => new KeyedLimiter(0), RangeError);
  t.throws(() => new KeyedLimiter(1.5), RangeError);
});
