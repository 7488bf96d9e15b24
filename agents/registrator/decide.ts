/** Whether a container's services belong in the store right now. Pure. */
import type { ContainerInfo } from '../docker/container.js';

export type Decision = 'register' | 'deregister' | 'keep';

export interface DecideOptions {
  deregister: 'always' | 'on-success';
  healthAware: boolean;
}

/**
 * `register`: running (and, with health-awareness, healthy if it has a HEALTHCHECK); `keep`: stopped with a
 * non-zero exit under `--deregister on-success` (leave whatever is stored); `deregister` otherwise, and when
 * the container no longer exists.
 */
export function decide(c: ContainerInfo | undefined, opts: DecideOptions): Decision {
  if (c === undefined) return 'deregister';
  if (c.running && !c.paused && c.state !== 'restarting') {
    if (opts.healthAware && c.health !== 'none' && c.health !== 'healthy') return 'deregister';
    return 'register';
  }
  if (opts.deregister === 'on-success' && (c.state === 'exited' || c.state === 'dead') && c.exitCode !== 0)
    return 'keep';
  return 'deregister';
}

/** Container event actions that may change what a container offers. */
export const TRIGGER_ACTIONS = new Set([
  'start',
  'unpause',
  'restart',
  'die',
  'stop',
  'kill',
  'pause',
  'destroy',
  'health_status',
  'rename',
  'oom',
]);
