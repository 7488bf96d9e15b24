/** snapshotStream: a long-lived watch must not pile up abort listeners, one per coalescing window. */
import t from 'tap';
import { snapshotStream } from '../../agents/store/snapshot-stream.js';

t.test('many coalesced snapshots leave no abort listeners behind', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const ac = new AbortController();
  let yielded = 0;
  const stream = snapshotStream(
    async (push, signal) => {
      for (let i = 0; i < 40 && !signal.aborted; i++) {
        push({ entries: [{ key: 'k', value: String(i) }], revision: String(i) });
        await new Promise((r) => setTimeout(r, 8));
      }
    },
    { signal: ac.signal, coalesceMs: 2 },
  );
  for await (const s of stream) {
    yielded++;
    if (s.entries[0]!.value === '39') break;
  }
  await new Promise((r) => setImmediate(r));
  t.ok(yielded > 11, `${yielded} snapshots yielded`);
  t.same(
    warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
    [],
    'no listener leak warning',
  );
});
