/** When a failed create is tried on the next node (swarm.createretry), as a table. */
import t from 'tap';
import { retriesCreate } from '../../../agents/manage/cluster/create.js';

t.test('a failed attempt is retried on the next node up to swarm.createretry times, but a name clash', async (t) => {
  const cases: [string, number, number, number, boolean][] = [
    // what, status, attempt (from 0), createretry, retried
    ['no retries: the first answer stands', 500, 0, 0, false],
    ['RH4: an engine that could not be reached, createretry=1', 500, 0, 1, true],
    ['the retry failed too: no more', 500, 1, 1, false],
    ['a refusal particular to the node (404 at create)', 404, 0, 2, true],
    ['a 400 (e.g. --ipc container:X elsewhere)', 400, 1, 2, true],
    ['a name clash is the same everywhere', 409, 0, 3, false],
  ];
  for (const [what, status, attempt, createRetry, want] of cases)
    t.equal(retriesCreate(status, attempt, createRetry), want, what);
});
