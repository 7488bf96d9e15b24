/** The joiner's decision at each heartbeat, and its start delay. Pure. */

export type JoinAction = 'advertise' | 'refresh' | 'withdraw' | 'idle';

/** `advertised`: our key is in the store (as far as we know); `engineUp`: the local engine answered /_ping. */
export function joinStep(advertised: boolean, engineUp: boolean): JoinAction {
  if (engineUp) return advertised ? 'refresh' : 'advertise';
  return advertised ? 'withdraw' : 'idle';
}

/** A random delay in [0, delayMs) before the first registration (spreads a fleet's restarts). */
export function startDelay(delayMs: number, random: () => number = Math.random): number {
  return delayMs > 0 ? Math.floor(random() * delayMs) : 0;
}
