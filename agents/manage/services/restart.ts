/**
 * The restart policy, decided once per ended task, at the time it ended (so the answer does not change with
 * later calls): the condition (none | on-failure | any), then MaxAttempts counted over the slot's earlier
 * restarts under the same spec within Window before the end. A restart is held until end + Delay.
 */
import { nsToMs, type TaskRecord } from './model.js';
import type { RestartPolicy } from './types.js';

export type RestartDecision =
  { restart: false; why: string } | { restart: true; notBefore: number; restarts: number[] };

/** Whether the way `t` ended calls for a restart under the condition alone. */
export function conditionAllows(t: TaskRecord, p: RestartPolicy): boolean {
  if (p.Condition === 'none') return false;
  if (p.Condition === 'any') return true;
  return t.state !== 'complete';
}

export function restartDecision(t: TaskRecord, p: RestartPolicy, currentKey: string): RestartDecision {
  if (!conditionAllows(t, p)) return { restart: false, why: `restart condition ${p.Condition}` };
  const endedAt = t.updatedAt;
  const earlier = t.specKey === currentKey ? t.restarts : [];
  const windowMs = nsToMs(p.Window);
  const counted = windowMs > 0 ? earlier.filter((at) => at > endedAt - windowMs) : earlier;
  if (p.MaxAttempts > 0 && counted.length >= p.MaxAttempts)
    return { restart: false, why: `restart attempts exhausted (${p.MaxAttempts})` };
  const restarts = p.MaxAttempts > 0 ? [...counted, endedAt].slice(-p.MaxAttempts) : [];
  return { restart: true, notBefore: endedAt + nsToMs(p.Delay), restarts };
}
