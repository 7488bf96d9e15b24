/** The engine health state machine, as a table of literal state + event -> next state (failureRetry 3 unless said). */
import t from 'tap';
import { healthScore, INITIAL_HEALTH, nextHealth, refreshOnAnswer } from '../../../agents/manage/cluster/health.js';
import type { HealthEvent, HealthState } from '../../../agents/manage/cluster/health.js';
import type { Health } from '../../../agents/manage/scheduler/node.js';

const T0 = 1_000;
const T1 = 2_000;

/** health, failures in a row, start of the run, last error, whether a ping failed last. */
const S = (
  health: Health,
  failures = 0,
  firstFailureAt?: number,
  error = '',
  lastFailureByPing = false,
): HealthState => ({ health, failures, firstFailureAt, error, lastFailureByPing });

const refreshed: HealthEvent = { kind: 'refreshed' };
const refreshFailed = (error: string, at = T1): HealthEvent => ({ kind: 'refresh-failed', error, at });
const pingFailed = (error: string, at = T1): HealthEvent => ({ kind: 'ping-failed', error, at });
const callFailed = (error: string, at = T1): HealthEvent => ({ kind: 'call-failed', error, at });
const pinged: HealthEvent = { kind: 'pinged' };

const BY_PING = true;
const cases: [string, HealthState, HealthEvent, HealthState, number?][] = [
  // Pending
  ['first refresh: healthy', S('pending'), refreshed, S('healthy')],
  [
    'failed first refresh: counted, still pending',
    S('pending'),
    refreshFailed('refused', T0),
    S('pending', 1, T0, 'refused'),
  ],
  // classic Swarm: a node never reached stays Pending (RH5), however often it fails
  [
    'third failure: still pending, never unhealthy',
    S('pending', 2, T0, 'refused'),
    refreshFailed('EHOSTUNREACH'),
    S('pending', 3, T0, 'EHOSTUNREACH'),
  ],
  ['retries 1: still pending', S('pending'), refreshFailed('refused', T0), S('pending', 1, T0, 'refused'), 1],
  [
    'a ping failure leaves it pending',
    S('pending', 5, T0, 'refused'),
    pingFailed('timeout'),
    S('pending', 6, T0, 'ping: timeout', BY_PING),
  ],
  ['an answered ping leaves it pending', S('pending'), pinged, S('pending')],
  // Healthy: refresh failures
  ['a refresh failure starts the run', S('healthy'), refreshFailed('refused', T0), S('healthy', 1, T0, 'refused')],
  [
    'a later failure keeps the start, takes the newest error',
    S('healthy', 1, T0, 'refused'),
    refreshFailed('timeout'),
    S('healthy', 2, T0, 'timeout'),
  ],
  [
    'third refresh failure: unhealthy',
    S('healthy', 2, T0, 'timeout'),
    refreshFailed('ECONNRESET'),
    S('unhealthy', 3, T0, 'ECONNRESET'),
  ],
  // Healthy: ping failures
  [
    'a ping failure counts the same, its error says ping',
    S('healthy'),
    pingFailed('timeout', T0),
    S('healthy', 1, T0, 'ping: timeout', BY_PING),
  ],
  [
    'third failure by ping: unhealthy',
    S('healthy', 2, T0, 'ping: timeout', BY_PING),
    pingFailed('timeout'),
    S('unhealthy', 3, T0, 'ping: timeout', BY_PING),
  ],
  [
    'ping and refresh failures add up',
    S('healthy', 2, T0, 'ping: timeout', BY_PING),
    refreshFailed('ECONNRESET'),
    S('unhealthy', 3, T0, 'ECONNRESET'),
  ],
  [
    "a refresh failure after a ping failure is not the ping's",
    S('healthy', 1, T0, 'ping: x', BY_PING),
    refreshFailed('refused'),
    S('healthy', 2, T0, 'refused'),
  ],
  [
    "a ping failure after a refresh failure is the ping's",
    S('healthy', 1, T0, 'refused'),
    pingFailed('timeout'),
    S('healthy', 2, T0, 'ping: timeout', BY_PING),
  ],
  // Healthy: calls through the manager (a create) that could not reach the engine (RH3)
  [
    'a failed create counts as a failure, its error as is',
    S('healthy'),
    callFailed('Cannot connect', T0),
    S('healthy', 1, T0, 'Cannot connect'),
  ],
  [
    'a failed create after refresh failures reaches the retries: unhealthy',
    S('healthy', 2, T0, 'refused'),
    callFailed('Cannot connect'),
    S('unhealthy', 3, T0, 'Cannot connect'),
  ],
  [
    'a failed create on a pending node: still pending',
    S('pending', 1, T0, 'refused'),
    callFailed('Cannot connect'),
    S('pending', 2, T0, 'Cannot connect'),
  ],
  // Unhealthy
  [
    'failures past the retries keep counting',
    S('unhealthy', 3, T0, 'refused'),
    pingFailed('timeout'),
    S('unhealthy', 4, T0, 'ping: timeout', BY_PING),
  ],
  ['a refresh success clears the whole run', S('unhealthy', 5, T0, 'refused'), refreshed, S('healthy')],
  [
    'an answered ping leaves it to the refresh',
    S('unhealthy', 3, T0, 'ping: x', BY_PING),
    pinged,
    S('unhealthy', 3, T0, 'ping: x', BY_PING),
  ],
  // Recovery
  [
    'a refresh success keeps who failed last (the count is 0)',
    S('healthy', 2, T0, 'ping: x', BY_PING),
    refreshed,
    S('healthy', 0, undefined, '', BY_PING),
  ],
  [
    "an answered ping clears the pings' run: count, start, error",
    S('healthy', 2, T0, 'ping: x', BY_PING),
    pinged,
    S('healthy', 0, undefined, '', BY_PING),
  ],
  [
    "an answered ping leaves a refresh's failures alone",
    S('healthy', 1, T0, 'refused'),
    pinged,
    S('healthy', 1, T0, 'refused'),
  ],
  ['an answered ping without failures changes nothing', S('healthy'), pinged, S('healthy')],
];

t.test('state + event -> next state', async (t) => {
  for (const [what, state, event, next, failureRetry = 3] of cases) {
    t.same(nextHealth(state, event, { failureRetry }), next, what);
  }
});

t.test('nextHealth never changes the state it is given', async (t) => {
  const state = S('healthy', 2, T0, 'ping: x', BY_PING);
  const before = structuredClone(state);
  nextHealth(state, pinged, { failureRetry: 3 });
  nextHealth(state, pingFailed('x'), { failureRetry: 3 });
  nextHealth(state, refreshed, { failureRetry: 3 });
  t.same(state, before);
});

t.test('a node starts pending with no failures', async (t) => {
  t.same(INITIAL_HEALTH, S('pending'));
});

t.test("an answered ping refreshes at once only a node not healthy whose failures are the pings'", async (t) => {
  t.equal(refreshOnAnswer(S('unhealthy', 3, T0, 'ping: x', BY_PING)), true);
  t.equal(refreshOnAnswer(S('pending', 1, T0, 'ping: x', BY_PING)), true);
  t.equal(refreshOnAnswer(S('unhealthy', 3, T0, 'refused')), false, "a refresh's failures wait");
  t.equal(refreshOnAnswer(S('healthy', 2, T0, 'ping: x', BY_PING)), false, 'a healthy node is cleared, not refreshed');
  t.equal(refreshOnAnswer(S('unhealthy', 0, undefined, '', BY_PING)), false);
});

t.test("the health score: classic Swarm's health indicator (failureRetry 20 unless said)", async (t) => {
  const cases: [string, HealthState, number, number?][] = [
    ['healthy, no failure', S('healthy'), 100],
    ['one failure of 20', S('healthy', 1, T0, 'x'), 95],
    ['three failures of 20', S('healthy', 3, T0, 'x'), 85],
    ['one failure of 3: rounded down', S('healthy', 1, T0, 'x'), 67, 3],
    ['two failures of 3', S('healthy', 2, T0, 'x'), 34, 3],
    ['failures at the retries (not yet marked)', S('healthy', 20, T0, 'x'), 0],
    ['pending', S('pending'), 0],
    ['pending with failures', S('pending', 4, T0, 'x'), 0],
    ['unhealthy', S('unhealthy', 25, T0, 'x'), 0],
  ];
  for (const [what, state, score, failureRetry = 20] of cases)
    t.equal(healthScore(state, { failureRetry }), score, what);
});
