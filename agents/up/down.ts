/**
 * `shoal down`: stop and remove exactly what `shoal up` recorded: its containers first (while their engines
 * still run), then every journaled step undone in reverse (undo.ts: processes newest first, engines with
 * their leftovers, bridges and data, images, the agents' keys in a store that outlives us), then the state.
 * Nothing else. `up` ends a failed run the same way (`finish`).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../common/errors.js';
import type { Store } from '../store/store.js';
import { isAlive } from './proc.js';
import { openClusterStore } from './store.js';
import { readState, stateFile, writeState, type UpState } from './state.js';
import { undoSteps, type StepEvents } from './steps.js';
import type { Io, TeardownCtx } from './types.js';
import { docker, journaledSteps, stateJournal, stopProcs } from './undo.js';

export { ourKeys, recordedLeftovers } from './undo.js';

/** A TeardownCtx over `state`; `close` closes the store if one was opened. */
export function teardownCtx(state: UpState, out: (line: string) => void): TeardownCtx & { close(): Promise<void> } {
  let opened: Promise<Store | undefined> | undefined;
  return {
    state,
    out,
    save: () => writeState(state),
    foreignStore() {
      const s = state.store;
      if (!s || s.started) return Promise.resolve(undefined);
      opened ??= openClusterStore(s.base, state.prefix).catch((err: unknown) => {
        out(`ERR store keys not removed: ${errorMessage(err)}`);
        return undefined;
      });
      return opened;
    },
    async close() {
      await (await opened)?.close().catch(() => {});
    },
  };
}

/** Report an undo that failed (the others still run). */
export const undoEvents = (out: (line: string) => void): StepEvents => ({
  undoFailed: (name, err) => out(`ERR ${name}: ${errorMessage(err)}`),
});

/** After the undo: the state goes, unless something could not be removed or still runs (then it is kept). */
export function finish(ctx: TeardownCtx, undoFailed: boolean): number {
  const { state } = ctx;
  const alive = state.processes.filter(isAlive);
  const failed = alive.length ? [`still running: ${alive.map((p) => `${p.name} (${p.pid})`).join(', ')}`] : [];
  if (undoFailed || failed.length) {
    ctx.out(`ERR ${[...failed, 'state kept'].join('; ')} in ${stateFile(state.stateDir)}`);
    return 1;
  }
  const dirs = ['state.json', 'logs', 'edge', 'engines', 'image', 'docker-cli', 'consul', 'etcd'];
  const targets = state.createdStateDir ? [state.stateDir] : dirs.map((f) => path.join(state.stateDir, f));
  try {
    for (const p of targets) rmSync(p, { recursive: true, force: true });
  } catch (err) {
    ctx.out(`ERR ${errorMessage(err)}`);
    return 1;
  }
  ctx.out(`ok  state ${state.stateDir} removed`);
  return 0;
}

export async function down(stateDir: string, io: Pick<Io, 'out'>): Promise<number> {
  const state = readState(stateDir);
  if (!state) {
    io.out(`nothing to do: no shoal up state in ${stateDir}`);
    return 0;
  }
  const ctx = teardownCtx(state, io.out);
  try {
    for (const c of [...state.containers].reverse()) {
      const r = await docker(c.dockerHost, ['rm', '-f', '-v', c.id], stateDir);
      io.out(`ok  container ${c.name}${r.exitCode === 0 ? ' removed' : ' already gone'}`);
    }
    state.containers = [];
    ctx.save();
    await stopProcs(ctx, undefined); // started by an older shoal, which tagged no process with its step
    const r = await undoSteps(journaledSteps(state), ctx, { journal: stateJournal(ctx), events: undoEvents(io.out) });
    return finish(ctx, r.undoFailures.length > 0);
  } finally {
    await ctx.close();
  }
}
