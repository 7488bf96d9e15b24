/** The journal of `shoal up`'s steps in its state, and the undo `down` rebuilds from it: literal fixtures. */
import t from 'tap';
import { newState, type UpState } from '../../agents/up/state.js';
import type { TeardownCtx } from '../../agents/up/types.js';
import { journaledSteps, stateJournal, undoOf, upStep } from '../../agents/up/undo.js';

function ctx(state: UpState): TeardownCtx & { lines: string[]; saves: number } {
  const c = {
    state,
    lines: [] as string[],
    saves: 0,
    out: (l: string) => void c.lines.push(l),
    save: () => void (c.saves += 1),
    foreignStore: () => Promise.resolve(undefined),
  };
  return c;
}

const dead = (name: string, step: string | undefined) => ({
  name,
  pid: 999_999_999,
  startTime: 1,
  cmd: 'x',
  args: [],
  log: '/dev/null',
  step,
});

t.test(
  'the journal: a step is entered when it starts, marked when done, dropped once undone; each saved',
  async (t) => {
    const c = ctx(newState('/s', ''));
    const j = stateJournal(c);
    const a = upStep('engine', 'engine 1', async () => undefined, 1);
    const b = upStep('agent', 'join-dockerhost01', async () => undefined, 'dockerhost01');
    j.started(a);
    j.done(a);
    j.started(b);
    t.same(c.state.steps, [
      { kind: 'engine', name: 'engine 1', arg: 1, done: true },
      { kind: 'agent', name: 'join-dockerhost01', arg: 'dockerhost01', done: false },
    ]);
    j.undone(b);
    t.same(
      c.state.steps?.map((s) => s.name),
      ['engine 1'],
    );
    t.equal(c.saves, 4);
  },
);

t.test('down rebuilds the steps from the journal, in run order (it undoes them in reverse)', async (t) => {
  const state = newState('/s', '');
  state.steps = [
    { kind: 'procs', name: 'store', done: true },
    { kind: 'engine', name: 'engine 1', arg: 1, done: true },
    { kind: 'agent', name: 'registrator-dockerhost01', arg: 'dockerhost01', done: false },
  ];
  t.same(
    journaledSteps(state).map((s) => s.name),
    ['store', 'engine 1', 'registrator-dockerhost01'],
  );
});

t.test('a state of an older shoal (no journal): its engines, images and agents stand for the steps', async (t) => {
  const state = newState('/s', '');
  delete state.steps;
  const e = (n: number, started: boolean) => ({
    n,
    name: `h${n}`,
    dockerHost: `unix:///h${n}`,
    addr: `a${n}`,
    ip: 'i',
    labels: {},
    started,
  });
  state.engines = [e(1, true), e(0, false)];
  state.images = [{ dockerHost: 'unix:///h0', ref: 'img' }];
  t.same(
    journaledSteps(state).map((s) => s.name),
    ['engine 1', 'image on unix:///h0', 'agents of h1', 'agents of h0'],
  );
});

t.test("a step's undo stops only the processes it started, newest first", async (t) => {
  const state = newState('/s', '');
  state.processes = [dead('manage', 'manager'), dead('consul', 'store'), dead('render', 'manager')];
  const c = ctx(state);
  await undoOf({ kind: 'procs', name: 'manager' })(c);
  t.same(c.lines, ['ok  render (pid 999999999) was not running', 'ok  manage (pid 999999999) was not running']);
});
