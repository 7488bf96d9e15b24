/**
 * `shoal up`: a whole cluster on one machine, step by step with progress (the steps: up-steps.ts, run by
 * steps.ts). Every step is journaled and every process and file recorded in the state file as soon as it
 * exists; a failed step undoes itself and every step before it in reverse (unless --keep-on-error), so `up`
 * either leaves a working cluster or nothing. The demo runs on the cluster once it is up.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, errorMessage } from '../common/errors.js';
import type { Store } from '../store/store.js';
import { runDemo } from './demo.js';
import { down, finish, teardownCtx, undoEvents } from './down.js';
import { checkPrerequisites } from './prereq.js';
import { isAlive } from './proc.js';
import { parseStoreFlag } from './store.js';
import { newState, readState, stateFile, writeState } from './state.js';
import { clusterTable } from './status.js';
import { undoSteps, runSteps, type StepEvents } from './steps.js';
import { progress } from './table.js';
import type { Io, UpCtx, UpOptions } from './types.js';
import { upSteps } from './up-steps.js';
import { journaledSteps, stateJournal } from './undo.js';

function progressEvents(io: Io): StepEvents {
  return {
    ...undoEvents(io.out),
    start: (name) => io.out(progress.start(name)),
    ok: (name, ms, detail) => io.out(progress.ok(name, ms, detail)),
    fail: (name, err) => io.out(progress.fail(name ?? 'shoal up', errorMessage(err))),
    rollback: () => io.out('rolling back: stopping and removing what was started'),
  };
}

function upCtx(opts: UpOptions, io: Io): UpCtx & { close(): Promise<void> } {
  const prefix = opts.prefix ?? (opts.store ? parseStoreFlag(opts.store).prefix : '');
  const state = newState(opts.stateDir, prefix);
  state.createdStateDir = !existsSync(opts.stateDir);
  const logs = path.join(opts.stateDir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  writeState(state);
  const teardown = teardownCtx(state, io.out);
  let store: Store | undefined;
  return {
    ...teardown,
    opts,
    io,
    logs,
    store() {
      if (!store) throw new Error('no store yet');
      return store;
    },
    setStore: (s) => void (store = s),
    record(step, p) {
      state.processes.push({ ...p, step });
      writeState(state);
    },
    async close() {
      await store?.close().catch(() => {});
      await teardown.close();
    },
  };
}

export async function up(opts: UpOptions, io: Io): Promise<number> {
  const old = readState(opts.stateDir);
  if (old) {
    if (old.processes.some(isAlive)) {
      const why = `a cluster is already up (${stateFile(opts.stateDir)}): run 'shoal down' first`;
      throw new ConfigError(`shoal up: ${why}`, 'stateDir');
    }
    io.out(`cleaning up what a previous 'shoal up' left in ${opts.stateDir}`);
    await down(opts.stateDir, { ...io, out: () => {} });
  }
  await checkPrerequisites(opts);
  const ctx = upCtx(opts, io);
  const events = progressEvents(io);
  const journal = stateJournal(ctx);
  try {
    const r = await runSteps(upSteps(ctx), ctx, { journal, events, rollback: !opts.keepOnError });
    if (!r.ok) {
      if (opts.keepOnError) io.out(`left running for inspection: logs in ${ctx.logs}; 'shoal down' removes it`);
      else finish(ctx, r.undoFailures.length > 0);
      return 1;
    }
    ctx.state.complete = true;
    ctx.save();
    io.out('');
    try {
      io.out(await clusterTable(ctx.state, ctx.store()));
    } catch (err) {
      events.fail?.('shoal up', err);
      events.rollback?.();
      const u = await undoSteps(journaledSteps(ctx.state), ctx, { journal, events });
      finish(ctx, u.undoFailures.length > 0);
      return 1;
    }
    if (!opts.demo) return 0;
    // the cluster is up and stays up: a failed demo is reported, not rolled back (down removes its containers)
    try {
      await runDemo(ctx.state, ctx.store(), io, ctx.save);
      return 0;
    } catch (err) {
      io.out(progress.fail('demo', errorMessage(err)));
      io.out("the cluster is still up: 'shoal status', 'shoal down'");
      return 1;
    }
  } finally {
    await ctx.close();
  }
}
