/**
 * What `/events` asks the engines for. Classic Swarm keeps no event history: with an `until` already past it
 * answers at once with nothing, and an `until` without `since` streams only what happens from now on (an
 * engine would replay its buffer up to `until`). An explicit `since` still asks the engines for their
 * history (more than classic Swarm offers). Pure.
 */

/** Docker's timestamp forms: `seconds[.nanoseconds]` (what the CLI sends) or an RFC 3339 date; ms or NaN. */
export function timestampMs(raw: string): number {
  if (/^\d+(\.\d+)?$/.test(raw)) {
    const [sec = '0', frac = ''] = raw.split('.');
    return Number(sec) * 1000 + Number(`0.${frac || '0'}`) * 1000;
  }
  return Date.parse(raw);
}

export interface EventsPlan {
  /** Answer 200 with no events and end. */
  endNow: boolean;
  /** The query string (without `?`) for every engine. */
  query: string;
}

export function eventsPlan(params: URLSearchParams, nowMs: number): EventsPlan {
  const until = params.get('until');
  const q = new URLSearchParams(params);
  if (until === null || until === '' || q.has('since')) return { endNow: false, query: q.toString() };
  const untilMs = timestampMs(until);
  if (!Number.isNaN(untilMs) && untilMs <= nowMs) return { endNow: true, query: '' };
  q.set('since', (nowMs / 1000).toFixed(3));
  return { endNow: false, query: q.toString() };
}
