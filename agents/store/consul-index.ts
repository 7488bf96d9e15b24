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
