/**
 * Stage marks of one render pass, for the PUT -> file breakdown: `performance.now()` readings taken where the
 * pipeline already is (a handful per pass, nothing when nobody reads them but a histogram observe). Pure.
 */

/** When the snapshot a pass renders arrived. */
export interface SnapshotMarks {
  /** The store's watch had the answer (pushed by the backend's watch loop). */
  received?: number | undefined;
  /** The core took the snapshot from the watch (after any store-level coalescing). */
  accepted: number;
}

export interface PassMarks extends Partial<SnapshotMarks> {
  /** The pass started (after the quiescence wait and any pass before it). */
  started: number;
  /** The pass has the template context: parsed now, or already by another template's pass. */
  built?: number;
  rendered?: number;
  /** A server-only change was applied through HAProxy's runtime API (before the file is written). */
  applied?: number;
  /** Written beside the destination (its fsync then runs alongside the check). */
  staged?: number;
  /** The check command on the staged file returned (and the fsync). */
  checked?: number;
  /** Renamed over the destination (and the directory fsynced). */
  swapped?: number;
}

export const STAGES = ['coalesce', 'wait', 'parse', 'render', 'write', 'check', 'swap'] as const;
export type Stage = (typeof STAGES)[number];

const FROM_TO: Record<Stage, [keyof PassMarks, keyof PassMarks]> = {
  coalesce: ['received', 'accepted'],
  wait: ['accepted', 'started'],
  parse: ['started', 'built'],
  render: ['built', 'rendered'],
  write: ['rendered', 'staged'],
  check: ['staged', 'checked'],
  swap: ['checked', 'swapped'],
};

/**
 * Milliseconds spent in each stage whose two ends were marked. `check` without a check command is 0 (staged ->
 * checked is marked at once); a pass that stopped early (unchanged, failed) has only its first stages.
 */
export function stageDurations(m: PassMarks): Partial<Record<Stage, number>> {
  const out: Partial<Record<Stage, number>> = {};
  for (const s of STAGES) {
    const [a, b] = FROM_TO[s];
    const from = m[a];
    const to = m[b];
    if (from !== undefined && to !== undefined) out[s] = Math.max(0, to - from);
  }
  return out;
}
