/** The joiner's decision at each heartbeat, when it wakes next, and its start delay. Pure. */

/**
 * advertise: write the key (it is absent); refresh: write it again; lapse: the engine does not answer, leave the
 * key unrefreshed; expire: the engine has not answered for --ttl since the last refresh, so the key is past its
 * TTL: remove it; idle: engine down and nothing advertised.
 */
export type JoinAction = 'advertise' | 'refresh' | 'lapse' | 'expire' | 'idle';

export interface JoinStepInput {
  /** Our key is in the store (as far as we know). */
  advertised: boolean;
  /** The local engine answered /_ping at this beat. */
  engineUp: boolean;
  now: number;
  /** When the key was last written with the engine answering (undefined: never). */
  refreshedAt: number | undefined;
  ttlMs: number;
}

export function joinStep(s: JoinStepInput): JoinAction {
  if (s.engineUp) return s.advertised ? 'refresh' : 'advertise';
  if (!s.advertised) return 'idle';
  return s.refreshedAt === undefined || s.now - s.refreshedAt >= s.ttlMs ? 'expire' : 'lapse';
}

/** How long to sleep before the next beat: one heartbeat, or less when an unrefreshed key reaches its TTL first. */
export function nextBeatIn(
  action: JoinAction,
  heartbeatMs: number,
  now: number,
  refreshedAt: number | undefined,
  ttlMs: number,
): number {
  if (action !== 'lapse' || refreshedAt === undefined) return heartbeatMs;
  return Math.max(0, Math.min(heartbeatMs, refreshedAt + ttlMs - now));
}

/** A random delay in [0, delayMs) before the first registration (spreads a fleet's restarts). */
export function startDelay(delayMs: number, random: () => number = Math.random): number {
  return delayMs > 0 ? Math.floor(random() * delayMs) : 0;
}
