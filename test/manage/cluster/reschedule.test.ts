import t from 'tap';
import { rescheduledAway, stoppedByFailure, FAILURE_WINDOW_MS } from '../../../agents/manage/cluster/reschedule.js';
import type { NodeSnapshot } from '../../../agents/manage/scheduler/node.js';
import { ctr, node } from '../scheduler/fixtures.js';

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

t.test('RH1: the copies an unhealthy node no longer shows, once rescheduled to a healthy node', async (t) => {
  const POLICY = { 'com.docker.swarm.reschedule-policies': '["on-node-failure"]' };
  const c = (id: string, swarmId: string | undefined, labels: Record<string, string> = POLICY) =>
    ctr({ id, labels: swarmId ? { ...labels, 'com.docker.swarm.id': swarmId } : labels });
  const down = (containers: ReturnType<typeof ctr>[]) => node('h8', { health: 'unhealthy', containers });
  const cases: [string, NodeSnapshot, NodeSnapshot[], string[]][] = [
    [
      'rescheduled to a healthy node: hidden',
      down([c('old', 'S1')]),
      [node('h1', { containers: [c('new', 'S1')] })],
      ['old'],
    ],
    ['not yet rescheduled: shown', down([c('old', 'S1')]), [node('h1')], []],
    [
      'the new copy is on a node that is unhealthy too: shown',
      down([c('old', 'S1')]),
      [node('h2', { health: 'unhealthy', containers: [c('new', 'S1')] })],
      [],
    ],
    [
      'the new copy is on a pending node: shown',
      down([c('old', 'S1')]),
      [node('h2', { health: 'pending', containers: [c('new', 'S1')] })],
      [],
    ],
    [
      'no reschedule policy: shown, whatever shares its swarm ID',
      down([c('plain', 'S2', {})]),
      [node('h1', { containers: [c('other', 'S2')] })],
      [],
    ],
    ['no swarm ID: shown', down([c('old', undefined)]), [node('h1', { containers: [c('x', undefined)] })], []],
    [
      'only the rescheduled one of several',
      down([c('a', 'S1'), c('b', 'S3'), c('p', 'S4', {})]),
      [node('h1', { containers: [c('new-a', 'S1')] }), node('h2', { containers: [c('new-p', 'S4')] })],
      ['a'],
    ],
    [
      'a healthy node hides nothing (its old copy is removed from the engine)',
      node('h8', { containers: [c('old', 'S1')] }),
      [node('h1', { containers: [c('new', 'S1')] })],
      [],
    ],
  ];
  for (const [what, n, others, hidden] of cases) t.same([...rescheduledAway(n, [n, ...others])].sort(), hidden, what);
});
