/** The step executor of `shoal up` with fake steps: order, journal, reverse undo, undo failures. */
import t from 'tap';
import { runSteps, undoSteps, type Step } from '../../agents/up/steps.js';

interface Ctx {
  log: string[];
}

function step(name: string, opts: { fail?: boolean; undoFails?: boolean; detail?: string } = {}): Step<Ctx> {
  return {
    name,
    async run(ctx) {
      ctx.log.push(`run ${name}`);
      if (opts.fail) throw new Error(`${name} broke`);
      return opts.detail;
    },
    async undo(ctx) {
      ctx.log.push(`undo ${name}`);
      if (opts.undoFails) throw new Error(`undo of ${name} broke`);
    },
  };
}

function journal() {
  const entries: string[] = [];
  return {
    entries,
    started: (s: Step<Ctx>) => void entries.push(`started ${s.name}`),
    done: (s: Step<Ctx>) => void entries.push(`done ${s.name}`),
    undone: (s: Step<Ctx>) => void entries.push(`undone ${s.name}`),
  };
}

t.test('runs the steps in order, journals each start and completion, reports progress', async (t) => {
  const ctx: Ctx = { log: [] };
  const j = journal();
  const events: string[] = [];
  let clock = 0;
  const r = await runSteps([step('a', { detail: 'A!' }), step('b'), step('c')], ctx, {
    journal: j,
    now: () => (clock += 5),
    events: { start: (n) => events.push(`start ${n}`), ok: (n, ms, d) => events.push(`ok ${n} ${ms} ${d}`) },
  });
  t.same(r, { ok: true, done: ['a', 'b', 'c'] });
  t.same(ctx.log, ['run a', 'run b', 'run c']);
  t.same(j.entries, ['started a', 'done a', 'started b', 'done b', 'started c', 'done c']);
  t.same(events, ['start a', 'ok a 5 A!', 'start b', 'ok b 5 undefined', 'start c', 'ok c 5 undefined']);
});

t.test('a failed step: the failed one, then the completed ones undo in reverse; later steps never run', async (t) => {
  const ctx: Ctx = { log: [] };
  const j = journal();
  const events: string[] = [];
  const r = await runSteps([step('a'), step('b'), step('c', { fail: true }), step('d')], ctx, {
    journal: j,
    events: {
      fail: (n, e) => events.push(`fail ${n}: ${(e as Error).message}`),
      rollback: () => events.push('rollback'),
    },
  });
  t.match(r, { ok: false, failed: 'c', error: { message: 'c broke' }, undone: ['c', 'b', 'a'], undoFailures: [] });
  t.same(ctx.log, ['run a', 'run b', 'run c', 'undo c', 'undo b', 'undo a']);
  t.same(j.entries, ['started a', 'done a', 'started b', 'done b', 'started c', 'undone c', 'undone b', 'undone a']);
  t.same(events, ['fail c: c broke', 'rollback']);
});

t.test('an undo that fails is reported and the rest still undo', async (t) => {
  const ctx: Ctx = { log: [] };
  const failures: string[] = [];
  const r = await runSteps([step('a'), step('b', { undoFails: true }), step('c', { fail: true })], ctx, {
    events: { undoFailed: (n, e) => failures.push(`${n}: ${(e as Error).message}`) },
  });
  t.same(ctx.log, ['run a', 'run b', 'run c', 'undo c', 'undo b', 'undo a']);
  const undoFailures = [{ step: 'b', error: { message: 'undo of b broke' } }];
  t.match(r, { ok: false, failed: 'c', undone: ['c', 'a'], undoFailures });
  t.same(failures, ['b: undo of b broke']);
});

t.test('rollback: false leaves everything as it is', async (t) => {
  const ctx: Ctx = { log: [] };
  const r = await runSteps([step('a'), step('b', { fail: true })], ctx, { rollback: false });
  t.same(ctx.log, ['run a', 'run b']);
  t.match(r, { ok: false, failed: 'b', undone: [] });
});

t.test('a lazy list: later steps built from what earlier ones did; a failure to build one rolls back', async (t) => {
  const ctx: Ctx = { log: [] };
  async function* steps(): AsyncGenerator<Step<Ctx>> {
    yield step('a');
    yield step(`after ${ctx.log.length} run(s)`);
    throw new Error('no next step');
  }
  const failed: (string | undefined)[] = [];
  const r = await runSteps(steps(), ctx, { events: { fail: (n) => failed.push(n) } });
  t.same(ctx.log, ['run a', 'run after 1 run(s)', 'undo after 1 run(s)', 'undo a']);
  t.match(r, { ok: false, failed: undefined, error: { message: 'no next step' } });
  t.same(failed, [undefined]);
});

t.test('undoSteps alone (as down uses it): newest first, past failures', async (t) => {
  const ctx: Ctx = { log: [] };
  const r = await undoSteps([step('a', { undoFails: true }), step('b'), step('c', { undoFails: true })], ctx);
  t.same(ctx.log, ['undo c', 'undo b', 'undo a']);
  t.same(r.undone, ['b']);
  t.same(
    r.undoFailures.map((f) => f.step),
    ['c', 'a'],
  );
});
