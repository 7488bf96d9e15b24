/** Consul's blocking-query index rules, shared by the watch and the lock wait. */

/**
 * The next blocking-query index, per Consul's rules: an index that went backwards (a restored snapshot, a
 * new cluster) resets to 0 so the next query re-reads at once; an equal index means nothing changed (the
 * wait ran out); an index of 0 or garbage is never blocked on (that busy-loops), it becomes 1. Pure.
 */
export function nextConsulIndex(last: number, received: number): { index: number; changed: boolean } {
  if (!Number.isSafeInteger(received) || received <= 0) return { index: 1, changed: true };
  if (received < last) return { index: 0, changed: true };
  if (received === last) return { index: last, changed: false };
  return { index: received, changed: true };
}

/**
 * One step of the KV watch: the index to block on next and whether this answer is a snapshot to emit. An
 * index that went back is a server that lost or has not yet replayed its log (a restart): its answer may be
 * an empty or old KV, so it is dropped and the watch re-reads from 0, which the caller makes a consistent
 * read (`consistentRead`). Pure.
 */
export function consulWatchStep(last: number, received: number): { index: number; emit: boolean } {
  const step = nextConsulIndex(last, received);
  if (step.index === 0) return { index: 0, emit: false };
  return { index: step.index, emit: step.changed };
}

/** A read from scratch must come from a leader that has applied its whole log (`?consistent`). Pure. */
export function consistentRead(index: number): boolean {
  return index === 0;
}
