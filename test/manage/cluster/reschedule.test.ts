import t from 'tap';
import { stoppedByFailure, FAILURE_WINDOW_MS } from '../../../agents/manage/cluster/reschedule.js';

t.test('which containers of a failed node are rescheduled', async (t) => {
  const failedAt = Date.parse('2026-01-01T00:01:00Z');
  t.ok(stoppedByFailure('running', undefined, failedAt), 'running when last seen');
  t.ok(stoppedByFailure('exited', '2026-01-01T00:00:58Z', failedAt), 'exited as the engine went down');
  t.notOk(
    stoppedByFailure('exited', new Date(failedAt - FAILURE_WINDOW_MS - 1000).toISOString(), failedAt),
    'stopped earlier, on purpose',
  );
  t.notOk(stoppedByFailure('created', undefined, failedAt), 'never started');
  t.notOk(stoppedByFailure('exited', '2026-01-01T00:00:58Z', undefined), 'no failure recorded');
  t.notOk(stoppedByFailure('exited', 'garbage', failedAt));
});
