/**
 * `service logs`, the pure parts: stdcopy frames read back across chunk boundaries, lines cut per stream,
 * swarm's details before each line (after the timestamp), the task containers of a service or a task, the
 * query checked and the engine path built.
 */
import t from 'tap';
import {
  encodeFrame,
  engineLogsPath,
  formatDetails,
  logTargets,
  parseFrames,
  parseLogQuery,
  serviceLogLine,
  splitLines,
} from '../../../agents/manage/services/logs.js';
import { taskLabels } from '../../../agents/manage/services/names.js';

const S = 's'.repeat(25);
const T1 = '1'.repeat(25);
const T2 = '2'.repeat(25);
const N = 'n'.repeat(25);

t.test('frames: encode, parse whole and split, drop stdin frames', async (t) => {
  const a = encodeFrame(1, 'hello\n');
  const b = encodeFrame(2, 'oops\n');
  t.same([...a.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 6]);
  const all = Buffer.concat([a, b, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 120])]);
  const whole = parseFrames(all);
  t.same(
    whole.frames.map((f) => [f.stream, f.payload.toString()]),
    [
      [1, 'hello\n'],
      [2, 'oops\n'],
    ],
  );
  t.equal(whole.rest.length, 0);
  const first = parseFrames(all.subarray(0, 18));
  t.equal(first.frames.length, 1);
  t.equal(first.rest.length, 4, 'the started header is kept');
  const second = parseFrames(Buffer.concat([first.rest, all.subarray(18)]));
  t.same(
    second.frames.map((f) => f.payload.toString()),
    ['oops\n'],
  );
});

t.test('lines: whole lines out, the partial one kept', async (t) => {
  const one = splitLines(Buffer.alloc(0), Buffer.from('a\nb\npar'));
  t.same(one.lines.map(String), ['a', 'b']);
  t.equal(one.rest.toString(), 'par');
  const two = splitLines(one.rest, Buffer.from('tial\n'));
  t.same(two.lines.map(String), ['partial']);
  t.equal(two.rest.length, 0);
});

t.test('details and lines as the CLI parses them', async (t) => {
  const d = formatDetails({ containerId: 'c', nodeId: N, serviceId: S, taskId: T1 });
  t.equal(d, `com.docker.swarm.node.id=${N},com.docker.swarm.service.id=${S},com.docker.swarm.task.id=${T1}`);
  t.equal(serviceLogLine(Buffer.from('tick 1'), d, false).toString(), `${d} tick 1\n`);
  t.equal(
    serviceLogLine(Buffer.from('2026-12-07T21:00:00.123456789Z tick 1'), d, true).toString(),
    `2026-12-07T21:00:00.123456789Z ${d} tick 1\n`,
  );
  t.equal(serviceLogLine(Buffer.from('raw'), '', true).toString(), 'raw\n', 'no details: the line as is');
});

t.test('targets: the started task containers of the service or task, nothing else', async (t) => {
  const id = (taskId: string, slot: number) => ({
    serviceId: S,
    serviceName: 'web',
    taskId,
    slot,
    nodeId: N,
    specKey: 'k',
  });
  const listing = [
    { Id: 'c1', State: 'running', Labels: taskLabels(id(T1, 1), {}) },
    { Id: 'c2', State: 'exited', Labels: taskLabels(id(T2, 2), {}) },
    { Id: 'c3', State: 'created', Labels: taskLabels(id('3'.repeat(25), 3), {}) },
    { Id: 'other', State: 'running', Labels: { 'com.docker.swarm.service.id': S } },
    { Id: 'plain', State: 'running', Labels: null },
  ];
  t.same(
    logTargets(listing, { serviceId: S }).map((x) => x.containerId),
    ['c1', 'c2'],
  );
  t.same(logTargets(listing, { taskId: T2 }), [{ containerId: 'c2', nodeId: N, serviceId: S, taskId: T2 }]);
  t.same(logTargets(listing, { serviceId: 'x'.repeat(25) }), []);
});

t.test('query: defaults, refusals naming the field, the engine path', async (t) => {
  const q = parseLogQuery(new URLSearchParams('details=1&stderr=1&stdout=1&tail=2&follow=1'));
  if ('error' in q) throw new Error(q.error);
  t.same(q, { stdout: true, stderr: true, follow: true, timestamps: false, details: true, tail: '2', since: '' });
  t.equal(engineLogsPath('c1', q, false), '/containers/c1/logs?stdout=1&stderr=1&follow=1&tail=2');
  t.equal(engineLogsPath('c1', q, true), '/containers/c1/logs?stdout=1&stderr=1&follow=1&tail=all');
  t.match(parseLogQuery(new URLSearchParams('stdout=1&tail=x')), { error: /"tail"/ });
  t.match(parseLogQuery(new URLSearchParams('stdout=1&since=yesterday')), { error: /"since"/ });
  t.match(parseLogQuery(new URLSearchParams('tail=1')), { error: /choose at least one stream/ });
});
